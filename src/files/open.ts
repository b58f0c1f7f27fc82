/**
 * {@link open}: opens a file as an {@link AsyncFile}. aiofiles: `aiofiles.open()`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { suspend, validateSignal } from "../core/suspend.js";
import { AsyncFile } from "./async-file.js";
import { parseMode, type BinaryMode, type OpenMode, type TextMode } from "./mode.js";
import * as fs from "node:fs";
import { systemError } from "./_internal/fs-ops.js";
import { textEncoding, type TextEncoding } from "./_internal/text.js";

/** Options for {@link open}. */
export interface OpenOptions {
  /**
   * The text encoding: `"utf-8"`, `"latin1"` or `"ascii"`. Binary modes take none.
   * @default "utf-8"
   */
  encoding?: string;
  /** Aborting it abandons the open (an fd that arrives later is closed). */
  signal?: AbortSignal;
}

/**
 * Opens `path` and returns an {@link AsyncFile}: text (strings) by default, binary
 * (`Uint8Array`s) when `mode` has a `b`. aiofiles: `aiofiles.open(path, mode, encoding=...)`;
 * `await using` plays the part of `async with`.
 *
 * Modes as in Python: `r` read (default), `w` write (truncates), `a` append, `x` create (fails
 * if the file exists); `+` adds the other direction; `b` binary, `t` text.
 *
 * Opening is cancellable: when the task is cancelled, `open` rejects with `CancelledError` at
 * once, and the file descriptor, if it arrives later, is closed.
 *
 * @param path The file's path (a string or a `file:` URL).
 * @param mode How to open it. @default "r"
 * @returns The open file; close it (`await using`, or `close()`).
 * @throws {TypeError} for a bad mode or encoding, before anything touches the file.
 * @throws Node's system errors naming the path: `ENOENT` (missing), `EISDIR` (a directory),
 * `EEXIST` (mode `x` on an existing file), `EACCES`...
 * @throws {CancelledError} when cancelled while opening.
 *
 * @example The seed's aiofiles example
 * ```ts
 * async function readFile(path: string): Promise<[string, number]> {
 *   await using file = await open(path, "r", { encoding: "utf-8" });
 *   const contents = await file.read();
 *   return [path, contents.length];
 * }
 * const results = await gather(...paths.map((p) => () => readFile(p)));
 * ```
 */
export function open(path: string | URL, mode?: TextMode, options?: OpenOptions): Promise<AsyncFile<string>>;
export function open(path: string | URL, mode: BinaryMode, options?: Omit<OpenOptions, "encoding">): Promise<AsyncFile<Uint8Array>>;
export function open(path: string | URL, mode: OpenMode, options?: OpenOptions): Promise<AsyncFile<string> | AsyncFile<Uint8Array>>;
export function open(path: string | URL, mode: OpenMode = "r", options?: OpenOptions): Promise<AsyncFile<string> | AsyncFile<Uint8Array>> {
  let suspension;
  let filePath: string;
  let parsed;
  let encoding: TextEncoding | undefined;
  try {
    filePath = toPath(path);
    try {
      parsed = parseMode(mode);
    } catch (error) {
      throw new TypeError(`${(error as Error).message} (opening '${filePath}'): nothing was opened or written`, { cause: error });
    }
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
    }
    if (parsed.binary) {
      if (options?.encoding !== undefined) {
        throw new TypeError(`Expected no 'encoding' in binary mode "${parsed.mode}": received ${JSON.stringify(options.encoding)}`);
      }
    } else {
      encoding = textEncoding(options?.encoding);
    }
    const signal = validateSignal(options?.signal);
    // A cancellation waits for the open in flight, and its fd is closed before the task sees it.
    suspension = suspend<AsyncFile<string> | AsyncFile<Uint8Array>>(`open '${filePath}'`, undefined, signal).deferCancellation();
  } catch (error) {
    return Promise.reject(error);
  }
  const s = suspension;
  const flags = parsed.flags;
  const needStat = parsed.readOnly || parsed.append;
  const m = parsed;
  // Callbacks, not promises: see the note on the operation queue in async-file.ts.
  fs.open(filePath, flags, 0o666, (openError, fd) => {
    if (openError !== null) {
      s.fail(openError);
      return;
    }
    if (!needStat) {
      if (!s.pending) return void fs.close(fd, () => s.fail(undefined));
      s.resume(new AsyncFile<string>(fd, filePath, m, encoding, -1, true));
      return;
    }
    fs.fstat(fd, (statError, stats) => {
      if (statError !== null || stats.isDirectory() || !s.pending) {
        const error = statError ?? systemError("EISDIR", "illegal operation on a directory", "open", filePath);
        fs.close(fd, () => s.fail(error));
        return;
      }
      s.resume(new AsyncFile<string>(fd, filePath, m, encoding, stats.size, stats.isFile()));
    });
  });
  return s.promise;
}

/** @internal */
export function toPath(path: unknown): string {
  if (typeof path === "string") {
    if (path.length === 0) throw new TypeError("Expected 'path' to be a non-empty string: received \"\"");
    return path;
  }
  if (path instanceof URL) {
    if (path.protocol !== "file:") {
      throw new TypeError(`Expected 'path' to be a string or a file: URL: received a ${path.protocol} URL (${path.href})`);
    }
    return fileURLToPath(path);
  }
  throw new TypeError(`Expected 'path' to be a string or a file: URL: received ${path === null ? "null" : typeof path}`);
}
