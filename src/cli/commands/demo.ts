import { parseArgs } from "node:util";
import { currentTask, isCancelled, run } from "../../index.js";
import { elapsedSince, seconds } from "../demo/section.js";
import { sections } from "../demo/sections.js";
import { DemoWorld } from "../demo/servers.js";
import { Timeline } from "../demo/timeline.js";
import { CLIError, parseCount, type CliIO, type Command } from "../io.js";

const usage = `Usage: taskio demo [--section N[,M...]] [--json]

Runs the seed tutorial's patterns live, one section after another, with evidence that each
worked and a timeline of the tasks that ran side by side. It starts its own servers on
127.0.0.1 and works in a temporary folder: no network, nothing left behind.

Sections:
${sections.map((s) => `  ${String(s.id).padStart(2)}  ${s.title}`).join("\n")}

Options:
  --section N   run only section N (repeat it, or N,M, for several)
  --json        print one JSON object per section instead of text
  -h, --help    show this help`;

export const command: Command = {
  summary: "tour the seed's async patterns live, with evidence and timelines",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let values: { section?: string[] | undefined; json?: boolean | undefined };
    try {
      ({ values } = parseArgs({
        args,
        options: { section: { type: "string", multiple: true }, json: { type: "boolean" } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      throw new CLIError(`${(error as Error).message}. Run \`taskio demo --help\``);
    }
    let chosen = sections;
    if (values.section !== undefined) {
      // --section 4 --section 10, or --section 4,10: in the order given.
      const ids = values.section.flatMap((value) => value.split(",")).map((value) => parseCount(value, "--section", { min: 1, max: 13 }));
      chosen = ids.map((id) => {
        const found = sections.find((section) => section.id === id);
        if (found === undefined) {
          throw new CLIError(`Expected --section to be one of ${sections.map((s) => s.id).join(", ")}: received ${id}`);
        }
        return found;
      });
    }
    const json = values.json === true;
    const tty = io.stdout.isTTY === true;
    const width = Math.max(20, Math.min(60, (io.stdout.columns ?? 80) - 34));
    let failures = 0;
    const tourStarted = performance.now();
    // `taskio demo | head`: once the reader is gone, stop the tour quietly (and cleanly) instead
    // of dying on EPIPE with the servers and the temporary folder left behind.
    let stdoutClosed = false;
    let stopTour: (() => void) | undefined;
    const stream = io.stdout as { on?: unknown; off?: unknown };
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code !== "EPIPE") return;
      stdoutClosed = true;
      stopTour?.();
    };
    const emitter = typeof stream.on === "function" ? (stream as unknown as NodeJS.EventEmitter) : undefined;
    emitter?.on("error", onError);
    const write = (text: string): void => {
      if (!stdoutClosed) io.stdout.write(text);
    };
    if (!json && chosen.length > 1) {
      write(
        `taskio demo: the seed's patterns, live, one after another, against servers started on 127.0.0.1 ` +
          `and files in a temporary folder (no network). Ctrl-C stops it cleanly.\n`,
      );
    }
    await run(
      async () => {
        const root = currentTask();
        stopTour = () => root?.cancel("stdout was closed");
        await using world = new DemoWorld();
        for (const section of chosen) {
          const timeline = new Timeline();
          const lines: string[] = [];
          if (!json) write(`\n== ${section.id}. ${section.title} ==\n`);
          const started = performance.now();
          let evidence: Record<string, unknown> | undefined;
          let failure: string | undefined;
          try {
            evidence = await section.run({
              log: (line) => {
                lines.push(line);
                if (!json) write(`${line}\n`);
              },
              timeline,
              world,
            });
          } catch (error) {
            // Ctrl-C: run() cancels the tour, closes the world on the way out, then exits with 130.
            if (isCancelled(error)) {
              if (stdoutClosed) throw error;
              io.stderr.write(`taskio: demo interrupted in section ${section.id}; stopping its tasks and servers\n`);
              throw error;
            }
            failures++;
            failure = error instanceof Error ? error.message : String(error);
          }
          const elapsedMs = elapsedSince(started);
          if (json) {
            const result = { section: section.id, title: section.title, ok: failure === undefined, elapsedMs, output: lines };
            write(
              `${JSON.stringify({ ...result, ...(failure === undefined ? { evidence } : { error: failure }), timeline: timeline.toJSON() })}\n`,
            );
            continue;
          }
          if (failure !== undefined) write(`section ${section.id} FAILED: ${failure}\n`);
          if (timeline.spans.length > 0) write(`timeline:\n${timeline.render({ unicode: tty, width })}\n`);
        }
      },
      { handleSigint: true, name: "demo" },
    )
      .catch((error: unknown) => {
        if (!(stdoutClosed && isCancelled(error))) throw error;
      })
      .finally(() => emitter?.off("error", onError));
    if (stdoutClosed) return 0;
    if (!json) {
      const verdict = failures === 0 ? `all ${chosen.length} ran` : `${failures} of ${chosen.length} FAILED`;
      write(`\ntour finished in ${seconds(elapsedSince(tourStarted))}: ${verdict}; servers closed, temporary folder removed\n`);
    }
    return failures === 0 ? 0 : 1;
  },
};
