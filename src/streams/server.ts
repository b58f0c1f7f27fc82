/**
 * Servers: `startServer` (TCP, optionally TLS) and `startUnixServer`.
 * asyncio: `asyncio.start_server()`, `asyncio.start_unix_server()`, `asyncio.Server`.
 *
 * Why it is built this way:
 *
 * - **Handlers are tasks.** Each accepted connection runs `handler(reader, writer)` as a named
 *   child task of the task that started the server, so `dumpTasks()` shows every connection, a
 *   run's end reaches them, and cancelling the owner (or closing the server) cancels them.
 * - **A handler's failure is contained.** The server observes each handler task: an error is
 *   reported through the exception handler at once (with the task's name) and the connection is
 *   closed; other connections and the listener carry on (DESIGN principle 7).
 * - **No leaks.** The connection is closed when its handler returns, whatever happened (trio's
 *   `serve_tcp` rule); `waitClosed()` resolves only when the listener is closed, every handler has
 *   finished and every socket is closed.
 *
 * @module
 */

import { existsSync, statSync, unlinkSync } from "node:fs";
import { createServer as netCreateServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as tlsCreateServer, type TlsOptions } from "node:tls";
import { BrokenResourceError, ClosedResourceError, InvalidStateError, isCancelled } from "../errors.js";
import { checkpoint, suspend, validateSignal, WaiterSet } from "../core/suspend.js";
import { onRunExit } from "../core/run.js";
import { getCurrentTask, reportException, spawnUnder, type Task, type TaskObserver } from "../core/task.js";
import { wrapSocket, type Connection } from "./connection.js";
import type { StreamReader } from "./reader.js";
import { setPipePath, type SocketAddress, type StreamWriter } from "./writer.js";
import { checkHost, checkOptions, checkPort, show } from "./_internal/validate.js";

/** A connection handler: asyncio's `client_connected_cb`. */
export type ConnectionHandler = (reader: StreamReader, writer: StreamWriter) => void | Promise<void>;

/** Options for {@link startServer} and {@link startUnixServer}. */
export interface StartServerOptions {
  /** Each connection's reader limit. @default 65536 */
  limit?: number;
  /** The listen backlog. @default 511 (Node's default) */
  backlog?: number;
  /** Serve TLS: `node:tls` server options, at least `key` and `cert`. */
  ssl?: TlsOptions;
  /** Disable Nagle's algorithm on accepted sockets. @default true */
  noDelay?: boolean;
  /** A name for the handler tasks (`<name>[<peer>]`). @default the handler function's name */
  name?: string;
  /** Abort starting the server. */
  signal?: AbortSignal;
}

/** Options for the server's waits. */
export interface ServerWaitOptions {
  /** Abort the wait. */
  signal?: AbortSignal;
}

/** A listening socket of a {@link Server}, as asyncio's `server.sockets` lists them. */
export class ServerSocket {
  readonly #server: NetServer;
  readonly #path: string | undefined;

  /** @internal */
  constructor(server: NetServer, path: string | undefined) {
    this.#server = server;
    this.#path = path;
  }

  /** The bound address: `[host, port]`, or the path of a Unix socket. asyncio: `getsockname()`. */
  getsockname(): SocketAddress {
    if (this.#path !== undefined) return this.#path;
    const address = this.#server.address();
    if (address === null || typeof address === "string") return address ?? "";
    return [address.address, address.port] as const;
  }
}

class ConnectionRecord implements TaskObserver {
  task: Task<void> | undefined = undefined;
  socketClosed = false;
  constructor(
    readonly server: Server,
    readonly connection: Connection,
  ) {}
  _taskDone(task: Task<unknown>): void {
    this.server._handlerDone(this, task);
  }
}

/**
 * A listening server. asyncio: `asyncio.Server`.
 *
 * @example The seed's echo server
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   for (;;) {
 *     const data = await reader.read(1024);
 *     if (data.length === 0) break;
 *     writer.write(data);
 *     await writer.drain();
 *   }
 * }, "127.0.0.1", 8888);
 * await using _ = server;
 * await server.serveForever();
 * ```
 */
export class Server implements AsyncDisposable {
  readonly #server: NetServer;
  readonly #handler: ConnectionHandler;
  readonly #name: string;
  readonly #owner: Task<unknown> | undefined;
  readonly #path: string | undefined;
  readonly #records = new Set<ConnectionRecord>();
  #closing = false;
  #listenerClosed = false;
  #serving = false;
  #accepted = 0;
  readonly #closeWaiters = new WaiterSet(() => `Server.waitClosed(${this.#name})`);

  /** @internal Use {@link startServer}. */
  constructor(server: NetServer, handler: ConnectionHandler, name: string, path: string | undefined) {
    this.#server = server;
    this.#handler = handler;
    this.#name = name;
    this.#owner = getCurrentTask();
    this.#path = path;
    server.on("close", () => {
      this.#listenerClosed = true;
      this.#checkClosed();
    });
    server.on("error", (error: Error) => {
      // A bind error is startServer's to throw; once listening, an error concerns one accept.
      if (!server.listening) return;
      reportException({ message: `Server '${name}' failed to accept a connection`, error });
    });
  }

  /** @internal */
  _accept(socket: Socket, limit: number | undefined): void {
    const owner = this.#owner;
    let parent = owner;
    while (parent !== undefined && parent.done()) parent = parent.parent;
    // Closing, or the task that started the server and all its ancestors have finished (its
    // run() is ending and will close this server): refuse rather than start an orphan handler.
    if (this.#closing || (owner !== undefined && parent === undefined)) {
      socket.destroy();
      return;
    }
    this.#accepted++;
    if (this.#path !== undefined) setPipePath(socket, "sock", this.#path);
    const peer = socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort ?? 0}` : `${this.#path ?? "unix"}#${this.#accepted}`;
    const connection = wrapSocket(socket, limit, peer);
    const record = new ConnectionRecord(this, connection);
    this.#records.add(record);
    // A client that connected and reset at once may have closed already: then no 'close' comes.
    if (socket.closed) record.socketClosed = true;
    else {
      socket.once("close", () => {
        record.socketClosed = true;
        if (record.task === undefined || record.task.done()) this.#forget(record);
      });
    }
    const handler = this.#handler;
    const name = `${this.#name}[${peer}]`;
    const body = (): void | Promise<void> => handler(connection.reader, connection.writer);
    // The handler is a child of the owner's line, whatever async context the event fired in.
    const task: Task<void> = spawnUnder(parent, body, name);
    record.task = task;
    task._observe(record, 0);
  }

  /** @internal A handler task finished: report its error, close its connection. */
  _handlerDone(record: ConnectionRecord, task: Task<unknown>): void {
    if (task.state === "failed") {
      const error = task.exception();
      if (!isCancelled(error)) {
        reportException({ message: "Unhandled error in a connection handler", error, taskName: task.name });
      }
    }
    const writer = record.connection.writer;
    writer.close();
    if (record.socketClosed) this.#forget(record);
  }

  #forget(record: ConnectionRecord): void {
    if (this.#records.delete(record)) this.#checkClosed();
  }

  #checkClosed(): void {
    if (!this.#listenerClosed || this.#records.size > 0) return;
    this.#closeWaiters.wakeAll();
  }

  /** The listening sockets. asyncio: `server.sockets`. */
  get sockets(): ServerSocket[] {
    return this.#closing ? [] : [new ServerSocket(this.#server, this.#path)];
  }

  /** The bound TCP port (useful after listening on port 0), or `undefined` for a Unix socket. */
  get port(): number | undefined {
    const address = this.#server.address();
    return address !== null && typeof address === "object" ? address.port : undefined;
  }

  /** How many connections are open right now. */
  get connectionCount(): number {
    return this.#records.size;
  }

  /** True while the server accepts connections. asyncio: `is_serving()`. */
  isServing(): boolean {
    return !this.#closing;
  }

  /**
   * Serves until the server is closed or the calling task is cancelled; on cancellation closes
   * the server and waits for its handlers before re-throwing. asyncio: `serve_forever()`.
   * @throws {InvalidStateError} when `serveForever()` is already running.
   * @throws {ClosedResourceError} when the server is closed.
   * @throws {CancelledError} when cancelled (after the server has closed).
   */
  async serveForever(options?: ServerWaitOptions): Promise<void> {
    if (this.#serving) throw new InvalidStateError("serveForever() is already running on this server: call it once");
    if (this.#closing) throw new ClosedResourceError("The server is closed: start a new one to serve again");
    this.#serving = true;
    try {
      await this.waitClosed(options);
    } catch (error) {
      this.close();
      await this.#waitClosedAfterCancel();
      throw error;
    } finally {
      this.#serving = false;
    }
  }

  /** Waits for the close to finish, even if the task is cancelled again meanwhile. */
  async #waitClosedAfterCancel(): Promise<void> {
    for (;;) {
      try {
        await this.waitClosed();
        return;
      } catch (error) {
        if (!isCancelled(error)) throw error;
      }
    }
  }

  /**
   * Stops listening and cancels every running handler (their connections close when they end).
   * Idempotent. asyncio: `close()` (which leaves handlers running; taskio's scopes do not).
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#server.close();
    for (const record of this.#records) record.task?.cancel("the server is closing");
  }

  /** Closes every client connection gracefully (flushing what was written). asyncio: `close_clients()`. */
  closeClients(): void {
    for (const record of this.#records) record.connection.writer.close();
  }

  /** Resets every client connection at once. asyncio: `abort_clients()`. */
  abortClients(): void {
    for (const record of this.#records) record.connection.writer.abort();
  }

  /**
   * Waits until the server is closed: not listening, every handler finished, every connection
   * closed. asyncio: `wait_closed()`.
   * @throws {CancelledError} when the task is cancelled.
   */
  waitClosed(options?: ServerWaitOptions): Promise<void> {
    return this.#closeWaiters.wait(this.#listenerClosed && this.#records.size === 0, options?.signal);
  }

  /** Closes the server and waits until it is closed (`await using server = ...`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#waitClosedAfterCancel();
  }

  /** Shows the state: `Server 'handleEcho' <serving 127.0.0.1:8888, 3 connections>`. */
  toString(): string {
    const address = this.sockets[0]?.getsockname();
    const where = address === undefined ? "" : ` ${typeof address === "string" ? address : `${address[0]}:${address[1]}`}`;
    const state = this.#closing ? (this.#listenerClosed && this.#records.size === 0 ? "closed" : "closing") : "serving";
    return `Server '${this.#name}' <${state}${where}, ${this.#records.size} connection(s)>`;
  }
}

function validateOptions(options: StartServerOptions | undefined): void {
  const limit = options?.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new RangeError(`Expected 'limit' to be a positive integer: received ${show(limit)}`);
  }
  const backlog = options?.backlog;
  if (backlog !== undefined && (!Number.isSafeInteger(backlog) || backlog <= 0)) {
    throw new RangeError(`Expected 'backlog' to be a positive integer: received ${show(backlog)}`);
  }
}

function makeServer(
  handler: ConnectionHandler,
  options: StartServerOptions | undefined,
  path: string | undefined,
): { server: Server; netServer: NetServer } {
  if (typeof handler !== "function") {
    throw new TypeError(`Expected 'handler' to be a function (reader, writer) => Promise<void>: received ${typeof handler}`);
  }
  validateOptions(options);
  const noDelay = path === undefined && (options?.noDelay ?? true);
  const ssl = options?.ssl;
  const name = options?.name ?? (handler.name !== "" ? handler.name : "handler");
  const netServer: NetServer =
    ssl !== undefined
      ? // TLS cannot half-close (canWriteEof() is false): a peer's EOF ends the connection, as in asyncio.
        tlsCreateServer({ ...ssl, noDelay })
      : netCreateServer({ allowHalfOpen: true, noDelay });
  const server = new Server(netServer, handler, name, path);
  const limit = options?.limit;
  if (ssl !== undefined) {
    netServer.on("secureConnection", (socket: Socket) => server._accept(socket, limit));
    // A failed handshake concerns one client only. Destroy its socket: with half-close allowed,
    // Node would otherwise keep it open, and the server could never finish closing.
    netServer.on("tlsClientError", (_error: Error, socket: Socket) => socket.destroy());
  } else {
    netServer.on("connection", (socket: Socket) => server._accept(socket, limit));
  }
  return { server, netServer };
}

async function listen(server: Server, netServer: NetServer, where: string, listenArgs: object, signal: AbortSignal | undefined): Promise<Server> {
  const waiter = suspend<void>(
    () => `startServer(${where})`,
    () => {
      netServer.removeListener("error", onError);
      netServer.removeListener("listening", onListening);
      server.close();
    },
    signal,
  );
  const onListening = (): void => {
    netServer.removeListener("error", onError);
    waiter.resume(undefined);
  };
  const onError = (error: Error): void => {
    netServer.removeListener("listening", onListening);
    server.close();
    const code = (error as { code?: string }).code;
    waiter.fail(new BrokenResourceError(`Could not listen on ${where}: ${code ?? error.message}`, { cause: error }));
  };
  netServer.once("listening", onListening);
  netServer.prependOnceListener("error", onError);
  netServer.listen(listenArgs);
  await waiter.promise;
  onRunExit(() => server[Symbol.asyncDispose]());
  return server;
}

/**
 * Starts a TCP server (TLS with `ssl`) that runs `handler(reader, writer)` for each connection.
 * asyncio: `asyncio.start_server()`.
 *
 * The handler runs as a named child task of the calling task; an error it throws is reported
 * through the exception handler and closes only its own connection; the connection is closed when
 * the handler returns. The server is closed when the `run()` it was started in ends.
 *
 * @param handler Called with each connection's reader and writer.
 * @param host The address to bind (`"127.0.0.1"`, `"::1"`, `"0.0.0.0"`...).
 * @param port The port; 0 picks a free one (see {@link Server.port}).
 * @param options See {@link StartServerOptions}.
 * @returns The listening {@link Server}.
 * @throws {BrokenResourceError} when binding fails (`cause.code` is `EADDRINUSE`, `EACCES`...).
 * @throws {RangeError} for a bad port, limit or backlog.
 *
 * @example
 * ```ts
 * await using server = await startServer(handleEcho, "127.0.0.1", 8888);
 * console.log(`Serving on ${server.sockets[0]?.getsockname()}`);
 * await server.serveForever();
 * ```
 */
export async function startServer(
  handler: ConnectionHandler,
  host: string,
  port: number,
  options?: StartServerOptions,
): Promise<Server> {
  checkHost(host);
  checkPort(port);
  checkOptions(options);
  const signal = validateSignal(options?.signal);
  checkpoint(signal);
  const { server, netServer } = makeServer(handler, options, undefined);
  const listenArgs: { host: string; port: number; backlog?: number } = { host, port };
  if (options?.backlog !== undefined) listenArgs.backlog = options.backlog;
  return listen(server, netServer, `${host}:${port}`, listenArgs, signal);
}

/**
 * Starts a Unix-domain socket server. A stale socket file at `path` is removed first, as asyncio
 * does; the file is removed again when the server closes. asyncio: `asyncio.start_unix_server()`.
 *
 * @param handler Called with each connection's reader and writer.
 * @param path The socket's path.
 * @param options See {@link StartServerOptions} (`noDelay` does not apply).
 * @returns The listening {@link Server}.
 * @throws {BrokenResourceError} when binding fails.
 *
 * @example
 * ```ts
 * await using server = await startUnixServer(handleEcho, "/tmp/echo.sock");
 * ```
 */
export async function startUnixServer(handler: ConnectionHandler, path: string, options?: StartServerOptions): Promise<Server> {
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError(`Expected 'path' to be a non-empty string: received ${show(path)}`);
  }
  checkOptions(options);
  const signal = validateSignal(options?.signal);
  checkpoint(signal);
  if (existsSync(path)) {
    try {
      if (statSync(path).isSocket()) unlinkSync(path);
    } catch {
      // Let listen() report the problem.
    }
  }
  const { server, netServer } = makeServer(handler, options, path);
  const listenArgs: { path: string; backlog?: number } = { path };
  if (options?.backlog !== undefined) listenArgs.backlog = options.backlog;
  return listen(server, netServer, path, listenArgs, signal);
}
