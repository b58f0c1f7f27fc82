/**
 * Client connections: `openConnection` (TCP, optionally TLS) and `openUnixConnection`.
 * asyncio: `asyncio.open_connection()`, `asyncio.open_unix_connection()`.
 *
 * @module
 */

import { connect as netConnect, type Socket, type TcpNetConnectOpts } from "node:net";
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { BrokenResourceError } from "../errors.js";
import { suspend, validateSignal, type Suspension } from "../core/suspend.js";
import { readerFromStream, type StreamReader } from "./reader.js";
import { setPipePath, StreamWriter } from "./writer.js";
import { checkHost, checkOptions, checkPort, show } from "./_internal/validate.js";

/** Options for {@link openConnection} and {@link openUnixConnection}. */
export interface OpenConnectionOptions {
  /** Abort connecting (the half-open socket is destroyed). */
  signal?: AbortSignal;
  /** The reader's line limit and buffer bound. @default 65536 */
  limit?: number;
  /**
   * Use TLS: `true` for the system's trusted CAs, or `node:tls` connect options (`ca`,
   * `servername`, `rejectUnauthorized`...).
   */
  ssl?: boolean | TlsConnectionOptions;
  /** Disable Nagle's algorithm, so small writes go out at once. @default true */
  noDelay?: boolean;
  /** The local address to bind to (TCP only). */
  localAddress?: string;
}

/**
 * An open connection: a {@link StreamReader} and a {@link StreamWriter} over one socket.
 * It destructures as `[reader, writer]` (asyncio's tuple), and `await using` closes it.
 *
 * @example Both styles
 * ```ts
 * const [reader, writer] = await openConnection("127.0.0.1", 8888);
 * // or
 * await using conn = await openConnection("127.0.0.1", 8888);
 * conn.writer.write("ping\n");
 * console.log((await conn.reader.readLine()).toString());
 * ```
 */
export class Connection implements AsyncDisposable, Iterable<StreamReader | StreamWriter> {
  /** The reading side. */
  readonly reader: StreamReader;
  /** The writing side. */
  readonly writer: StreamWriter;

  /** @internal Use {@link openConnection}. */
  constructor(reader: StreamReader, writer: StreamWriter) {
    this.reader = reader;
    this.writer = writer;
  }

  /** The reader, so that `conn[0]` and `const [reader] = conn` work. */
  get 0(): StreamReader {
    return this.reader;
  }

  /** The writer, so that `conn[1]` and `const [, writer] = conn` work. */
  get 1(): StreamWriter {
    return this.writer;
  }

  /** Always 2: a connection is the pair `[reader, writer]`. */
  get length(): 2 {
    return 2;
  }

  /** Yields the reader, then the writer. */
  *[Symbol.iterator](): Iterator<StreamReader | StreamWriter> {
    yield this.reader;
    yield this.writer;
  }

  /** Closes the connection (flushing what was written). Idempotent. */
  close(): void {
    this.writer.close();
  }

  /** Closes the connection and waits until the socket is closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.writer.close();
    await this.writer.waitClosed();
  }
}

/**
 * Wraps a connected socket as a {@link Connection}: reader with backpressure, writer, half-close
 * enabled. Used by both the client and the server side.
 * @internal
 */
export function wrapSocket(socket: Socket, limit: number | undefined, name?: string): Connection {
  const options: { limit?: number; name?: string } = {};
  if (limit !== undefined) options.limit = limit;
  const peer = name ?? (socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort ?? 0}` : undefined);
  if (peer !== undefined) options.name = peer;
  const reader = readerFromStream(socket, options);
  const writer = new StreamWriter(socket);
  return new Connection(reader, writer);
}

/**
 * Opens a TCP connection (TLS with `ssl`) and returns its reader and writer.
 * asyncio: `asyncio.open_connection()`.
 *
 * Nagle's algorithm is off (`noDelay`), as request/response protocols need. The socket allows
 * half-close: `writer.writeEof()` sends a FIN and reading goes on.
 *
 * @param host The host name or IP address.
 * @param port The TCP port.
 * @param options See {@link OpenConnectionOptions}.
 * @returns The {@link Connection}, which destructures as `[reader, writer]`.
 * @throws {BrokenResourceError} when the connection fails (`cause` is Node's error, such as
 *   `ECONNREFUSED`) or the TLS handshake fails.
 * @throws {CancelledError} when the task is cancelled while connecting.
 * @throws {RangeError} for a bad port or limit.
 *
 * @example The seed's client side
 * ```ts
 * const [reader, writer] = await openConnection("127.0.0.1", 8888);
 * writer.write("Hello!");
 * await writer.drain();
 * console.log((await reader.read(1024)).toString());
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export function openConnection(host: string, port: number, options?: OpenConnectionOptions): Promise<Connection> {
  try {
    checkHost(host);
    checkPort(port);
    checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const ssl = options?.ssl;
  const noDelay = options?.noDelay ?? true;
  return connectWith(
    () => {
      if (ssl !== undefined && ssl !== false) {
        const tlsOptions: TlsConnectionOptions & { localAddress?: string } = { ...(ssl === true ? {} : ssl), host, port };
        if (tlsOptions.servername === undefined && !isIp(host)) tlsOptions.servername = host;
        if (options?.localAddress !== undefined) tlsOptions.localAddress = options.localAddress;
        const socket = tlsConnect(tlsOptions);
        socket.setNoDelay(noDelay);
        return { socket, event: "secureConnect" };
      }
      const netOptions: TcpNetConnectOpts = { host, port, noDelay, allowHalfOpen: true };
      if (options?.localAddress !== undefined) netOptions.localAddress = options.localAddress;
      return { socket: netConnect(netOptions), event: "connect" };
    },
    `${host}:${port}`,
    options,
  );
}

/**
 * Opens a Unix-domain socket connection. asyncio: `asyncio.open_unix_connection()`.
 *
 * @param path The socket's path.
 * @param options See {@link OpenConnectionOptions} (`noDelay` and `localAddress` do not apply).
 * @returns The {@link Connection}.
 * @throws {BrokenResourceError} when the connection fails (`ENOENT`, `ECONNREFUSED`...).
 * @throws {CancelledError} when the task is cancelled while connecting.
 *
 * @example
 * ```ts
 * await using conn = await openUnixConnection("/tmp/app.sock");
 * ```
 */
export function openUnixConnection(path: string, options?: OpenConnectionOptions): Promise<Connection> {
  if (typeof path !== "string" || path.length === 0) {
    return Promise.reject(new TypeError(`Expected 'path' to be a non-empty string: received ${show(path)}`));
  }
  try {
    checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const ssl = options?.ssl;
  return connectWith(
    () => {
      if (ssl !== undefined && ssl !== false) {
        return { socket: tlsConnect({ ...(ssl === true ? {} : ssl), path }), event: "secureConnect" };
      }
      return { socket: netConnect({ path, allowHalfOpen: true }), event: "connect" };
    },
    path,
    options,
    path,
  );
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

async function connectWith(
  start: () => { socket: Socket; event: string },
  where: string,
  options: OpenConnectionOptions | undefined,
  pipePath?: string,
): Promise<Connection> {
  const signal = validateSignal(options?.signal);
  const limit = options?.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new RangeError(`Expected 'limit' to be a positive integer: received ${show(limit)}`);
  }
  const { socket, event } = start();
  let settled = false;
  let waiter: Suspension<Connection>;
  try {
    waiter = suspend<Connection>(
      () => `openConnection(${where})`,
      () => {
        settled = true;
        socket.removeListener(event, onReady);
        // Keep a listener: a destroyed half-open socket may still report an error.
        socket.on("error", ignore);
        socket.destroy();
      },
      signal,
    );
  } catch (error) {
    socket.on("error", ignore);
    socket.destroy();
    throw error;
  }
  function onReady(): void {
    if (settled) return;
    settled = true;
    socket.removeListener("error", onError);
    if (pipePath !== undefined) setPipePath(socket, "peer", pipePath);
    // Wrap at once, inside the event: the reader and writer listen for errors from now on.
    waiter.resume(wrapSocket(socket, limit, pipePath));
  }
  const onError = (error: Error): void => {
    socket.removeListener(event, onReady);
    socket.destroy();
    if (settled) return;
    settled = true;
    const code = (error as { code?: string }).code;
    waiter.fail(new BrokenResourceError(`Could not connect to ${where}: ${code ?? error.message}`, { cause: error }));
  };
  socket.once(event, onReady);
  socket.once("error", onError);
  return waiter.promise;
}

function ignore(): void {}
