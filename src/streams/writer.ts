/**
 * `StreamWriter`: writing to a byte stream with flow control. asyncio: `asyncio.StreamWriter`.
 *
 * `write()` never waits: it hands the bytes to the Node `Writable` (which tries the kernel at
 * once and buffers the rest). `drain()` is the flow control: it returns at once while the
 * `Writable` is under its high-water mark and waits for its `drain` event otherwise, so a
 * writer that awaits `drain()` after each write holds at most one high-water mark in memory.
 * The fast path creates no promise round trip beyond a resolved one: an echo loop that never
 * fills the kernel buffer pays almost nothing for flow control.
 *
 * @module
 */

import { Socket } from "node:net";
import type { Writable } from "node:stream";
import { BrokenResourceError, ClosedResourceError } from "../errors.js";
import { WaiterSet } from "../core/suspend.js";

/** Shared by every drain() that need not wait: awaiting a settled promise allocates nothing. */
const RESOLVED: Promise<void> = Promise.resolve();

/** Options for {@link StreamWriter}. */
export interface StreamWriterOptions {
  /**
   * Extra values for {@link StreamWriter.getExtraInfo}, on top of the built-in ones
   * (`peername`, `sockname`, `socket`, `peercert`, `cipher` for sockets).
   */
  extraInfo?: Record<string, unknown>;
  /**
   * Whether {@link StreamWriter.writeEof} may half-close the stream.
   * @default true, except for TLS sockets
   */
  canWriteEof?: boolean;
  /**
   * Turns the stream's `error` event into the error that `drain()` throws.
   * @default wraps it in a `BrokenResourceError` whose `cause` is the original error
   */
  mapError?: (error: Error) => unknown;
}

/** Options for {@link StreamWriter.drain} and {@link StreamWriter.waitClosed}. */
export interface WriterWaitOptions {
  /** Abort the wait. */
  signal?: AbortSignal;
}

/** A socket address as asyncio gives it: `[host, port]` for TCP, the path for a Unix socket. */
export type SocketAddress = readonly [host: string, port: number] | string;

/**
 * Writes to a Node `Writable` (a socket, a child's stdin, a file stream) with asyncio's API.
 * asyncio: `asyncio.StreamWriter`.
 *
 * Differences from asyncio: writing after `close()` throws `ClosedResourceError` (asyncio drops
 * the data with a warning); `waitClosed()` never throws (asyncio re-raises the transport's
 * error there; taskio reports it from `drain()` and the reader).
 *
 * @example The seed's echo loop
 * ```ts
 * for (;;) {
 *   const data = await reader.read(1024);
 *   if (data.length === 0) break;
 *   writer.write(data);
 *   await writer.drain();
 * }
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter {
  readonly #stream: Writable;
  readonly #extraInfo: Record<string, unknown> | undefined;
  readonly #canWriteEof: boolean;
  readonly #mapError: (error: Error) => unknown;
  #closing = false;
  #closed = false;
  #exception: unknown = undefined;
  #hasException = false;
  readonly #drainWaiters = new WaiterSet("StreamWriter.drain()");
  readonly #closeWaiters = new WaiterSet("StreamWriter.waitClosed()");

  /**
   * @param writable The stream to write to. The writer listens to its `drain`, `error` and
   *   `close` events.
   * @param options See {@link StreamWriterOptions}.
   * @throws {TypeError} when `writable` is not a Writable.
   */
  constructor(writable: Writable, options?: StreamWriterOptions) {
    if (writable === null || typeof writable !== "object" || typeof writable.write !== "function") {
      throw new TypeError(`Expected 'writable' to be a Writable stream: received ${typeof writable}`);
    }
    this.#stream = writable;
    this.#extraInfo = options?.extraInfo;
    this.#mapError = options?.mapError ?? defaultMapError;
    const encrypted = (writable as { encrypted?: unknown }).encrypted === true;
    this.#canWriteEof = options?.canWriteEof ?? !encrypted;
    writable.on("drain", () => this.#wakeDrainers());
    writable.on("error", (error: Error) => {
      if (!this.#hasException) {
        this.#hasException = true;
        this.#exception = this.#mapError(error);
      }
      this.#wakeDrainers();
    });
    writable.on("close", () => this.#onClose());
    if (writable.destroyed) this.#closed = true;
  }

  #wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    if (waiters.size === 0) return;
    if (this.#hasException) waiters.failAll(this.#exception);
    else if (this.#stream.destroyed && !this.#closing) waiters.failAll(this.#lostError());
    else waiters.wakeAll();
  }

  #onClose(): void {
    this.#closed = true;
    this.#wakeDrainers();
    this.#closeWaiters.wakeAll();
  }

  #lostError(): unknown {
    if (this.#hasException) return this.#exception;
    if (this.#closing) return new ClosedResourceError("The writer was closed: no more data can be written");
    return new BrokenResourceError("The connection was lost: the stream closed before the data could be written");
  }

  /** The underlying Node stream. asyncio: `transport`. */
  get stream(): Writable {
    return this.#stream;
  }

  /**
   * Queues `data` for writing; never waits (await {@link drain} for flow control). Strings are
   * written as UTF-8. After the connection was lost the data is dropped (as asyncio does) and
   * `drain()` reports the error. asyncio: `write()`.
   * @throws {ClosedResourceError} after `close()` or `writeEof()`.
   */
  write(data: Uint8Array | string): void {
    if (this.#closing) throw new ClosedResourceError("The writer is closed: no more data can be written");
    const stream = this.#stream;
    if (stream.destroyed || this.#hasException) return;
    if (typeof data === "string") {
      if (data.length === 0) return;
      stream.write(data, "utf8");
    } else {
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(`Expected 'data' to be a Uint8Array or string: received ${typeof data}`);
      }
      if (data.length === 0) return;
      stream.write(data);
    }
  }

  /** Writes each item in turn. asyncio: `writelines()`. */
  writeLines(lines: Iterable<Uint8Array | string>): void {
    const stream = this.#stream;
    const cork = typeof stream.cork === "function";
    if (cork) stream.cork();
    try {
      for (const line of lines) this.write(line);
    } finally {
      if (cork) stream.uncork();
    }
  }

  /**
   * Waits until the stream can take more data: returns at once while the `Writable` is under its
   * high-water mark, else waits for `drain`. asyncio: `drain()`.
   * @throws {BrokenResourceError} when the connection was lost (`cause` says why).
   * @throws {CancelledError} when the task is cancelled (the data stays queued).
   */
  drain(options?: WriterWaitOptions): Promise<void> {
    const stream = this.#stream;
    if (this.#hasException) return Promise.reject(this.#exception);
    const needDrain = stream.writableNeedDrain;
    if (stream.destroyed && !this.#closing) return Promise.reject(this.#lostError());
    if (needDrain && stream.destroyed) return RESOLVED;
    return this.#drainWaiters.wait(!needDrain, options?.signal);
  }

  /** True when {@link writeEof} can half-close this stream. asyncio: `can_write_eof()`. */
  canWriteEof(): boolean {
    return this.#canWriteEof;
  }

  /**
   * Half-closes: flushes what was written, then signals EOF to the peer (a TCP FIN), while
   * reading goes on. asyncio: `write_eof()`.
   * @throws {ClosedResourceError} when the stream cannot be half-closed (TLS) or is closed.
   */
  writeEof(): void {
    if (!this.#canWriteEof) {
      throw new ClosedResourceError("This stream cannot be half-closed: check canWriteEof() first, or close() it");
    }
    if (this.#closing) throw new ClosedResourceError("The writer is closed: writeEof() needs an open writer");
    this.#closing = true;
    this.#stream.end();
  }

  /**
   * Flushes what was written, then closes the stream (both directions for a socket). Idempotent;
   * await {@link waitClosed} to know when it is done. asyncio: `close()`.
   */
  close(): void {
    const stream = this.#stream;
    const alreadyClosing = this.#closing;
    this.#closing = true;
    if (stream.destroyed) return;
    if (stream instanceof Socket) {
      if (!stream.writableFinished && !alreadyClosing) stream.end();
      // Flush, then close the socket without waiting for the peer's FIN (asyncio's close()).
      if (stream.writableFinished) stream.destroy();
      else stream.once("finish", () => stream.destroy());
      return;
    }
    if (!alreadyClosing) stream.end();
    if (stream.writableFinished) stream.destroy();
    else stream.once("finish", () => stream.destroy());
  }

  /** Closes at once, dropping unsent data (a TCP reset for a socket). asyncio: `transport.abort()`. */
  abort(): void {
    this.#closing = true;
    const stream = this.#stream;
    if (stream.destroyed) return;
    if (stream instanceof Socket && typeof stream.resetAndDestroy === "function" && stream.readyState === "open") {
      try {
        stream.resetAndDestroy();
        return;
      } catch {
        // Not a TCP handle (a Unix socket): there is no reset to send, just close.
      }
    }
    stream.destroy();
  }

  /** True once `close()`, `writeEof()` or `abort()` was called, or the stream is gone. asyncio: `is_closing()`. */
  isClosing(): boolean {
    return this.#closing || this.#stream.destroyed;
  }

  /**
   * Waits until the stream is fully closed (its `close` event). Never throws the connection's
   * error (see the class notes). asyncio: `wait_closed()`.
   * @throws {CancelledError} when the task is cancelled.
   */
  waitClosed(options?: WriterWaitOptions): Promise<void> {
    return this.#closeWaiters.wait(this.#closed || (this.#stream.destroyed && this.#stream.closed), options?.signal);
  }

  /**
   * Information about the underlying stream. asyncio: `get_extra_info()`.
   *
   * For sockets: `"peername"` and `"sockname"` (`[host, port]`, or a path for Unix sockets),
   * `"socket"` (the `net.Socket`); for TLS also `"peercert"` and `"cipher"`. Values given in
   * `options.extraInfo` come first.
   * @param name The key.
   * @param defaultValue Returned when the key is unknown.
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T | undefined {
    const extra = this.#extraInfo;
    if (extra !== undefined && Object.hasOwn(extra, name)) return extra[name] as T;
    const stream = this.#stream;
    if (stream instanceof Socket) {
      const value = socketInfo(stream, name);
      if (value !== undefined) return value as T;
    }
    return defaultValue;
  }

  /** Shows the state: `StreamWriter <open>`, `<closing>`, `<closed>`. */
  toString(): string {
    const state = this.#closed ? "closed" : this.isClosing() ? "closing" : "open";
    const pending = this.#stream.writableLength;
    return `StreamWriter <${state}${pending > 0 ? `, ${pending} bytes queued` : ""}>`;
  }
}

/** @internal The extra info of a socket, as asyncio names it. */
export function socketInfo(socket: Socket, name: string): unknown {
  switch (name) {
    case "socket":
      return socket;
    case "peername":
      return socket.remoteAddress !== undefined
        ? ([socket.remoteAddress, socket.remotePort ?? 0] as const)
        : pipePath(socket, "peer");
    case "sockname":
      return socket.localAddress !== undefined ? ([socket.localAddress, socket.localPort ?? 0] as const) : pipePath(socket, "sock");
    case "peercert": {
      const tlsSocket = socket as { getPeerCertificate?: () => unknown };
      return typeof tlsSocket.getPeerCertificate === "function" ? tlsSocket.getPeerCertificate() : undefined;
    }
    case "cipher": {
      const tlsSocket = socket as { getCipher?: () => unknown };
      return typeof tlsSocket.getCipher === "function" ? tlsSocket.getCipher() : undefined;
    }
    default:
      return undefined;
  }
}

const pipePaths = new WeakMap<Socket, { peer?: string; sock?: string }>();

/** @internal Records the path of a Unix socket (Node does not expose it on the socket). */
export function setPipePath(socket: Socket, which: "peer" | "sock", path: string): void {
  const entry = pipePaths.get(socket) ?? {};
  entry[which] = path;
  pipePaths.set(socket, entry);
}

function pipePath(socket: Socket, which: "peer" | "sock"): string | undefined {
  return pipePaths.get(socket)?.[which];
}

function defaultMapError(error: Error): unknown {
  const code = (error as { code?: unknown }).code;
  const what =
    code === "ECONNRESET" ? "The connection was reset by the peer" : code === "EPIPE" ? "The connection is broken" : "The stream failed";
  return new BrokenResourceError(`${what}: ${error.message}`, { cause: error });
}
