import { parseArgs } from "node:util";
import { run } from "../../index.js";
import { sections } from "../demo/sections.js";
import { Timeline } from "../demo/timeline.js";
import { CLIError, parseCount, type CliIO, type Command } from "../io.js";

const usage = `Usage: taskio demo [--section N] [--json]

Runs the seed tutorial's patterns live, one section after another, with evidence that each
worked and a timeline of the tasks that ran side by side. Needs no network.

Options:
  --section N   run only section N (${sections.map((s) => s.id).join(", ")})
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
    await run(async () => {
      for (const section of chosen) {
        const timeline = new Timeline();
        const lines: string[] = [];
        if (!json) io.stdout.write(`\n== ${section.id}. ${section.title} ==\n`);
        const started = performance.now();
        const evidence = await section.run({
          log: (line) => {
            lines.push(line);
            if (!json) io.stdout.write(`${line}\n`);
          },
          timeline,
        });
        const elapsedMs = Math.round(performance.now() - started);
        if (json) {
          io.stdout.write(`${JSON.stringify({ section: section.id, title: section.title, elapsedMs, output: lines, evidence })}\n`);
        } else if (timeline.spans.length > 0) {
          io.stdout.write(`timeline:\n${timeline.render({ unicode: tty, width: Math.min(60, (io.stdout.columns ?? 80) - 30) })}\n`);
        }
      }
    }, { handleSigint: true });
    return 0;
  },
};
