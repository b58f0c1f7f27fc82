/**
 * The body of an HTTP response as a stream: `response.content`. aiohttp: `resp.content`, a
 * `StreamReader`.
 *
 * Why a reader of its own rather than a Node `Readable` wrapped in a `StreamReader`: undici hands
 * the session each body chunk through its dispatch handler (`onData`), and the fastest and
 * leanest path is to keep those chunks in a small queue here, with undici's own `pause`/`resume`
 * as backpressure. No `Readable`, no extra buffering, no copy. The reading API is the one of
 * taskio's `StreamReader` (`read`, `readLine`, `readExactly`, `readUntil`, `atEof`) plus
 * aiohttp's `iterChunked(n)` and `iterAny()`; errors are the same classes.
 *
 * @module
 */

import { IncompleteReadError, InvalidStateError, LimitOverrunError } from "../errors.js";
import { checkpoint, suspend, type Suspension } from "../core/suspend.js";

const EMPTY = Buffer.alloc(0);

/** @internal What the content reader needs from the exchange that feeds it. */
export interface ContentSource {
  /** Asks undici for more data after a pause. */
  resume(): void;
  /** Tells the exchange a consumer is waiting (the sockRead timer runs only then). */
  readonly label: string;
}

/**
 * A response body, read incrementally. aiohttp: `aiohttp.StreamReader` (`resp.content`).
 *
 * Every read waits without blocking, is cancellable (cancelling a read loses no byte: what was
 * buffered stays buffered), and only one read may wait at a time. The buffer is bounded: when it
 * holds `highWaterMark` bytes, the socket is paused until the reader catches up.
 *
 * @example Streaming a body in 64 KiB pieces (the seed's `iter_chunked`)
 * ```ts
 * await using resp = await session.get(url);
 * for await (const chunk of resp.content.iterChunked(64 * 1024)) await file.write(chunk);
 * ```
 */
export class ResponseContent implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #head = 0;
  #size = 0;
  #eof = false;
  #error: unknown = undefined;
  #waiter: Suspension<void> | undefined = undefined;
  #paused = false;
  #source: ContentSource;
  #highWaterMark: number;
  #limit: number;
  #total = 0;

  /** @internal */
  constructor(source: ContentSource, highWaterMark: number, limit: number) {
    this.#source = source;
    this.#highWaterMark = highWaterMark;
    this.#limit = limit;
  }

  // ----- fed by the exchange --------------------------------------------------------------

  /** @internal Appends a chunk; returns false to pause the socket. */
  _feed(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    this.#total += chunk.length;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resume();
    }
    if (this.#size >= this.#highWaterMark) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  /** @internal The body is complete. */
  _end(): void {
    this.#eof = true;
    this.#wake();
  }

  /** @internal The body broke off (or the exchange was aborted). */
  _fail(error: unknown): void {
    if (this.#eof) return;
    this.#eof = true;
    this.#error = error;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resume();
    }
  }

  // ----- internal helpers -------------------------------------------------------------------

  /** Bytes received so far (the whole body, not what is buffered). */
  get bytesReceived(): number {
    return this.#total;
  }

  /** Bytes buffered and not yet read. */
  get buffered(): number {
    return this.#size;
  }

  /** True when the body is complete and every byte was read. asyncio: `at_eof()`. */
  atEof(): boolean {
    return this.#eof && this.#size === 0;
  }

  /** True when the whole body has arrived (read or not) or the body failed. @internal */
  get _complete(): boolean {
    return this.#eof;
  }

  /** @internal The failure, if the body failed. */
  get _error(): unknown {
    return this.#error;
  }

  #afterTake(): void {
    if (this.#paused && this.#size < this.#highWaterMark) {
      this.#paused = false;
      this.#source.resume();
    }
  }

  /** Waits until more data, the end, or an error arrives. */
  #wait(what: string, signal: AbortSignal | undefined): Promise<void> {
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new InvalidStateError(`Another read is already waiting on this response body: await it before calling ${what}`),
      );
    }
    let s: Suspension<void>;
    try {
      s = suspend<void>(() => `${what} on ${this.#source.label}`, this.#forget, signal);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#waiter = s;
    return s.promise;
  }

  #forget = (s: Suspension<void>): void => {
    if (this.#waiter === s) this.#waiter = undefined;
  };

  #throwIfFailed(): void {
    if (this.#error !== undefined && this.#size === 0) throw this.#error;
  }

  /** Removes up to `n` bytes from the front of the buffer. */
  #take(n: number): Buffer {
    const first = this.#chunks[this.#head] as Buffer;
    let out: Buffer;
    if (first.length <= n) {
      this.#chunks[this.#head++] = EMPTY;
      out = first;
    } else {
      out = first.subarray(0, n);
      this.#chunks[this.#head] = first.subarray(n);
    }
    this.#size -= out.length;
    this.#compact();
    return out;
  }

  /** Removes everything buffered, as a list of chunks. @internal */
  _takeAll(): Buffer[] {
    const out = this.#head === 0 ? this.#chunks : this.#chunks.slice(this.#head);
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
    this.#afterTake();
    return out;
  }

  #takeBytes(n: number): Buffer {
    if (n >= this.#size) return concat(this._takeAll());
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const part = this.#take(left);
      parts.push(part);
      left -= part.length;
    }
    this.#afterTake();
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Finds `sep` in the buffer; returns the end offset (after sep) or -1. */
  #find(sep: Buffer): number {
    if (this.#size === 0) return -1;
    const live = this.#head === 0 ? this.#chunks : this.#chunks.slice(this.#head);
    if (live.length > 1) {
      const joined = Buffer.concat(live);
      this.#chunks = [joined];
      this.#head = 0;
    }
    const index = (this.#chunks[this.#head] as Buffer).indexOf(sep);
    return index < 0 ? -1 : index + sep.length;
  }

  // ----- the reading API --------------------------------------------------------------------

  /**
   * Reads up to `n` bytes (at least one unless the body ended), or with `n = -1` (the default)
   * everything up to the end. asyncio: `StreamReader.read(n)`.
   * @returns An empty buffer at the end of the body.
   * @throws {ClientPayloadError} if the body broke off; {@link ClientTimeoutError} if a timeout fired.
   */
  async read(n = -1, options?: { signal?: AbortSignal }): Promise<Buffer> {
    if (n === 0) return EMPTY;
    if (n < 0) {
      const parts: Buffer[] = [];
      for (;;) {
        checkpoint(options?.signal);
        if (this.#size > 0) for (const part of this._takeAll()) parts.push(part);
        if (this.#eof) {
          if (this.#error !== undefined) throw this.#error;
          return concat(parts);
        }
        await this.#wait("read()", options?.signal);
      }
    }
    for (;;) {
      checkpoint(options?.signal);
      if (this.#size > 0) return this.#takeBytes(n);
      this.#throwIfFailed();
      if (this.#eof) return EMPTY;
      await this.#wait("read(n)", options?.signal);
    }
  }

  /**
   * Reads whatever is buffered (waiting for at least one chunk). aiohttp: `readany()`.
   * @returns An empty buffer at the end of the body.
   */
  async readAny(options?: { signal?: AbortSignal }): Promise<Buffer> {
    for (;;) {
      checkpoint(options?.signal);
      if (this.#size > 0) {
        const chunks = this._takeAll();
        return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      }
      this.#throwIfFailed();
      if (this.#eof) return EMPTY;
      await this.#wait("readAny()", options?.signal);
    }
  }

  /**
   * Reads exactly `n` bytes. asyncio: `readexactly()`.
   * @throws {IncompleteReadError} with `.partial` if the body ends first.
   */
  async readExactly(n: number, options?: { signal?: AbortSignal }): Promise<Buffer> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`Expected 'n' to be a non-negative integer: received ${String(n)}`);
    }
    for (;;) {
      checkpoint(options?.signal);
      if (this.#size >= n) return this.#takeBytes(n);
      if (this.#eof) {
        if (this.#error !== undefined) throw this.#error;
        throw new IncompleteReadError(concat(this._takeAll()), n);
      }
      await this.#wait("readExactly()", options?.signal);
    }
  }

  /**
   * Reads up to and including `separator`. asyncio: `readuntil()`.
   * @throws {IncompleteReadError} if the body ends first; {@link LimitOverrunError} when no
   * separator is found within the reader's limit (64 KiB by default).
   */
  async readUntil(separator: string | Uint8Array = "\n", options?: { signal?: AbortSignal }): Promise<Buffer> {
    const sep = typeof separator === "string" ? Buffer.from(separator) : Buffer.from(separator);
    if (sep.length === 0) throw new RangeError("Expected 'separator' to contain at least one byte: received an empty one");
    for (;;) {
      checkpoint(options?.signal);
      const end = this.#find(sep);
      if (end >= 0) {
        if (end > this.#limit) {
          throw new LimitOverrunError(
            `A line is longer than the limit: separator found after ${end} bytes, limit ${this.#limit}`,
            end,
          );
        }
        return this.#takeBytes(end);
      }
      if (this.#size > this.#limit) {
        throw new LimitOverrunError(
          `A line is longer than the limit: no separator in ${this.#size} bytes, limit ${this.#limit}`,
          this.#size,
        );
      }
      if (this.#eof) {
        if (this.#error !== undefined) throw this.#error;
        throw new IncompleteReadError(concat(this._takeAll()), undefined);
      }
      await this.#wait("readUntil()", options?.signal);
    }
  }

  /**
   * Reads one line, `\n` included; at the end of the body, what is left (possibly empty).
   * asyncio: `readline()`.
   * @throws {LimitOverrunError} when a line is longer than the limit.
   */
  async readLine(options?: { signal?: AbortSignal }): Promise<Buffer> {
    try {
      return await this.readUntil("\n", options);
    } catch (error) {
      if (error instanceof IncompleteReadError) return Buffer.from(error.partial);
      throw error;
    }
  }

  /**
   * Yields the body in pieces of at most `n` bytes as they arrive. aiohttp: `iter_chunked(n)`.
   * @example Hashing a body without holding it
   * ```ts
   * for await (const chunk of resp.content.iterChunked(64 * 1024)) hash.update(chunk);
   * ```
   */
  async *iterChunked(n: number): AsyncGenerator<Buffer, void, undefined> {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`Expected 'n' to be a positive integer: received ${String(n)}`);
    }
    for (;;) {
      const chunk = await this.read(n);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** Yields whatever arrives, as soon as it arrives. aiohttp: `iter_any()`. */
  async *iterAny(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.readAny();
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** Iterates the body line by line (`\n` included), as aiohttp's `StreamReader` does. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readLine();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Waits until data is buffered or the body ended (for the download path). @internal */
  _waitData(signal: AbortSignal | undefined): Promise<void> {
    if (this.#size > 0 || this.#eof) return Promise.resolve();
    return this.#wait("download", signal);
  }

  /** A short description: bytes received and buffered. */
  toString(): string {
    return `<ResponseContent ${this.#eof ? "complete" : "streaming"}, received ${this.#total}, buffered ${this.#size}>`;
  }
}

function concat(parts: Buffer[]): Buffer {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts);
}
