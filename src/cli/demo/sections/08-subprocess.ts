/**
 * Seed section 8: asynchronous subprocesses — run commands and read their output line by line,
 * in real time. The seed runs `python --version`; the demo runs `node --version` (always there)
 * and, beside it, a child that prints a line every 100 ms on stdout and stderr.
 */
import { gather } from "../../../index.js";
import { createSubprocessExec, PIPE, type Process } from "../../../subprocess/index.js";
import { elapsedSince, type DemoSection } from "../section.js";

type Reader = NonNullable<Process["stdout"]>;

const TICKER = `
let n = 0;
const timer = setInterval(() => {
  n++;
  (n % 2 ? process.stdout : process.stderr).write("tick " + n + "\\n");
  if (n === 4) clearInterval(timer);
}, 100);`;

/** Seed section 8, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 8,
  title: "subprocesses: createSubprocessExec + readLine",
  async run({ log, timeline }) {
    const arrivals: { name: string; stream: string; line: string; atMs: number }[] = [];
    const started = performance.now();

    const runCmd = (cmd: [string, ...string[]], name: string) =>
      timeline.track(name, async (): Promise<number> => {
        // Run external command asynchronously and capture output line by line
        const [program, ...args] = cmd;
        await using proc = await createSubprocessExec(program, args, { stdout: PIPE, stderr: PIPE });

        async function readStream(stream: Reader, streamName: string): Promise<void> {
          for (;;) {
            const line = await stream.readLine();
            if (line.length === 0) break;
            const text = line.toString().trimEnd();
            arrivals.push({ name, stream: streamName, line: text, atMs: elapsedSince(started) });
            log(`[${streamName}] ${text}`);
          }
        }

        await gather(
          () => readStream(proc.stdout!, "stdout"),
          () => readStream(proc.stderr!, "stderr"),
        );
        await proc.wait();
        return proc.returncode!;
      });

    const codes = await gather(
      () => runCmd([process.execPath, "--version"], "node --version"),
      () => runCmd([process.execPath, "-e", TICKER], "ticker"),
    );
    const ticks = arrivals.filter((a) => a.name === "ticker");
    const spread = ticks.length > 1 ? ticks.at(-1)!.atMs - ticks[0]!.atMs : 0;
    log(
      `evidence: exit codes ${codes.join(", ")}; the ticker's ${ticks.length} lines arrived over ${spread} ms ` +
        `(at ${ticks.map((t) => t.atMs).join(", ")} ms), as they were printed, not at exit`,
    );
    return {
      returncodes: codes,
      version: arrivals.find((a) => a.name === "node --version")?.line,
      lines: arrivals,
      tickSpreadMs: spread,
    };
  },
};
