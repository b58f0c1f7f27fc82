/**
 * Where a child's stdin, stdout and stderr go. asyncio: `asyncio.subprocess.PIPE`, `DEVNULL`,
 * `STDOUT`; "inherit" is asyncio's `None` (the default).
 *
 * @module
 */

/** A pipe to the parent: `proc.stdin` / `proc.stdout` / `proc.stderr`. asyncio: `PIPE`. */
export const PIPE = "pipe";
/** The null device. asyncio: `DEVNULL`. */
export const DEVNULL = "devnull";
/** For `stderr` only: into the same place as stdout (one ordered stream). asyncio: `STDOUT`. */
export const STDOUT = "stdout";
/** The parent's own stream (the default). asyncio: `None`. */
export const INHERIT = "inherit";

/** What `stdin` / `stdout` accept: one of the constants, or an open file descriptor. */
export type StdioOption = typeof PIPE | typeof DEVNULL | typeof INHERIT | number;
/** What `stderr` accepts: also {@link STDOUT}. */
export type StderrOption = StdioOption | typeof STDOUT;
