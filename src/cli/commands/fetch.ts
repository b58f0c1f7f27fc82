/**
 * `taskio fetch`: many URLs downloaded concurrently, each streamed to disk, reported as they
 * complete (the seed's sections 4, 7, 10 and 11 put to work).
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { extname, resolve, sep } from "node:path";
import { iterConcurrent, isCancelled, retry, run } from "../../index.js";
import { getClock } from "../../core/task.js";
import { ClientPayloadError, ClientTimeoutError } from "../../errors.js";
import { ClientSession, download } from "../../http/index.js";
import { CLIError, parseCount, parseDuration, type CliIO, type Command } from "../io.js";
import { formatBytes, ProgressBoard } from "../progress.js";

const usage = `Usage: taskio fetch URL... [-i urls.txt] [-j N] [--retries N] [--timeout DURATION] [-o DIR] [--resume]

Downloads every URL concurrently (at most N at a time), each streamed to a file in DIR,
reported as it completes. On a terminal: live progress bars (per file and total: bytes,
rate, ETA). Otherwise: one JSON line per finished URL on stdout, the summary on stderr.
Exit code 0 only if every URL succeeded; 1 if any failed (the summary says why); 130 on Ctrl-C.

Options:
  -i, --input FILE     read URLs from FILE, one a line ("-" for stdin; # starts a comment)
  -j, --jobs N         at most N downloads at once (default 4)
  --retries N          retry a failed URL N more times: connection errors, timeouts, 429, 502,
                       503 and 504 answers (honouring Retry-After), bodies cut short (default 2)
  --timeout DURATION   give up when connecting, or when the server is silent, for that long
                       (500ms, 10s, 1m; default 30s)
  -o, --output DIR     the directory to write to (default: the current directory)
  --resume             continue partial downloads (<name>.part) with Range requests
  -h, --help           show this help

File names come from the URL's last path segment, sanitised: a URL can never write outside DIR.`;

interface Job {
  url: string;
  name: string;
}

interface Outcome {
  url: string;
  ok: boolean;
  path?: string;
  bytes?: number;
  status?: number;
  resumedFrom?: number;
  ms: number;
  error?: string;
  code?: string;
}

/**
 * A safe file name for a URL: its last path segment, decoded, with separators, control and
 * reserved characters replaced and leading dots removed (`index.html` when nothing is left).
 * @internal
 */
export function outputName(url: URL): string {
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  let name = segments.at(-1) ?? "";
  try {
    name = decodeURIComponent(name);
  } catch {
    // Keep it encoded.
  }
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[/\\\x00-\x1f\x7f:*?"<>|]/g, "_").replace(/^[.\s]+/, "").trim();
  if (name.length > 200) name = name.slice(name.length - 200);
  return name.length === 0 ? "index.html" : name;
}

function uniqueNames(urls: readonly string[]): Job[] {
  const used = new Set<string>();
  return urls.map((url) => {
    const base = outputName(new URL(url));
    let name = base;
    for (let i = 1; used.has(name); i++) {
      const ext = extname(base);
      name = `${base.slice(0, base.length - ext.length)}-${i}${ext}`;
    }
    used.add(name);
    return { url, name };
  });
}

async function readUrls(path: string, io: CliIO): Promise<string[]> {
  let text: string;
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk));
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    try {
      text = await readFile(resolve(io.cwd, path), "utf8");
    } catch (error) {
      throw new CLIError(`Cannot read the URL list: ${path}: ${(error as Error).message}`);
    }
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CLIError(`Expected an absolute http(s) URL: received ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CLIError(`Expected an http: or https: URL: received ${JSON.stringify(url)}`);
  }
  return parsed.href;
}

function describeError(error: unknown): { message: string; code: string | undefined } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, code: typeof code === "string" ? code : undefined };
  }
  return { message: String(error), code: undefined };
}

async function fetchAll(jobs: Job[], dir: string, opts: Options, io: CliIO): Promise<number> {
  const tty = io.stdout.isTTY === true;
  const clock = getClock();
  const board = tty ? new ProgressBoard(io.stdout, () => clock.now(), jobs.length) : undefined;
  const started = clock.now();
  let lastRender = 0;
  const outcomes: Outcome[] = [];
  let interrupted = false;
  await using session = new ClientSession({
    timeout: { connect: opts.timeout, sockRead: opts.timeout },
    retry: opts.retries > 0 ? { attempts: opts.retries + 1 } : false,
    limit: 0,
  });

  const fetchOne = async (job: Job, index: number): Promise<Outcome> => {
    const t0 = clock.now();
    board?.add(index, job.name);
    try {
      const result = await retry(
        () =>
          download(session, job.url, resolve(dir, job.name), {
            resume: opts.resume,
            onProgress: ({ downloaded, total }) => {
              if (board === undefined) return;
              board.update(index, downloaded, total);
              const now = clock.now();
              if (now - lastRender >= 100) {
                lastRender = now;
                board.render();
              }
            },
          }),
        {
          attempts: opts.retries + 1,
          baseDelay: 500,
          // Answers and connection errors were retried by the session; here, bodies cut short.
          retryIf: (error) => error instanceof ClientPayloadError || (error instanceof ClientTimeoutError && error.which === "sockRead"),
        },
      );
      return {
        url: job.url,
        ok: true,
        path: result.path,
        bytes: result.bytes,
        status: result.status,
        resumedFrom: result.resumedFrom,
        ms: Math.round(clock.now() - t0),
      };
    } catch (error) {
      if (isCancelled(error)) throw error;
      const { message, code } = describeError(error);
      return { url: job.url, ok: false, ms: Math.round(clock.now() - t0), error: message, ...(code === undefined ? {} : { code }) };
    }
  };

  const report = (outcome: Outcome, index: number): void => {
    outcomes.push(outcome);
    if (board !== undefined) {
      const line = outcome.ok
        ? `✓ ${jobs[index]?.name ?? outcome.url}  ${formatBytes(outcome.bytes ?? 0)} in ${(outcome.ms / 1000).toFixed(1)}s`
        : `✗ ${outcome.url}: ${outcome.error ?? "failed"}`;
      board.finish(index, line, outcome.bytes ?? 0);
    } else {
      io.stdout.write(`${JSON.stringify(outcome)}\n`);
    }
  };

  try {
    const indexed = jobs.map((job, index) => ({ job, index }));
    for await (const [outcome, index] of iterConcurrent(
      indexed,
      async ({ job, index }) => [await fetchOne(job, index), index] as const,
      { concurrency: opts.jobs },
    )) {
      report(outcome, index);
    }
  } catch (error) {
    if (!isCancelled(error)) throw error;
    interrupted = true;
  } finally {
    board?.close();
  }

  const failed = outcomes.filter((o) => !o.ok);
  const bytes = outcomes.reduce((sum, o) => sum + (o.bytes ?? 0), 0);
  const seconds = (clock.now() - started) / 1000;
  const lines = [
    `${interrupted ? "Interrupted: f" : "F"}etched ${outcomes.length - failed.length} of ${jobs.length} URLs (${formatBytes(bytes)} in ${seconds.toFixed(1)}s)${failed.length > 0 ? `; ${failed.length} failed:` : ""}`,
    ...failed.map((o) => `  ${o.url}: ${o.error ?? "failed"}`),
  ];
  (tty ? io.stdout : io.stderr).write(`${lines.join("\n")}\n`);
  if (interrupted) return 130;
  return failed.length === 0 && outcomes.length === jobs.length ? 0 : 1;
}

interface Options {
  jobs: number;
  retries: number;
  timeout: number;
  resume: boolean;
}

/** `taskio fetch`. */
export const command: Command = {
  summary: "download many URLs concurrently to disk, with progress, retries and resume",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          input: { type: "string", short: "i" },
          jobs: { type: "string", short: "j", default: "4" },
          retries: { type: "string", default: "2" },
          timeout: { type: "string", default: "30s" },
          output: { type: "string", short: "o" },
          resume: { type: "boolean", default: false },
        },
      });
    } catch (error) {
      throw new CLIError(`${(error as Error).message.split("\n")[0]!.replace(/\.$/, "")}. Run \`taskio fetch --help\` for the options`);
    }
    const { values, positionals } = parsed;
    const opts: Options = {
      jobs: parseCount(values.jobs, "-j/--jobs", { min: 1, max: 10_000 }),
      retries: parseCount(values.retries, "--retries", { min: 0, max: 100 }),
      timeout: parseDuration(values.timeout, "--timeout"),
      resume: values.resume,
    };
    if (opts.timeout <= 0) throw new CLIError(`Expected --timeout to be more than 0: received ${JSON.stringify(values.timeout)}`);
    const urls = [...positionals];
    if (values.input !== undefined) urls.push(...(await readUrls(values.input, io)));
    if (urls.length === 0) throw new CLIError("Expected at least one URL (or -i FILE). Run `taskio fetch --help` for usage");
    const jobs = uniqueNames(urls.map(checkUrl));
    const dir = resolve(io.cwd, values.output ?? ".");
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new CLIError(`Cannot create the output directory: ${dir}: ${(error as Error).message}`);
    }
    for (const job of jobs) {
      // Belt and braces: the sanitised name can hold no separator, so this never fires.
      if (!resolve(dir, job.name).startsWith(dir + sep)) throw new CLIError(`Refusing to write outside ${dir}: ${job.name}`);
    }
    return run(() => fetchAll(jobs, dir, opts, io));
  },
};
