/**
 * `download()`: an HTTP body streamed to disk in constant memory, resumable, verified, and never
 * left truncated under its final name.
 *
 * The path from socket to file is deliberate: undici's parser hands each body chunk to a
 * {@link FileSink} (no reader, no `Readable`, no copy), which gathers what arrived while the
 * previous write was running into one `writev` at an explicit file position. When more than
 * `highWaterMark` bytes wait for the disk, the socket is paused (undici's own pause) until the
 * disk catches up: memory stays bounded whatever the size.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { createReadStream, writev, close as closeFd, open as openFd, type PathLike } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { CancelledError, ChecksumMismatchError, ClientPayloadError } from "../errors.js";
import { suspend, type Suspension } from "../core/suspend.js";
import { cancellable } from "../core/shield.js";
import { getClock } from "../core/task.js";
import type { BodySink } from "./exchange.js";
import { rawGet, type RawResponse, type SinkSource } from "./raw-get.js";
import type { ClientResponse } from "./response.js";
import type { ClientSession, RequestOptions } from "./session.js";

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

/** A checksum to verify: `"sha256:<hex>"` or `{ algorithm: "sha256", digest: "<hex>" }`. */
export type Checksum = string | { algorithm: string; digest: string };

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
   * For plain `http:` URLs, receive the body on a socket of its own that reads into a ring of
   * reusable buffers (no allocation per read: memory stays flat whatever the size). Anything
   * unusual (a redirect, an error status, a chunked body) goes through the session. @default true
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
    throw new TypeError(`Expected 'dest' to be a file path: received ${JSON.stringify(dest)}`);
  }
  const { resume = false, onProgress, checksum, highWaterMark = 1 << 20, fastPath = true, ...request } = options;
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark <= 0) {
    throw new RangeError(`Expected 'highWaterMark' to be a positive integer: received ${String(highWaterMark)}`);
  }
  const expected = checksum === undefined ? undefined : parseChecksum(checksum);
  const path = resolvePath(dest);
  const part = `${path}.part`;
  let existing = resume ? await sizeOf(part) : 0;

  let source = await open(session, url, withRange(request, existing), fastPath);
  if (source.status === 416 && existing > 0) {
    const total = totalOf(source.header("content-range"));
    source.release();
    if (total !== existing) {
      existing = 0;
      source = await open(session, url, request, fastPath);
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

/**
 * The bounded path from undici to the file: chunks queue up while a write runs, and each write
 * takes everything queued in one `writev`.
 */
class FileSink implements BodySink {
  position: number;
  #fd: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #writing = false;
  #ended = false;
  #error: unknown = undefined;
  #highWaterMark: number;
  #source: SinkSource;
  #hash: Hash | undefined;
  #progress: () => void;
  #waiter: Suspension<void> | undefined = undefined;
  #attached = false;
  #idle: (() => void) | undefined = undefined;

  constructor(fd: number, position: number, hwm: number, source: SinkSource, hash: Hash | undefined, progress: () => void) {
    this.#fd = fd;
    this.position = position;
    this.#highWaterMark = hwm;
    this.#source = source;
    this.#hash = hash;
    this.#progress = progress;
  }

  /** Starts waiting for the end; returns the promise that settles when all is on disk. */
  attach(signal: AbortSignal | undefined): Promise<void> {
    const s = suspend<void>(`download to file (fd ${this.#fd})`, this.#abandon, signal);
    this.#waiter = s;
    this.#attached = true;
    this.#check();
    return s.promise;
  }

  #abandon = (): void => {
    this.#waiter = undefined;
    this.#error ??= new CancelledError("The download was cancelled");
    this.#queue = [];
    this.#queued = 0;
    this.#source.abort(new CancelledError(`The download was cancelled: ${this.#source.label}`));
  };

  write(chunk: Buffer): boolean {
    if (this.#error !== undefined) return true;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (!this.#writing) this.#flush();
    return this.#queued < this.#highWaterMark;
  }

  end(): void {
    this.#ended = true;
    this.#check();
  }

  fail(error: unknown): void {
    this.#error ??= error;
    this.#queue = [];
    this.#queued = 0;
    this.#check();
  }

  #flush(): void {
    const chunks = this.#queue;
    const bytes = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#writing = true;
    const hash = this.#hash;
    if (hash !== undefined) for (const chunk of chunks) hash.update(chunk);
    this.#writeAll(chunks, bytes, chunks);
  }

  #writeAll(chunks: Buffer[], bytes: number, batch: Buffer[]): void {
    writev(this.#fd, chunks, this.position, (error, written) => {
      if (error !== null) {
        this.#writing = false;
        this.#error ??= error;
        this.#source.abort(error);
        this.#check();
        return;
      }
      this.position += written;
      if (written < bytes) {
        // A short write: send the rest, from where it stopped.
        this.#writeAll(rest(chunks, written), bytes - written, batch);
        return;
      }
      this.#writing = false;
      const recycle = this.#source.recycle;
      if (recycle !== undefined) for (const chunk of batch) recycle.call(this.#source, chunk);
      if (this.#error === undefined) this.#progress();
      if (this.#queued > 0 && this.#error === undefined) this.#flush();
      else this.#check();
      if (this.#queued < this.#highWaterMark) this.#source.resume();
    });
  }

  /** Settles the download when nothing is left to write. */
  #check(): void {
    if (this.#writing) return;
    const idle = this.#idle;
    if (idle !== undefined) {
      this.#idle = undefined;
      idle();
    }
    if (!this.#attached) return;
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#error !== undefined) {
      this.#waiter = undefined;
      waiter.fail(this.#error);
    } else if (this.#ended && this.#queued === 0) {
      this.#waiter = undefined;
      waiter.resume();
    }
  }

  /** Resolves when no write is running (so the file can be closed). */
  idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }
}

function rest(chunks: Buffer[], written: number): Buffer[] {
  let skip = written;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    out.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return out;
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

function parseChecksum(checksum: Checksum): { algorithm: string; digest: string } {
  let algorithm: string;
  let digest: string;
  if (typeof checksum === "string") {
    const index = checksum.indexOf(":");
    if (index <= 0) {
      throw new TypeError(`Expected 'checksum' to look like "sha256:<hex>": received ${JSON.stringify(checksum)}`);
    }
    algorithm = checksum.slice(0, index);
    digest = checksum.slice(index + 1);
  } else if (typeof checksum === "object" && checksum !== null) {
    algorithm = checksum.algorithm;
    digest = checksum.digest;
  } else {
    throw new TypeError(`Expected 'checksum' to be a string or { algorithm, digest }: received ${typeof checksum}`);
  }
  algorithm = algorithm.toLowerCase();
  try {
    createHash(algorithm);
  } catch {
    throw new TypeError(`Expected 'checksum' to name a hash algorithm such as sha256: received ${JSON.stringify(algorithm)}`);
  }
  if (!/^[0-9a-fA-F]+$/.test(digest)) {
    throw new TypeError(`Expected the checksum digest to be hexadecimal: received ${JSON.stringify(digest)}`);
  }
  return { algorithm, digest: digest.toLowerCase() };
}

function mismatch(expected: { algorithm: string; digest: string }, actual: string, url: string): ChecksumMismatchError {
  return new ChecksumMismatchError(
    `The downloaded file's ${expected.algorithm} differs: expected ${expected.digest}, got ${actual}: GET ${url}`,
    { expected: expected.digest, actual, method: "GET", url },
  );
}

async function verify(
  file: string,
  expected: { algorithm: string; digest: string },
  hash: Hash | undefined,
  url: string | URL,
): Promise<string> {
  const h = hash ?? createHash(expected.algorithm);
  await hashFile(file, h);
  const digest = h.digest("hex");
  if (digest !== expected.digest) {
    await removeQuietly(file);
    throw mismatch(expected, digest, String(url));
  }
  return digest;
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    await cancellable(
      (async () => {
        for await (const chunk of stream) hash.update(chunk as Buffer);
      })(),
    );
  } finally {
    stream.destroy();
  }
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

/** Where the body comes from: a session response, or the fast path's own socket. */
interface Source {
  readonly status: number;
  readonly url: string;
  readonly contentLength: number | undefined;
  readonly sinkSource: SinkSource;
  header(name: string): string | undefined;
  raiseForStatus(): void;
  release(): void;
  /** Streams the body into `sink`; resolves when all of it is on disk. */
  start(sink: FileSink, signal: AbortSignal | undefined): Promise<void>;
}

async function open(session: ClientSession, url: string | URL, request: RequestOptions, fastPath: boolean): Promise<Source> {
  const plan = fastPath ? session._rawPlan(url, request) : undefined;
  if (plan !== undefined) {
    const raw = await rawGet(plan, getClock(), request.signal);
    if (raw !== undefined) return rawSource(raw);
  }
  return responseSource(await session.get(url, request));
}

function rawSource(raw: RawResponse): Source {
  return {
    status: raw.status,
    url: raw.url,
    contentLength: raw.contentLength,
    sinkSource: raw,
    header: (name) => raw.header(name),
    raiseForStatus: () => undefined,
    release: () => raw.release(),
    start: (sink, signal) => {
      const finished = sink.attach(signal);
      raw.start(sink);
      return finished;
    },
  };
}

function responseSource(response: ClientResponse): Source {
  const exchange = response._exchange;
  return {
    status: response.status,
    url: response.url,
    contentLength: response.contentLength,
    sinkSource: exchange,
    header: (name) => response._header(name),
    raiseForStatus: () => response.raiseForStatus(),
    release: () => response.release(),
    start: async (sink, signal) => {
      // What the reader already holds goes first (reading it may let undici deliver more, so loop).
      const content = response.content;
      while (content.buffered > 0) sink.write(await content.read(content.buffered));
      const finished = sink.attach(signal);
      exchange.setSink(sink);
      await finished;
    },
  };
}
