/**
 * `download()`: an HTTP body streamed to disk in constant memory, resumable, verified, and never
 * left truncated under its final name.
 *
 * The path from socket to file is deliberate. Usually the body is read on a socket of the
 * download's own (`raw-get.ts`: TCP or TLS) into a ring of reusable buffers, each handed back
 * once written. Otherwise undici's parser hands each body chunk to a {@link FileSink} (no
 * reader, no `Readable`, no copy). The sink gathers what arrived while the previous write was
 * running into one `writev` at an explicit file position; when more than `highWaterMark` bytes
 * wait for the disk (or the ring is used up), the socket is paused until the disk catches up:
 * memory stays bounded whatever the size.
 *
 * @module
 */

import type { Hash } from "node:crypto";
import { close as closeFd, open as openFd, type PathLike } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { describe as describeValue } from "../core/clock.js";
import { ClientPayloadError } from "../errors.js";
import { createHash, hashFile, mismatch, parseChecksum, verify, type Checksum } from "./checksum.js";
import { openSource } from "./download-source.js";
import { FileSink } from "./file-sink.js";
import type { ClientSession, RequestOptions } from "./session.js";

export type { Checksum } from "./checksum.js";

/** What `onProgress` is told, after each write to disk. */
export interface DownloadProgress {
  /** The URL requested. */
  readonly url: string;
  /** The final path. */
  readonly dest: string;
  /** Bytes in the file so far (a resumed download starts at `resumedFrom`). */
  readonly downloaded: number;
  /** The full size when the server announced it. */
  readonly total: number | undefined;
  /** Where a resumed download started (0 otherwise). */
  readonly resumedFrom: number;
}

/** Options of {@link download}: those of a request, plus the download's own. */
export interface DownloadOptions extends Omit<RequestOptions, "json" | "data"> {
  /**
   * Continue from `<dest>.part` with a `Range` request when the server allows it; a failed or
   * cancelled download then keeps its `.part` file for next time. @default false
   */
  resume?: boolean;
  /** Called after each write to disk. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Verify the file before it gets its final name (`ChecksumMismatchError` otherwise). */
  checksum?: Checksum;
  /** Bytes waiting for the disk before the socket is paused. @default 1048576 */
  highWaterMark?: number;
  /**
   * Receive the body on a socket of its own (TCP for `http:`, TLS for `https:`, verified with
   * the session's `tls` settings) that reads into a ring of reusable buffers (no allocation per
   * read: memory stays flat whatever the size). An error
   * status there is retried (after its `Retry-After`) or raised exactly as on the session, one
   * request per attempt; anything else unusual (a redirect, a chunked body) goes through the
   * session. @default true
   */
  fastPath?: boolean;
}

/** What {@link download} returns. */
export interface DownloadResult {
  /** The final path (absolute). */
  path: string;
  /** The URL of the response (after redirects). */
  url: string;
  /** The HTTP status (200, or 206 for a resumed download). */
  status: number;
  /** The file's size. */
  bytes: number;
  /** Bytes transferred by this call. */
  received: number;
  /** Where a resumed download started (0 if it started from scratch). */
  resumedFrom: number;
  /** The hex digest, when a checksum was verified. */
  checksum: string | undefined;
}

/**
 * Downloads `url` to `dest`: streamed to `<dest>.part` in constant memory, renamed to `dest`
 * only when complete (and verified). A failed or cancelled download never leaves a truncated
 * file under `dest`. aiohttp has no counterpart: it is the seed's section 7 loop
 * (`iter_chunked` + `aiofiles`) done once, properly.
 *
 * @param session The session to use (its timeouts, limits and retry apply).
 * @param url Absolute or relative to the session's `baseUrl`.
 * @param dest The file to create or replace.
 * @returns What was downloaded.
 * @throws {ClientResponseError} on a status of 400 or more.
 * @throws {ClientPayloadError} when the body broke off (with `resume`, the `.part` is kept).
 * @throws {ChecksumMismatchError} when the checksum differs (nothing is kept).
 * @throws {ClientTimeoutError} / {@link CancelledError} as the request does; the partial file is removed unless `resume`.
 * @throws {TypeError} / {RangeError} naming a bad option (before anything is sent or written).
 * @throws an `Error` with Node's `code` (`ENOENT`, `ENOTDIR`, `EISDIR`) and `path` when `dest`'s
 * directory is missing or `dest` is a directory (before anything is sent).
 *
 * @example A resumable, verified download with progress
 * ```ts
 * await using session = new ClientSession();
 * const result = await download(session, "http://127.0.0.1:8080/big.bin", "big.bin", {
 *   resume: true,
 *   checksum: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
 *   onProgress: ({ downloaded, total }) => console.log(downloaded, total),
 * });
 * ```
 */
export async function download(
  session: ClientSession,
  url: string | URL,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  if (typeof dest !== "string" || dest.length === 0) {
    throw new TypeError(`Expected 'dest' to be a file path: received ${describeValue(dest)}`);
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected the download options to be an object: received ${describeValue(options)}`);
  }
  for (const key of ["json", "data"]) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`Unknown option '${key}' for download(): a download sends a GET without a body; use session.post() to send one`);
    }
  }
  const { resume = false, onProgress, checksum, highWaterMark = 1 << 20, fastPath = true, ...request } = options;
  if (typeof highWaterMark !== "number" || !Number.isSafeInteger(highWaterMark) || highWaterMark <= 0) {
    throw new RangeError(`Expected 'highWaterMark' to be a positive integer of bytes: received ${describeValue(highWaterMark)}`);
  }
  for (const [name, value] of [["resume", resume], ["fastPath", fastPath]] as const) {
    if (typeof value !== "boolean") throw new TypeError(`Expected '${name}' to be true or false: received ${describeValue(value)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError(`Expected 'onProgress' to be a function: received ${describeValue(onProgress)}`);
  }
  const expected = checksum === undefined ? undefined : parseChecksum(checksum);
  const path = resolvePath(dest);
  await checkDest(dest, path);
  const part = `${path}.part`;
  let existing = resume ? await sizeOf(part) : 0;

  let source = await openSource(session, url, withRange(request, existing), fastPath);
  if (source.status === 416 && existing > 0) {
    const total = totalOf(source.header("content-range"));
    source.release();
    if (total !== existing) {
      existing = 0;
      source = await openSource(session, url, request, fastPath);
    } else {
      // The partial file is already complete: verify it and give it its name.
      const digest = expected === undefined ? undefined : await verify(part, expected, undefined, url);
      await rename(part, path);
      return { path, url: source.url, status: 416, bytes: existing, received: 0, resumedFrom: existing, checksum: digest };
    }
  }
  try {
    source.raiseForStatus();
  } catch (error) {
    if (!resume) await removeQuietly(part);
    throw error;
  }
  const resumed = existing > 0 && source.status === 206 && rangeStart(source.header("content-range")) === existing;
  const start = resumed ? existing : 0;
  const total = source.status === 206 ? totalOf(source.header("content-range")) : source.contentLength;
  let hash: Hash | undefined;
  if (expected !== undefined) {
    hash = createHash(expected.algorithm);
    if (resumed) {
      try {
        await hashFile(part, hash);
      } catch (error) {
        source.release();
        throw error;
      }
    }
  }

  let fd: number;
  try {
    fd = await openFile(part, resumed ? "r+" : "w");
  } catch (error) {
    source.release();
    throw error;
  }
  const sink = new FileSink(fd, start, highWaterMark, source.sinkSource, hash, () =>
    onProgress?.({ url: String(url), dest: path, downloaded: sink.position, total, resumedFrom: start }),
  );
  let ok = false;
  try {
    await source.start(sink, request.signal);
    ok = true;
  } finally {
    if (!ok) source.release();
    await sink.idle();
    await closeQuietly(fd);
    if (!ok && !resume) await removeQuietly(part);
  }
  if (total !== undefined && sink.position !== total) {
    if (!resume) await removeQuietly(part);
    throw new ClientPayloadError(`The download ended early: ${sink.position} of ${total} bytes: GET ${source.url}`, {
      method: "GET",
      url: source.url,
    });
  }
  let digest: string | undefined;
  if (expected !== undefined && hash !== undefined) {
    digest = hash.digest("hex");
    if (digest !== expected.digest) {
      await removeQuietly(part);
      throw mismatch(expected, digest, source.url);
    }
  }
  await rename(part, path);
  return {
    path,
    url: source.url,
    status: source.status,
    bytes: sink.position,
    received: sink.position - start,
    resumedFrom: start,
    checksum: digest,
  };
}

/** Refuses, before the request, a `dest` that cannot be created: a missing directory, a directory. */
async function checkDest(dest: string, path: string): Promise<void> {
  const dir = dirname(path);
  const fail = (code: string, syscall: string, file: string, message: string): never => {
    const error = new Error(message) as Error & { code: string; syscall: string; path: string };
    error.code = code;
    error.syscall = syscall;
    error.path = file;
    throw error;
  };
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "ENOENT";
    return fail(code, "stat", dir, `Cannot download to ${JSON.stringify(dest)}: its directory ${JSON.stringify(dir)} does not exist (${code}): create it first or choose another 'dest'`);
  }
  if (!info.isDirectory()) {
    return fail("ENOTDIR", "stat", dir, `Cannot download to ${JSON.stringify(dest)}: ${JSON.stringify(dir)} is not a directory (ENOTDIR): choose another 'dest'`);
  }
  let target;
  try {
    target = await stat(path);
  } catch {
    return; // Not there yet: the usual case.
  }
  if (target.isDirectory()) {
    fail("EISDIR", "open", path, `Cannot download to ${JSON.stringify(dest)}: it is a directory (EISDIR): give 'dest' a file name inside it, such as ${JSON.stringify(`${dest.replace(/[/\\]+$/, "")}/file`)}`);
  }
}

function withRange(request: RequestOptions, from: number): RequestOptions {
  if (from <= 0) return request;
  const headers: Record<string, string> = {};
  const given = request.headers;
  if (given !== undefined) {
    const entries = given instanceof Headers ? given.entries() : Array.isArray(given) ? given : Object.entries(given);
    for (const [k, v] of entries as Iterable<readonly [string, string]>) headers[k] = v;
  }
  headers.range = `bytes=${from}-`;
  return { ...request, headers };
}

function rangeStart(contentRange: string | undefined): number | undefined {
  const match = /^bytes\s+(\d+)-\d+\/(\d+|\*)$/i.exec(contentRange?.trim() ?? "");
  return match === null ? undefined : Number(match[1]);
}

function totalOf(contentRange: string | undefined): number | undefined {
  const match = /\/(\d+)\s*$/.exec(contentRange ?? "");
  return match === null ? undefined : Number(match[1]);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function openFile(file: PathLike, flags: string): Promise<number> {
  return new Promise<number>((resolve, reject) => openFd(file, flags, 0o666, (error, fd) => (error === null ? resolve(fd) : reject(error))));
}

function closeQuietly(fd: number): Promise<void> {
  return new Promise<void>((resolve) => closeFd(fd, () => resolve()));
}

async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch {
    // Already gone.
  }
}
