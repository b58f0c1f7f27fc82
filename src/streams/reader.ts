/**
 * `StreamReader`: buffered, cancellable reading of a byte stream. asyncio: `asyncio.StreamReader`.
 *
 * Why it is built this way:
 *
 * - **Transport-agnostic.** The producer side is asyncio's protocol API (`feedData`, `feedEof`,
 *   `setException`) plus an optional {@link ReaderTransport} to pause and resume the source, so
 *   sockets, child-process pipes and HTTP bodies share one reader ({@link readerFromStream}).
 * - **One contiguous buffer, never rewritten.** Bytes live in one `Buffer` view `[start, end)`.
 *   A chunk fed into an empty reader is adopted without a copy; appending copies into an owned
 *   store that only ever grows past `end`. Bytes handed out are `subarray`s of that store, so a
 *   read costs no copy, and no region once handed out is written again (no in-place compaction).
 * - **Fast when data is there.** `readLine()` on a buffered line is an `indexOf` and a
 *   `subarray`: no suspension, no wake-up round trip, just an already-resolved promise. Only a
 *   reader that must wait creates a {@link Suspension}.
 * - **Cancellation loses nothing.** A wait never consumes bytes: a woken (or cancelled) reader
 *   re-examines the buffer from scratch, so cancelling `readExactly(100)` after 60 bytes arrived
 *   leaves those 60 bytes for the next read.
 *
 * @module
 */

import type { Readable } from "node:stream";
import { BrokenResourceError, IncompleteReadError, InvalidStateError, LimitOverrunError } from "../errors.js";
import { checkpoint, suspend, validateSignal, type Suspension } from "../core/suspend.js";
import { LINE_ENCODINGS, safeUnits, splitLines, trimLine } from "./_internal/lines.js";

/** The default `limit`: 64 KiB, as asyncio's `_DEFAULT_LIMIT`. */
export const DEFAULT_LIMIT = 64 * 1024;

const EMPTY = Buffer.alloc(0);
/** Wait modes: what `#wake` does for the waiting read. */
const ANY = 0;
const READ = 1;
const EXACT = 2;
const LINE = 3;
const NEWLINE = 10;

/** What a reader needs from its source to apply backpressure. */
export interface ReaderTransport {
  /** Stop delivering data (the buffer is full). */
  pauseReading(): void;
  /** Start delivering data again. */
  resumeReading(): void;
}

/** Options for {@link StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The most a line (or a `readUntil` chunk) may hold, and the buffering bound: the transport is
   * paused when more than twice this many bytes are buffered, resumed at `limit` or less.
   * @default 65536
   */
  limit?: number;
  /** What the reader reads from, for `dumpTasks()` and `toString()` (a peer address, `stdout`...). */
  name?: string;
}

/** Options for every waiting read. */
export interface ReadOptions {
  /** Abort the wait (the bytes already buffered stay buffered). */
  signal?: AbortSignal;
}

/** The encodings {@link StreamReader.lines} decodes: those where a `0x0A` byte is always `"\n"`. */
export type LinesEncoding = "utf-8" | "utf8" | "latin1" | "ascii";

/** Options for {@link StreamReader.lines}. */
export interface LinesOptions {
  /**
   * How the bytes are decoded. Invalid UTF-8 becomes U+FFFD, as `Buffer.toString()` does.
   * @default "utf-8"
   */
  encoding?: LinesEncoding;
  /**
   * Keep each line's `"\n"` (or `"\r\n"`). Without it (the default) both are removed; a lone
   * `"\r"` is not a line break and stays.
   * @default false
   */
  keepEnds?: boolean;
  /** Abort the iteration: `next()` rejects with the signal's reason (the unread lines stay buffered). */
  signal?: AbortSignal;
}

/** One `lines()` iteration's state: the lines decoded from one block, handed out one by one. */
class LinesState {
  /** The decoded lines not handed out yet are `batch[index..]`. */
  batch: string[] = NO_LINES;
  index = 0;
  /** The bytes `batch` was decoded from (so unread lines can be put back as they arrived). */
  block: Buffer = EMPTY;
  done = false;
  constructor(
    readonly encoding: BufferEncoding,
    readonly keepEnds: boolean,
    readonly safe: number,
    readonly signal: AbortSignal | undefined,
  ) {}
}

const NO_LINES: string[] = [];
const LINES_DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A buffered reader over a byte stream. asyncio: `asyncio.StreamReader`.
 *
 * Reads return `Buffer`s (a `Uint8Array` subclass). They are views into the reader's buffer, not
 * copies: keep them or copy them as you like, the reader never writes over them. Only one read
 * may wait at a time (as in asyncio); a second concurrent read throws `InvalidStateError`.
 *
 * @example Reading a line-based protocol
 * ```ts
 * const { reader, writer } = await openConnection("127.0.0.1", 8888);
 * const greeting = await reader.readLine();          // up to and including "\n"
 * const header = await reader.readExactly(4);        // IncompleteReadError at EOF
 * for await (const line of reader) console.log(line.toString().trimEnd());
 * ```
 */
export class StreamReader implements AsyncIterable<Buffer> {
  #buf: Buffer = EMPTY;
  #start = 0;
  /** Owned backing store of `#buf` when it was built by appending (capacity past `#buf.length`). */
  #store: Buffer | undefined = undefined;
  #eof = false;
  #exception: unknown = undefined;
  #hasException = false;
  #waiter: Suspension<Buffer | undefined> | undefined = undefined;
  /** What the waiting read wants: READ, EXACT, LINE or ANY. */
  #mode = ANY;
  /** The byte count a READ or EXACT waiter wants. */
  #want = 0;
  /** How many buffered bytes (from `#start`) are known to hold no newline. */
  #scanned = 0;
  #waitLabel = "";
  readonly #name: string | undefined;
  #transport: ReaderTransport | undefined = undefined;
  #paused = false;
  readonly #limit: number;
  /** The `lines()` iteration holding decoded lines not handed out yet, if any. */
  #linesOwner: LinesState | undefined = undefined;

  /**
   * @param options See {@link StreamReaderOptions}.
   * @throws {RangeError} when `limit` is not a positive integer.
   */
  constructor(options?: StreamReaderOptions) {
    const limit = options?.limit ?? DEFAULT_LIMIT;
    if (!Number.isSafeInteger(limit) || limit <= 0) {
      throw new RangeError(`Expected 'limit' to be a positive integer: received ${String(limit)}`);
    }
    this.#limit = limit;
    this.#name = options?.name;
  }

  /** The line and `readUntil` limit, in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** How many bytes are buffered and not yet read. */
  get buffered(): number {
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    return this.#buf.length - this.#start;
  }

  /** The error set by {@link setException}, if any. asyncio: `exception()`. */
  exception(): unknown {
    return this.#exception;
  }

  /** True when the stream has ended and every buffered byte was read. asyncio: `at_eof()`. */
  atEof(): boolean {
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    return this.#eof && this.#buf.length === this.#start;
  }

  // ----- the protocol side ------------------------------------------------------------------

  /**
   * Connects the source to pause and resume for backpressure. asyncio: `set_transport()`.
   * @throws {InvalidStateError} when a transport is already set.
   */
  setTransport(transport: ReaderTransport): void {
    if (this.#transport !== undefined) throw new InvalidStateError("The reader already has a transport: set it once");
    this.#transport = transport;
  }

  /**
   * Appends bytes that arrived. The reader takes the chunk over (it may keep a view of it): do
   * not modify it afterwards. asyncio: `feed_data()`.
   * @throws {InvalidStateError} after {@link feedEof}.
   */
  feedData(chunk: Uint8Array): void {
    if (this.#eof) throw new InvalidStateError("The reader has reached EOF: no data can be fed after feedEof()");
    const length = chunk.length;
    if (length === 0) return;
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, length);
    const buf = this.#buf;
    const available = buf.length - this.#start;
    if (available === 0) {
      this.#buf = data;
      this.#start = 0;
      this.#store = undefined;
    } else {
      const store = this.#store;
      const end = buf.length;
      if (store !== undefined && end + length <= store.length) {
        store.set(data, end);
        this.#buf = store.subarray(0, end + length);
      } else {
        // A new store, twice what is needed, so a long line or a big readExactly is amortised O(n).
        const size = available + length;
        const next = Buffer.allocUnsafeSlow(Math.max(size * 2, 4096));
        buf.copy(next, 0, this.#start, end);
        next.set(data, available);
        this.#store = next;
        this.#buf = next.subarray(0, size);
        this.#start = 0;
      }
    }
    if (!this.#paused && this.#transport !== undefined && this.#buf.length - this.#start > 2 * this.#limit) {
      this.#paused = true;
      this.#transport.pauseReading();
    }
    this.#wake();
  }

  /** Marks the end of the stream: reads return what is left, then EOF. asyncio: `feed_eof()`. */
  feedEof(): void {
    this.#eof = true;
    this.#wake();
  }

  /**
   * Fails the stream: the waiting read, and every later read that the buffered bytes cannot
   * satisfy, throw `error`. Unlike asyncio, bytes that arrived before the failure can still be
   * read (asyncio drops them). asyncio: `set_exception()`.
   */
  setException(error: unknown): void {
    this.#exception = error;
    this.#hasException = true;
    this.#wake();
  }

  /**
   * Completes the waiting read if it can complete now. A read that waits says what it wants
   * (`#mode`, `#want`), and the producer side hands it its bytes directly: no wake-up round
   * trip through a second promise, and bytes are taken only by a waiter that is still there
   * (a cancelled one has already left), so cancellation never loses them.
   */
  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const available = this.#buf.length - this.#start;
    switch (this.#mode) {
      case READ:
        if (available > 0) this.#complete(waiter, this.#take(Math.min(this.#want, available)));
        else if (this.#hasException) this.#completeWithError(waiter, this.#exception);
        else if (this.#eof) this.#complete(waiter, EMPTY);
        return;
      case EXACT:
        if (available >= this.#want) this.#complete(waiter, this.#take(this.#want));
        else if (this.#hasException) this.#completeWithError(waiter, this.#exception);
        else if (this.#eof) this.#completeWithError(waiter, new IncompleteReadError(this.#take(available), this.#want));
        return;
      case LINE: {
        let line: Buffer | undefined;
        try {
          line = this.#tryLine();
        } catch (error) {
          this.#completeWithError(waiter, error);
          return;
        }
        if (line !== undefined) this.#complete(waiter, line);
        return;
      }
      default:
        this.#complete(waiter, undefined);
    }
  }

  #complete(waiter: Suspension<Buffer | undefined>, value: Buffer | undefined): void {
    this.#waiter = undefined;
    waiter.resume(value);
  }

  #completeWithError(waiter: Suspension<Buffer | undefined>, error: unknown): void {
    this.#waiter = undefined;
    waiter.fail(error);
  }

  // ----- waiting ----------------------------------------------------------------------------

  /** What `dumpTasks()` shows for the waiting read: built only when asked, never per wait. */
  readonly #describeWait = (): string => {
    const what = this.#mode === READ || this.#mode === EXACT ? `${this.#waitLabel.slice(0, -1)}${this.#want})` : this.#waitLabel;
    return this.#name === undefined ? what : `${what} on ${this.#name}`;
  };

  readonly #onAbandon = (abandoned: Suspension<Buffer | undefined>): void => {
    if (this.#waiter === abandoned) this.#waiter = undefined;
  };

  /** Starts waiting; `#wake` completes the wait as `mode` says. */
  #suspend(mode: number, want: number, label: string, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new InvalidStateError(`${label} called while another read is waiting for data: read from one task at a time`),
      );
    }
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    let waiter: Suspension<Buffer | undefined>;
    try {
      waiter = suspend<Buffer | undefined>(this.#describeWait, this.#onAbandon, validateSignal(signal));
    } catch (error) {
      return Promise.reject(error);
    }
    this.#waitLabel = label;
    this.#waiter = waiter;
    this.#mode = mode;
    this.#want = want;
    if (mode === LINE) this.#scanned = this.#buf.length - this.#start;
    return waiter.promise;
  }

  /** Waits for any change (more data, EOF, an error), for the general slow paths. */
  async #waitForData(label: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#suspend(ANY, 0, label, signal);
  }

  /** Takes `n` buffered bytes (n <= buffered). */
  #take(n: number): Buffer {
    const start = this.#start;
    const buf = this.#buf;
    // Taking a whole adopted chunk (the common case of a read that waited) allocates nothing.
    const out = start === 0 && n === buf.length ? buf : buf.subarray(start, start + n);
    this.#scanned = 0;
    if (start + n === buf.length) {
      this.#buf = EMPTY;
      this.#start = 0;
      this.#store = undefined;
    } else {
      this.#start = start + n;
    }
    if (this.#paused && this.#buf.length - this.#start <= this.#limit) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    return out;
  }

  #throwIfFailed(): void {
    if (this.#hasException) throw this.#exception;
  }

  /**
   * readLine's whole logic, synchronously: a line, the unterminated tail at EOF, `undefined` if
   * it must wait, or a throw (the stream's error; LimitOverrunError after discarding the
   * overlong line, as asyncio's readline does). Scans only bytes it has not scanned yet.
   */
  #tryLine(): Buffer | undefined {
    const buf = this.#buf;
    const start = this.#start;
    const available = buf.length - start;
    const index = available > this.#scanned ? buf.indexOf(NEWLINE, start + this.#scanned) : -1;
    if (index !== -1) {
      const isep = index - start;
      if (isep > this.#limit) {
        this.#take(isep + 1);
        throw new LimitOverrunError(
          `The line is longer than the limit: ${isep} byte(s) before the newline, limit ${this.#limit}`,
          isep,
        );
      }
      return this.#take(isep + 1);
    }
    if (available > this.#limit) {
      this.#take(available);
      throw new LimitOverrunError(
        `The line is longer than the limit: no newline in ${available} byte(s), limit ${this.#limit}`,
        available,
      );
    }
    this.#scanned = available;
    if (this.#hasException) throw this.#exception;
    if (this.#eof) return available === 0 ? EMPTY : this.#take(available);
    return undefined;
  }

  // ----- reading ----------------------------------------------------------------------------

  /**
   * Reads up to `n` bytes; with `n < 0` (the default), reads until EOF. Returns an empty buffer
   * at EOF. asyncio: `read(n=-1)`.
   */
  read(n = -1, options?: ReadOptions): Promise<Buffer> {
    if (!Number.isInteger(n)) return Promise.reject(new TypeError(`Expected 'n' to be an integer: received ${String(n)}`));
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    if (n > 0) {
      const signal = options?.signal;
      // A cancellation point even when data is buffered, checked before anything is taken, so a
      // task that reads a fast stream in a loop still stops, and loses no byte doing so.
      try {
        checkpoint(signal);
      } catch (error) {
        return Promise.reject(error);
      }
      const available = this.#buf.length - this.#start;
      if (available > 0 && this.#waiter === undefined) return Promise.resolve(this.#take(Math.min(n, available)));
      if (this.#hasException) return Promise.reject(this.#exception);
      if (this.#eof) return Promise.resolve(EMPTY);
      return this.#suspend(READ, n, "StreamReader.read()", signal) as Promise<Buffer>;
    }
    return this.#readAll(n, options);
  }

  async #readAll(n: number, options: ReadOptions | undefined): Promise<Buffer> {
    const signal = validateSignal(options?.signal);
    if (n === 0) {
      checkpoint(signal);
      return EMPTY;
    }
    // Drain the buffer as it fills, so backpressure keeps working while reading everything.
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const available = this.#buf.length - this.#start;
      if (available > 0) {
        parts.push(this.#take(available));
        total += available;
      }
      if (this.#hasException) {
        this.#unread(parts, total);
        throw this.#exception;
      }
      if (this.#eof) break;
      try {
        await this.#waitForData("StreamReader.read()", signal);
      } catch (error) {
        // Cancelled or failed: give back what was taken, so nothing is lost.
        this.#unread(parts, total);
        throw error;
      }
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total);
  }

  /** Puts bytes taken by an interrupted `read(-1)` back in front of the buffer. */
  #unread(parts: Buffer[], total: number): void {
    if (total === 0) return;
    const rest = this.#buf.subarray(this.#start);
    const joined = Buffer.concat([...parts, rest], total + rest.length);
    this.#buf = joined;
    this.#start = 0;
    this.#store = undefined;
    this.#scanned = 0;
  }

  /**
   * Reads one line, up to and including `"\n"`. At EOF returns the last, unterminated part, then
   * an empty buffer. asyncio: `readline()`.
   *
   * @throws {LimitOverrunError} when the line is longer than `limit`; the overlong line (or the
   *   buffered part of it) is discarded, as asyncio does, so the next read starts after it.
   */
  readLine(options?: ReadOptions): Promise<Buffer> {
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    const signal = options?.signal;
    if (this.#waiter === undefined) {
      let line: Buffer | undefined;
      try {
        checkpoint(signal); // a cancellation point before anything is taken (see read())
        line = this.#tryLine();
      } catch (error) {
        return Promise.reject(error);
      }
      if (line !== undefined) return Promise.resolve(line);
    }
    return this.#suspend(LINE, 0, "StreamReader.readLine()", signal) as Promise<Buffer>;
  }

  /**
   * Reads up to and including `separator`. asyncio: `readuntil()`.
   *
   * @throws {IncompleteReadError} at EOF before the separator (`partial` holds the bytes, which
   *   are consumed).
   * @throws {LimitOverrunError} when no separator is found within `limit` bytes (`consumed` says
   *   how far; the bytes stay buffered).
   */
  readUntil(separator: Uint8Array | string = "\n", options?: ReadOptions): Promise<Buffer> {
    const sep = typeof separator === "string" ? Buffer.from(separator) : separator;
    if (!(sep instanceof Uint8Array)) {
      return Promise.reject(new TypeError(`Expected 'separator' to be a string or Uint8Array: received ${typeof separator}`));
    }
    if (sep.length === 0) return Promise.reject(new RangeError("Expected 'separator' to be non-empty: received an empty separator"));
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    return this.#readUntil(Buffer.isBuffer(sep) ? sep : Buffer.from(sep), "StreamReader.readUntil()", options);
  }

  async #readUntil(sep: Buffer, label: string, options: ReadOptions | undefined): Promise<Buffer> {
    const signal = validateSignal(options?.signal);
    const seplen = sep.length;
    let offset = 0;
    for (;;) {
      const buf = this.#buf;
      const start = this.#start;
      const buflen = buf.length - start;
      if (buflen - offset >= seplen) {
        const found = buf.indexOf(sep, start + offset);
        if (found !== -1) {
          const isep = found - start;
          if (isep > this.#limit) {
            throw new LimitOverrunError(
              `The separator was found beyond the limit: ${isep} byte(s) before it, limit ${this.#limit}`,
              isep,
            );
          }
          checkpoint(signal);
          return this.#take(isep + seplen);
        }
        offset = buflen + 1 - seplen;
        if (offset > this.#limit) {
          throw new LimitOverrunError(
            `The separator was not found within the limit: ${offset} byte(s) scanned, limit ${this.#limit}`,
            offset,
          );
        }
      }
      this.#throwIfFailed();
      if (this.#eof) {
        const partial = this.#take(buflen);
        throw new IncompleteReadError(partial, undefined);
      }
      await this.#waitForData(label, signal);
    }
  }

  /**
   * Reads exactly `n` bytes. asyncio: `readexactly()`.
   * @throws {IncompleteReadError} when the stream ends first; `partial` holds (and consumes) what arrived.
   * @throws {RangeError} when `n` is negative.
   */
  readExactly(n: number, options?: ReadOptions): Promise<Buffer> {
    if (!Number.isSafeInteger(n) || n < 0) {
      return Promise.reject(new RangeError(`Expected 'n' to be a non-negative integer: received ${String(n)}`));
    }
    if (this.#linesOwner !== undefined) this.#reclaimLines();
    const signal = options?.signal;
    try {
      checkpoint(signal); // a cancellation point before anything is taken (see read())
    } catch (error) {
      return Promise.reject(error);
    }
    if (n === 0) return Promise.resolve(EMPTY);
    const available = this.#buf.length - this.#start;
    if (this.#waiter === undefined) {
      if (available >= n) return Promise.resolve(this.#take(n));
      if (this.#hasException) return Promise.reject(this.#exception);
      if (this.#eof) return Promise.reject(new IncompleteReadError(this.#take(available), n));
    }
    return this.#suspend(EXACT, n, "StreamReader.readExactly()", signal) as Promise<Buffer>;
  }

  /**
   * Iterates over lines (each ending with `"\n"`, except maybe the last) until EOF.
   * asyncio: `async for line in reader`.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const toResult = (line: Buffer): IteratorResult<Buffer> => (line.length === 0 ? done : { done: false, value: line });
    return {
      next: (): Promise<IteratorResult<Buffer>> => {
        if (this.#linesOwner !== undefined) this.#reclaimLines();
        if (this.#waiter === undefined) {
          let line: Buffer | undefined;
          try {
            checkpoint(undefined); // a cancellation point before anything is taken (see read())
            line = this.#tryLine();
          } catch (error) {
            return Promise.reject(error);
          }
          if (line !== undefined) return Promise.resolve(line.length === 0 ? done : { done: false, value: line });
        }
        return this.readLine().then(toResult);
      },
      return: (): Promise<IteratorResult<Buffer>> => Promise.resolve(done),
    };
  }

  /**
   * Iterates over the stream's lines as strings, until EOF. The fast way to read text: each block
   * of buffered bytes is decoded once and split, and the lines are handed out from that batch, so
   * a line costs one `next()` and no `Buffer` view or decode of its own (what `node:readline`
   * does). Yields the same lines as a `readLine()` loop decoded one by one, the last one even
   * without a `"\n"`; with `keepEnds: false` (the default) without their `"\n"` or `"\r\n"`.
   *
   * Each `next()` is a cancellation point, as `readLine()` is. The limit and backpressure work as
   * for `readLine()`: a line longer than `limit` bytes throws `LimitOverrunError` (after the lines
   * before it), and a block decoded at once is at most `2 × limit` bytes.
   *
   * Unread lines are never lost. Lines decoded but not yet yielded go back into the buffer, as
   * the bytes they came from, when the iteration ends early (`break`, `return()`, a cancellation,
   * an abort), and also when another read is called on the reader meanwhile, so mixing
   * `lines()` with `read()`, `readLine()`... keeps the bytes in order. After an error or a
   * cancellation the iterator is finished (`next()` returns `done`); call `lines()` again to go on.
   *
   * @param options See {@link LinesOptions}.
   * @returns An async iterator over the lines.
   * @throws {TypeError} when `options`, `keepEnds` or `signal` has the wrong type.
   * @throws {RangeError} when `encoding` is not one of {@link LinesEncoding}.
   *
   * @example Counting a child's output lines
   * ```ts
   * const child = spawn("seq", ["1000000"]);
   * let total = 0;
   * for await (const line of readerFromStream(child.stdout).lines()) total += Number(line);
   * ```
   */
  lines(options?: LinesOptions): AsyncIterableIterator<string> {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
    }
    const encoding: unknown = options?.encoding ?? "utf-8";
    if (typeof encoding !== "string" || !LINE_ENCODINGS.has(encoding)) {
      throw new RangeError(
        `Expected 'encoding' to be "utf-8", "utf8", "latin1" or "ascii": received ${typeof encoding === "string" ? JSON.stringify(encoding) : typeof encoding} (read bytes with readLine() for other encodings)`,
      );
    }
    const keepEnds: unknown = options?.keepEnds ?? false;
    if (typeof keepEnds !== "boolean") throw new TypeError(`Expected 'keepEnds' to be a boolean: received ${typeof keepEnds}`);
    const signal = validateSignal(options?.signal);
    const state = new LinesState(encoding as BufferEncoding, keepEnds, safeUnits(encoding, this.#limit), signal);
    const iterator: AsyncIterableIterator<string> = {
      next: (): Promise<IteratorResult<string>> => this.#nextLine(state),
      return: (): Promise<IteratorResult<string>> => {
        this.#closeLines(state);
        return Promise.resolve(LINES_DONE);
      },
      [Symbol.asyncIterator](): AsyncIterableIterator<string> {
        return iterator;
      },
    };
    return iterator;
  }

  #nextLine(state: LinesState): Promise<IteratorResult<string>> {
    if (state.done) return Promise.resolve(LINES_DONE);
    try {
      checkpoint(state.signal); // a cancellation point before anything is handed out (see read())
    } catch (error) {
      this.#closeLines(state);
      return Promise.reject(error);
    }
    const batch = state.batch;
    const index = state.index;
    if (index < batch.length) {
      const value = batch[index] as string;
      if (index + 1 === batch.length) this.#dropBatch(state);
      else state.index = index + 1;
      return Promise.resolve({ done: false, value });
    }
    return this.#fillLines(state);
  }

  /** The batch is empty: decode the next block, or take one line (waiting for it if need be). */
  #fillLines(state: LinesState): Promise<IteratorResult<string>> {
    if (this.#linesOwner !== undefined) this.#reclaimLines(); // another lines() iteration's batch
    let line: Buffer | undefined;
    if (this.#waiter === undefined) {
      try {
        const first = this.#takeLineBlock(state);
        if (first !== undefined) return Promise.resolve({ done: false, value: first });
        line = this.#tryLine();
      } catch (error) {
        this.#closeLines(state);
        return Promise.reject(error);
      }
    }
    if (line !== undefined) return Promise.resolve(this.#lineResult(state, line));
    return (this.#suspend(LINE, 0, "StreamReader.lines()", state.signal) as Promise<Buffer>).then(
      (taken) => this.#lineResult(state, taken),
      (error: unknown) => {
        this.#closeLines(state);
        throw error;
      },
    );
  }

  #lineResult(state: LinesState, line: Buffer): IteratorResult<string> {
    if (line.length === 0) {
      state.done = true;
      return LINES_DONE;
    }
    return { done: false, value: trimLine(line.toString(state.encoding), state.keepEnds) };
  }

  /**
   * Takes the buffered bytes up to the last `"\n"` within `2 × limit` bytes, decodes them at once
   * into `state`'s batch and returns the first line; `undefined` when there is no such `"\n"`, or
   * when the first line is longer than the limit (then `#tryLine` throws for it, as for readLine).
   */
  #takeLineBlock(state: LinesState): string | undefined {
    const buf = this.#buf;
    const start = this.#start;
    const from = start + this.#scanned; // [start, from) is known to hold no "\n"
    const windowEnd = Math.min(buf.length, start + 2 * this.#limit + 1);
    if (windowEnd <= from) return undefined;
    const last = buf.subarray(from, windowEnd).lastIndexOf(NEWLINE);
    if (last === -1) return undefined;
    let end = from + last + 1;
    let lines = splitLines(buf.toString(state.encoding, start, end), state.keepEnds, state.safe);
    if (lines === undefined) {
      // A line may be over the limit: find the first one that is, in bytes, and stop before it.
      const limit = this.#limit;
      let pos = start;
      while (pos < end) {
        const nl = buf.indexOf(NEWLINE, pos);
        if (nl - pos > limit) break;
        pos = nl + 1;
      }
      if (pos === start) return undefined;
      end = pos;
      lines = splitLines(buf.toString(state.encoding, start, end), state.keepEnds, Infinity) ?? NO_LINES;
    }
    const block = this.#take(end - start);
    if (lines.length > 1) {
      state.batch = lines;
      state.index = 1;
      state.block = block;
      this.#linesOwner = state;
    }
    return lines[0];
  }

  #dropBatch(state: LinesState): void {
    state.batch = NO_LINES;
    state.index = 0;
    state.block = EMPTY;
    if (this.#linesOwner === state) this.#linesOwner = undefined;
  }

  /** Ends a lines() iteration, putting its unread lines back into the buffer. */
  #closeLines(state: LinesState): void {
    state.done = true;
    if (this.#linesOwner === state) this.#reclaimLines();
  }

  /**
   * Puts the bytes of the lines decoded but not handed out back in front of the buffer, so that
   * the next read (of any kind) gets them. They are the last `remaining` lines of the block.
   */
  #reclaimLines(): void {
    const state = this.#linesOwner;
    if (state === undefined) return;
    const block = state.block;
    const remaining = state.batch.length - state.index;
    this.#dropBatch(state);
    if (remaining <= 0) return;
    // The block ends with "\n": the remaining lines start after the (remaining + 1)-th "\n" from the end.
    let pos = block.length - 1;
    for (let k = 0; k < remaining && pos !== -1; k++) pos = pos === 0 ? -1 : block.lastIndexOf(NEWLINE, pos - 1);
    const rest = block.subarray(pos + 1);
    this.#unread([rest], rest.length);
  }

  /** Shows the state, like asyncio's repr: `StreamReader <12 bytes, eof, waiter>`. */
  toString(): string {
    const parts = [`${this.buffered} bytes`];
    if (this.#eof) parts.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== undefined) parts.push("waiter");
    if (this.#hasException) parts.push("exception");
    if (this.#paused) parts.push("paused");
    return `StreamReader${this.#name === undefined ? "" : ` '${this.#name}'`} <${parts.join(", ")}>`;
  }
}


/** Options for {@link readerFromStream}. */
export interface ReaderFromStreamOptions extends StreamReaderOptions {
  /**
   * Turns the source's `error` event into the error that reads throw.
   * @default wraps it in a `BrokenResourceError` whose `cause` is the original error
   */
  mapError?: (error: Error) => unknown;
}

/**
 * A {@link StreamReader} fed by a Node `Readable` (a socket, a child's stdout, a file stream, an
 * HTTP body), with backpressure: the source is paused while more than `2 × limit` bytes are
 * buffered and resumed once reads bring it down to `limit`. `end` becomes EOF, `error` becomes
 * the exception every read throws, and a `close` without `end` (the stream was destroyed)
 * becomes EOF. asyncio: what `StreamReaderProtocol` does for a transport.
 *
 * String chunks (a stream with an encoding set) are converted back to UTF-8 bytes.
 *
 * @param readable The source; it is switched to flowing mode.
 * @param options See {@link ReaderFromStreamOptions}.
 * @returns The reader.
 * @throws {RangeError} when `limit` is not a positive integer.
 *
 * @example Reading a child process's output line by line
 * ```ts
 * const child = spawn("ls", ["-l"]);
 * for await (const line of readerFromStream(child.stdout)) console.log(line.toString().trimEnd());
 * ```
 */
export function readerFromStream(
  readable: NodeJS.ReadableStream | Readable,
  options?: ReaderFromStreamOptions,
): StreamReader {
  const reader = new StreamReader(options);
  const mapError = options?.mapError ?? defaultMapError;
  let ended = false;
  readable.on("data", (chunk: Buffer | string) => {
    if (ended) return;
    reader.feedData(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  });
  readable.on("end", () => {
    if (ended) return;
    ended = true;
    reader.feedEof();
  });
  readable.on("error", (error: Error) => {
    if (ended) return;
    ended = true;
    reader.setException(mapError(error));
  });
  readable.on("close", () => {
    if (ended) return;
    ended = true;
    reader.feedEof();
  });
  // A source that finished before we attached sends no more events: say so now.
  const state = readable as { readableEnded?: boolean; destroyed?: boolean; errored?: Error | null };
  if (state.errored !== undefined && state.errored !== null) {
    ended = true;
    reader.setException(mapError(state.errored));
  } else if (state.readableEnded === true || state.destroyed === true) {
    ended = true;
    reader.feedEof();
  }
  reader.setTransport({
    pauseReading: () => {
      readable.pause();
    },
    resumeReading: () => {
      readable.resume();
    },
  });
  return reader;
}

function defaultMapError(error: Error): unknown {
  const code = (error as { code?: unknown }).code;
  const what =
    code === "ECONNRESET" ? "The connection was reset by the peer" : code === "EPIPE" ? "The connection is broken" : "The stream failed";
  return new BrokenResourceError(`${what}: ${error.message}`, { cause: error });
}
