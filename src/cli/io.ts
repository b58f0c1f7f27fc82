/** What a CLI command reads and writes: injectable, so commands are tested in-process. */
export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A usage or input error: printed as one line, exit code 2 (1 with `exitCode: 1`). */
export class CLIError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "CLIError";
    this.exitCode = exitCode;
  }
}

/** One `taskio` subcommand, in `src/cli/commands/<name>.ts`. */
export interface Command {
  /** One line for `taskio --help`. */
  summary: string;
  /** The full usage text for `taskio <name> --help`. */
  usage: string;
  /** Runs the command; returns the exit code. Throws `CLIError` for bad input. */
  run(args: string[], io: CliIO): Promise<number>;
}

/**
 * Parses a duration: `500` or `500ms` (milliseconds), `2s`, `1.5m`, `1h`.
 * @throws {CLIError} naming the flag when the value is not a duration.
 */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (match === null) {
    throw new CLIError(`Expected ${flag} to be a duration such as 500ms, 2s or 1m: received ${JSON.stringify(value)}`);
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return amount * factor;
}

/**
 * Parses a non-negative integer flag value (`-j 4`, `--retries 3`).
 * @throws {CLIError} naming the flag.
 */
export function parseCount(value: string, flag: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CLIError(`Expected ${flag} to be an integer from ${min} to ${max}: received ${JSON.stringify(value)}`);
  }
  return n;
}
