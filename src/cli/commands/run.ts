/**
 * `taskio run`: many shell commands in parallel, their output streamed live line by line with a
 * label, a summary at the end (the seed's section 8 put to work, with sections 9–11's timeouts,
 * limits and retries).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createTask, gather, isCancelled, retry, run, TaskGroup, timeout, TimeoutError } from "../../index.js";
import { getClock } from "../../core/task.js";
import { Semaphore } from "../../sync/semaphore.js";
import { createSubprocessShell, DEVNULL, PIPE, type Process } from "../../subprocess/index.js";
import type { StreamReader } from "../../streams/reader.js";
import { CLIError, parseCount, parseDuration, type CliIO, type Command } from "../io.js";

const usage = `Usage: taskio run [-j N] [--timeout DURATION] [--retries N] [--json] -- 'cmd one' 'cmd two' ...
       taskio run [options] < commands.txt       (one command a line; # starts a comment)

Runs the commands through the shell, at most N at a time, and streams every line they print as
it comes, prefixed with the command's label and the stream: "[label] [stdout] line". A summary
follows. Exit code 0 only if every command succeeded, 1 otherwise, 130 on Ctrl-C (which stops
every command and its child processes).

Options:
  -j, --jobs N         run at most N commands at once (default 4)
  --timeout DURATION   stop an attempt that runs longer (500ms, 10s, 1m): SIGTERM to its process
                       tree, SIGKILL 2s later; it counts as a failure
  --retries N          run a failed command (non-zero exit or timeout) up to N more times
                       (default 0), waiting 100ms, 200ms, 400ms... between attempts
  --json               print JSON lines instead: {"label","stream","line"} for each line,
                       {"label","status",...} for each result, then the summary
  -h, --help           show this help`;

/** How one command ended. */
interface Outcome {
  label: string;
  command: string;
  status: "ok" | "failed" | "timeout" | "error" | "cancelled";
  exitCode: number | null;
  attempts: number;
  ms: number;
  error?: string;
}

class CommandFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`exit code ${exitCode}`);
  }
}

const LINE_LIMIT = 1024 * 1024;

function labelFor(command: string, index: number, total: number): string {
  const text = command.replace(/\s+/g, " ").trim();
  const short = text.length > 24 ? `${text.slice(0, 23)}…` : text;
  return total > 1 ? `${index + 1}:${short}` : short;
}

async function readCommands(io: CliIO): Promise<string[]> {
  if (io.stdin.isTTY === true) {
    throw new CLIError("Expected commands after -- or on stdin: taskio run -- 'cmd one' 'cmd two'");
  }
  let text = "";
  for await (const chunk of io.stdin) text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
}

function decodeLine(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  return bytes.toString("utf8", 0, end);
}

/**
 * Prints each line of `stream` as it arrives. Lines are split here rather than with
 * `readLine()`, so that a line longer than LINE_LIMIT is printed once, cut, and its rest skipped
 * (`readLine()` would report the overrun and then hand out the rest of that line as new lines).
 */
async function pump(stream: StreamReader, emit: (line: string) => void): Promise<void> {
  let partial: Buffer[] = [];
  let partialLength = 0;
  let skipping = false;
  for (;;) {
    const chunk = await stream.read(65536);
    if (chunk.length === 0) break;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        if (!skipping && start < chunk.length) {
          partial.push(chunk.subarray(start));
          partialLength += chunk.length - start;
          if (partialLength > LINE_LIMIT) {
            const head = Buffer.concat(partial, partialLength).subarray(0, LINE_LIMIT);
            emit(`${head.toString("utf8")}… <line cut at ${LINE_LIMIT} bytes>`);
            partial = [];
            partialLength = 0;
            skipping = true;
          }
        }
        break;
      }
      if (skipping) {
        skipping = false;
      } else {
        const piece = chunk.subarray(start, newline);
        emit(decodeLine(partialLength === 0 ? piece : Buffer.concat([...partial, piece], partialLength + piece.length)));
        partial = [];
        partialLength = 0;
      }
      start = newline + 1;
    }
  }
  if (!skipping && partialLength > 0) emit(decodeLine(Buffer.concat(partial, partialLength)));
}

async function runAll(
  commands: string[],
  jobs: number,
  timeoutMs: number | undefined,
  retries: number,
  json: boolean,
  io: CliIO,
  outcomes: Outcome[],
): Promise<void> {
  const clock = getClock();
  const out = (text: string): void => {
    io.stdout.write(text);
  };
  const sem = new Semaphore(jobs);

  async function attempt(command: string, label: string): Promise<number> {
    const proc: Process = await createSubprocessShell(command, {
      stdin: DEVNULL,
      stdout: PIPE,
      stderr: PIPE,
      limit: LINE_LIMIT,
      gracePeriod: 2000,
    });
    try {
      const emitter = (stream: "stdout" | "stderr") => (line: string) =>
        out(json ? `${JSON.stringify({ label, stream, line })}\n` : `[${label}] [${stream}] ${line}\n`);
      const body = async (): Promise<number> => {
        // wait() takes part: a timeout or Ctrl-C cancels it, which stops the tree gently.
        const [, , code] = await gather(
          () => pump(proc.stdout!, emitter("stdout")),
          () => pump(proc.stderr!, emitter("stderr")),
          () => proc.wait(),
        );
        return code;
      };
      const code = timeoutMs === undefined ? await body() : await timeout(timeoutMs, body);
      if (code !== 0) throw new CommandFailed(code);
      return code;
    } finally {
      await proc[Symbol.asyncDispose]();
    }
  }

  async function one(command: string, index: number): Promise<void> {
    const label = labelFor(command, index, commands.length);
    using _permit = await sem.acquire();
    const started = clock.now();
    let attempts = 0;
    const outcome: Outcome = { label, command, status: "ok", exitCode: 0, attempts: 0, ms: 0 };
    try {
      await retry(
        () => {
          attempts++;
          return attempt(command, label);
        },
        {
          attempts: retries + 1,
          baseDelay: 100,
          maxDelay: 5000,
          jitter: "none",
          retryIf: (error) => error instanceof CommandFailed || error instanceof TimeoutError,
          onRetry: ({ attempt: n, error, delay }) => {
            const why = error instanceof TimeoutError ? "timed out" : error instanceof Error ? error.message : String(error);
            if (json) out(`${JSON.stringify({ label, retry: n + 1, after: why, delayMs: delay })}\n`);
            else io.stderr.write(`[${label}] attempt ${n} failed (${why}): retrying in ${delay}ms\n`);
          },
        },
      );
    } catch (error) {
      if (error instanceof CommandFailed) {
        outcome.status = "failed";
        outcome.exitCode = error.exitCode;
      } else if (error instanceof TimeoutError) {
        outcome.status = "timeout";
        outcome.exitCode = null;
      } else if (isCancelled(error)) {
        outcome.status = "cancelled";
        outcome.exitCode = null;
        throw error;
      } else {
        outcome.status = "error";
        outcome.exitCode = null;
        outcome.error = error instanceof Error ? error.message : String(error);
      }
    } finally {
      outcome.attempts = attempts;
      outcome.ms = Math.round(clock.now() - started);
      outcomes.push(outcome);
      if (json) out(`${JSON.stringify(outcome)}\n`);
    }
  }

  await TaskGroup.run(async (tg) => {
    commands.forEach((command, index) => {
      tg.createTask(() => one(command, index), { name: `run ${index + 1}` });
    });
  });
}

function summary(outcomes: Outcome[], commands: string[], interrupted: boolean): string {
  const ok = outcomes.filter((o) => o.status === "ok").length;
  const stopped = commands.length - outcomes.length + outcomes.filter((o) => o.status === "cancelled").length;
  const failed = commands.length - ok - stopped;
  const lines = [
    "",
    `Summary: ${commands.length} command${commands.length === 1 ? "" : "s"}, ${ok} succeeded, ${failed} failed` +
      (interrupted || stopped > 0 ? `, ${stopped} stopped (interrupted)` : ""),
  ];
  const byCommand = new Map(outcomes.map((o) => [o.command, o]));
  commands.forEach((command) => {
    const o = byCommand.get(command);
    if (o === undefined) return;
    const status =
      o.status === "ok"
        ? "ok"
        : o.status === "failed"
          ? `FAILED (exit code ${o.exitCode})`
          : o.status === "timeout"
            ? "TIMED OUT"
            : o.status === "cancelled"
              ? "CANCELLED"
              : `ERROR (${o.error ?? "unknown"})`;
    const tries = o.attempts > 1 ? `, ${o.attempts} attempts` : "";
    lines.push(`  ${status.padEnd(22)} ${(o.ms / 1000).toFixed(2)}s${tries}  ${command}`);
  });
  return lines.join("\n") + "\n";
}

/** `taskio run`. */
export const command: Command = {
  summary: "run shell commands in parallel with live prefixed output, timeouts and retries",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          jobs: { type: "string", short: "j", default: "4" },
          timeout: { type: "string" },
          retries: { type: "string", default: "0" },
          json: { type: "boolean", default: false },
        },
      });
    } catch (error) {
      throw new CLIError(error instanceof Error ? error.message.split("\n")[0]! : String(error));
    }
    const jobs = parseCount(parsed.values.jobs, "-j/--jobs", { min: 1, max: 10_000 });
    const retries = parseCount(parsed.values.retries, "--retries", { max: 1000 });
    const timeoutMs = parsed.values.timeout === undefined ? undefined : parseDuration(parsed.values.timeout, "--timeout");
    if (timeoutMs !== undefined && timeoutMs <= 0) throw new CLIError(`Expected --timeout to be more than 0: received ${JSON.stringify(parsed.values.timeout)}`);
    const json = parsed.values.json;
    const commands = parsed.positionals.length > 0 ? parsed.positionals : await readCommands(io);
    if (commands.length === 0) throw new CLIError("Expected at least one command: taskio run -- 'cmd one' 'cmd two'");

    const outcomes: Outcome[] = [];
    let interrupted = 0;
    await run(
      async () => {
        const work = createTask(() => runAll(commands, jobs, timeoutMs, retries, json, io, outcomes), { name: "commands" });
        // Ctrl-C: the first stops every command gently (SIGTERM to each process tree, SIGKILL
        // after 2s); a second exits at once (the children are killed on the way out).
        const onSigint = (): void => {
          interrupted++;
          if (interrupted > 1) process.exit(130);
          io.stderr.write("\nInterrupted: stopping every command (Ctrl-C again to quit at once)\n");
          work.cancel("interrupted (SIGINT)");
        };
        process.on("SIGINT", onSigint);
        try {
          await work;
        } catch (error) {
          if (!isCancelled(error)) throw error;
        } finally {
          process.removeListener("SIGINT", onSigint);
        }
      },
      { handleSigint: false, name: "taskio run" },
    );
    const allOk = outcomes.length === commands.length && outcomes.every((o) => o.status === "ok");
    if (json) {
      const ok = outcomes.filter((o) => o.status === "ok").length;
      io.stdout.write(`${JSON.stringify({ summary: { commands: commands.length, succeeded: ok, failed: outcomes.length - ok, interrupted: interrupted > 0 } })}\n`);
    } else {
      io.stdout.write(summary(outcomes, commands, interrupted > 0));
    }
    if (interrupted > 0) return 130;
    return allOk ? 0 : 1;
  },
};
