import { parseArgs } from "node:util";
import { isCancelled, run } from "../../index.js";
import { elapsedSince, seconds } from "../demo/section.js";
import { sections } from "../demo/sections.js";
import { DemoWorld } from "../demo/servers.js";
import { Timeline } from "../demo/timeline.js";
import { CLIError, parseCount, type CliIO, type Command } from "../io.js";

const usage = `Usage: taskio demo [--section N] [--json]

Runs the seed tutorial's patterns live, one section after another, with evidence that each
worked and a timeline of the tasks that ran side by side. It starts its own servers on
127.0.0.1 and works in a temporary folder: no network, nothing left behind.

Sections:
${sections.map((s) => `  ${String(s.id).padStart(2)}  ${s.title}`).join("\n")}

Options:
  --section N   run only section N
  --json        print one JSON object per section instead of text
  -h, --help    show this help`;

export const command: Command = {
  summary: "tour the seed's async patterns live, with evidence and timelines",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let values: { section?: string | undefined; json?: boolean | undefined };
    try {
      ({ values } = parseArgs({
        args,
        options: { section: { type: "string" }, json: { type: "boolean" } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      throw new CLIError(`${(error as Error).message}. Run \`taskio demo --help\``);
    }
    let chosen = sections;
    if (values.section !== undefined) {
      const id = parseCount(values.section, "--section", { min: 1, max: 13 });
      chosen = sections.filter((section) => section.id === id);
      if (chosen.length === 0) {
        throw new CLIError(
          `Expected --section to be one of ${sections.map((s) => s.id).join(", ")}: received ${values.section}`,
        );
      }
    }
    const json = values.json === true;
    const tty = io.stdout.isTTY === true;
    const width = Math.max(20, Math.min(60, (io.stdout.columns ?? 80) - 34));
    let failures = 0;
    const tourStarted = performance.now();
    if (!json && chosen.length > 1) {
      io.stdout.write(
        `taskio demo: the seed's patterns, live, one after another, against servers started on 127.0.0.1 ` +
          `and files in a temporary folder (no network). Ctrl-C stops it cleanly.\n`,
      );
    }
    await run(
      async () => {
        await using world = new DemoWorld();
        for (const section of chosen) {
          const timeline = new Timeline();
          const lines: string[] = [];
          if (!json) io.stdout.write(`\n== ${section.id}. ${section.title} ==\n`);
          const started = performance.now();
          let evidence: Record<string, unknown> | undefined;
          let failure: string | undefined;
          try {
            evidence = await section.run({
              log: (line) => {
                lines.push(line);
                if (!json) io.stdout.write(`${line}\n`);
              },
              timeline,
              world,
            });
          } catch (error) {
            // Ctrl-C: run() cancels the tour, closes the world on the way out, then exits with 130.
            if (isCancelled(error)) {
              io.stderr.write(`taskio: demo interrupted in section ${section.id}; stopping its tasks and servers\n`);
              throw error;
            }
            failures++;
            failure = error instanceof Error ? error.message : String(error);
          }
          const elapsedMs = elapsedSince(started);
          if (json) {
            const result = { section: section.id, title: section.title, ok: failure === undefined, elapsedMs, output: lines };
            io.stdout.write(
              `${JSON.stringify({ ...result, ...(failure === undefined ? { evidence } : { error: failure }), timeline: timeline.toJSON() })}\n`,
            );
            continue;
          }
          if (failure !== undefined) io.stdout.write(`section ${section.id} FAILED: ${failure}\n`);
          if (timeline.spans.length > 0) io.stdout.write(`timeline:\n${timeline.render({ unicode: tty, width })}\n`);
        }
      },
      { handleSigint: true, name: "demo" },
    );
    if (!json) {
      const verdict = failures === 0 ? `all ${chosen.length} ran` : `${failures} of ${chosen.length} FAILED`;
      io.stdout.write(`\ntour finished in ${seconds(elapsedSince(tourStarted))}: ${verdict}; servers closed, temporary folder removed\n`);
    }
    return failures === 0 ? 0 : 1;
  },
};
