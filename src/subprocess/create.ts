/**
 * {@link createSubprocessExec} and {@link createSubprocessShell}: start a child process.
 * asyncio: `asyncio.create_subprocess_exec()` / `create_subprocess_shell()`.
 *
 * @module
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync, fstatSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkpoint, validateSignal } from "../core/suspend.js";
import { DEVNULL, INHERIT, PIPE, STDOUT, type StderrOption, type StdioOption } from "./constants.js";
import { Process } from "./process.js";

/** Options for {@link createSubprocessExec} and {@link createSubprocessShell}. */
export interface SubprocessOptions {
  /** The child's stdin: `PIPE` gives `proc.stdin`. @default INHERIT */
  stdin?: StdioOption;
  /** The child's stdout: `PIPE` gives `proc.stdout`. @default INHERIT */
  stdout?: StdioOption;
  /** The child's stderr: `PIPE` gives `proc.stderr`; `STDOUT` merges it into stdout. @default INHERIT */
  stderr?: StderrOption;
  /** The working directory. @default the parent's */
  cwd?: string | URL;
  /** The whole environment (it replaces the parent's, as in Python). @default process.env */
  env?: Record<string, string | undefined>;
  /** The `limit` of the stdout/stderr readers (the longest line `readLine` accepts). @default 65536 */
  limit?: number;
  /** Aborting it stops the process tree (SIGTERM, then SIGKILL after `gracePeriod`). */
  signal?: AbortSignal;
  /**
   * How long a cancelled process tree gets between SIGTERM and SIGKILL, in milliseconds.
   * @default 5000
   */
  gracePeriod?: number;
}

/**
 * Starts `program` with `args` (no shell: nothing is interpreted) and returns its
 * {@link Process}. asyncio: `asyncio.create_subprocess_exec(program, *args, stdout=PIPE, ...)`.
 *
 * The child gets its own process group, so that cancelling stops its descendants too.
 *
 * @param program The program: a name looked up on `PATH`, or a path.
 * @param args Its arguments.
 * @returns The started process.
 * @throws {TypeError} for bad arguments or options.
 * @throws an error naming the program when it cannot be started (`code` `ENOENT` when it does not
 * exist, `EACCES` when it is not executable).
 * @throws {CancelledError} when the task was already cancelled (nothing is started).
 * @example Running a command and reading its output line by line
 * ```ts
 * await using proc = await createSubprocessExec("ls", ["-l"], { stdout: PIPE });
 * for await (const line of proc.stdout!) console.log(line.toString().trimEnd());
 * console.log("exit code", await proc.wait());
 * ```
 */
export function createSubprocessExec(program: string, args: readonly string[] = [], options?: SubprocessOptions): Promise<Process> {
  try {
    if (typeof program !== "string" || program.length === 0) {
      throw new TypeError(`Expected 'program' to be a non-empty string: received ${describe(program)}`);
    }
    if (!Array.isArray(args) || args.some((arg) => typeof arg !== "string")) {
      throw new TypeError(`Expected 'args' to be an array of strings: received ${describe(args)}`);
    }
    return start(program, program, args, options, false);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `command` through the shell (`/bin/sh -c` on POSIX, `cmd.exe` on Windows) and returns its
 * {@link Process}. asyncio: `asyncio.create_subprocess_shell()`.
 *
 * Use it only when shell features are wanted (pipes, globs, redirections): never put untrusted
 * text in `command`. {@link createSubprocessExec} runs a program without a shell.
 *
 * @example A pipeline
 * ```ts
 * await using proc = await createSubprocessShell("sort data.txt | uniq -c", { stdout: PIPE });
 * const { stdout } = await proc.communicate();
 * ```
 */
export function createSubprocessShell(command: string, options?: SubprocessOptions): Promise<Process> {
  try {
    if (typeof command !== "string" || command.length === 0) {
      throw new TypeError(`Expected 'command' to be a non-empty string: received ${describe(command)}`);
    }
    if (process.platform === "win32") {
      return start(command, process.env["ComSpec"] ?? "cmd.exe", ["/d", "/s", "/c", `"${command}"`], options, true);
    }
    const merged = options?.stderr === STDOUT;
    return start(command, "/bin/sh", ["-c", merged ? `exec 2>&1\n${command}` : command], options, true);
  } catch (error) {
    return Promise.reject(error);
  }
}

function start(
  label: string,
  program: string,
  args: readonly string[],
  options: SubprocessOptions | undefined,
  shell: boolean,
): Promise<Process> {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(`Expected 'options' to be an object: received ${describe(options)}`);
  }
  const stdin = stdio(options?.stdin, "stdin");
  const stdout = stdio(options?.stdout, "stdout");
  const merge = options?.stderr === STDOUT;
  const stderr = merge ? "ignore" : stdio(options?.stderr, "stderr");
  const limit = options?.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new RangeError(`Expected 'limit' to be a positive integer: received ${String(limit)}`);
  }
  const gracePeriod = options?.gracePeriod ?? 5000;
  if (typeof gracePeriod !== "number" || !(gracePeriod >= 0) || gracePeriod > 2 ** 31 - 1) {
    throw new RangeError(`Expected 'gracePeriod' to be a number of milliseconds from 0 to 2147483647: received ${String(gracePeriod)}`);
  }
  const cwd = options?.cwd instanceof URL ? fileURLToPath(options.cwd) : options?.cwd;
  if (cwd !== undefined && typeof cwd !== "string") throw new TypeError(`Expected 'cwd' to be a string or a URL: received ${describe(cwd)}`);
  const env = options?.env;
  if (env !== undefined && (env === null || typeof env !== "object")) {
    throw new TypeError(`Expected 'env' to be an object: received ${describe(env)}`);
  }
  const signal = validateSignal(options?.signal);
  checkpoint(signal);

  let file = program;
  let argv = args;
  if (merge && !shell) {
    if (process.platform === "win32") throw new TypeError("stderr: STDOUT is not supported on Windows: use PIPE for both");
    // Node cannot dup2 one child pipe onto another: a shell does it, then execs the program in
    // place (same pid, same group), so stdout and stderr share one pipe in the child's order.
    const resolved = resolveProgram(program, env ?? process.env, cwd);
    if (resolved === undefined) throw notFound(program, cwd, undefined);
    file = "/bin/sh";
    argv = ["-c", 'exec "$@" 2>&1', "sh", resolved, ...args];
  }

  let child: ChildProcess;
  try {
    child = spawn(file, argv, {
      stdio: [stdin, stdout, stderr] as StdioOptions,
      ...(cwd === undefined ? {} : { cwd }),
      ...(env === undefined ? {} : { env }),
      detached: true,
      windowsHide: true,
    });
  } catch (error) {
    throw spawnError(label, error, cwd);
  }
  if (child.pid === undefined) {
    // Node reports a failed spawn (ENOENT, EACCES...) on the next tick: turn it into one clear error.
    return new Promise<Process>((_resolve, reject) => {
      child.once("error", (error) => reject(spawnError(label, error, cwd)));
    });
  }
  const proc = new Process({
    child,
    program: label,
    pipes: { stdin: stdin === "pipe", stdout: stdout === "pipe", stderr: stderr === "pipe" },
    limit,
    gracePeriod,
    signal,
  });
  return Promise.resolve(proc);
}

function stdio(value: unknown, name: string): "pipe" | "ignore" | "inherit" | number {
  if (value === undefined || value === INHERIT) return "inherit";
  if (value === PIPE) return "pipe";
  if (value === DEVNULL) return "ignore";
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    try {
      fstatSync(value);
    } catch (error) {
      // Else spawn fails with a bare EBADF that blames the program.
      throw new TypeError(`Expected '${name}' to be an open file descriptor: received ${value}, which is not open`, { cause: error });
    }
    return value;
  }
  throw new TypeError(
    `Expected '${name}' to be PIPE, DEVNULL, INHERIT${name === "stderr" ? ", STDOUT" : ""} or a file descriptor: received ${describe(value)}`,
  );
}

/** Looks `program` up like execvp does (a name on PATH, or a path). */
function resolveProgram(program: string, env: Record<string, string | undefined>, cwd: string | undefined): string | undefined {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes("/")) {
    const path = cwd !== undefined && !program.startsWith("/") ? join(cwd, program) : program;
    return executable(path) ? path : undefined;
  }
  for (const dir of (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, program);
    if (executable(path)) return path;
  }
  return undefined;
}

interface SystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  spawnargs?: string[];
}

function notFound(program: string, cwd: string | undefined, cause: unknown): SystemError {
  const missingCwd = cwd !== undefined && !existsSync(cwd);
  const error: SystemError = new Error(
    missingCwd
      ? `Cannot run ${JSON.stringify(program)}: the working directory does not exist: '${cwd}'`
      : `Cannot run ${JSON.stringify(program)}: no such program (ENOENT): check its name and PATH`,
    cause === undefined ? undefined : { cause },
  );
  error.code = "ENOENT";
  error.syscall = "spawn";
  error.path = program;
  return error;
}

function spawnError(program: string, cause: unknown, cwd: string | undefined): unknown {
  const original = cause as SystemError;
  if (typeof original !== "object" || original === null) return cause;
  if (original.code === "ENOENT") {
    const error = notFound(program, cwd, cause);
    if (original.errno !== undefined) error.errno = original.errno;
    return error;
  }
  let what = original.code === "EACCES" ? "permission denied (EACCES): is it executable?" : original.message;
  if (original.code === "ENOTDIR" && cwd !== undefined && !isDirectory(cwd)) {
    what = `the working directory is not a directory (ENOTDIR): '${cwd}'`;
  }
  const error: SystemError = new Error(`Cannot run ${JSON.stringify(program)}: ${what}`, { cause });
  if (original.code !== undefined) error.code = original.code;
  if (original.errno !== undefined) error.errno = original.errno;
  error.syscall = original.syscall ?? "spawn";
  error.path = program;
  return error;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return "an array with a non-string item";
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}
