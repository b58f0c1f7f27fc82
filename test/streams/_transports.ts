/**
 * The transports the conformance suite runs over: TCP on 127.0.0.1 and Unix-domain sockets.
 * Each gives a connected pair (server side, client side) of taskio connections.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cancellable } from "../../src/index.js";
import {
  Connection,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  type ConnectionHandler,
  type Server,
  type StartServerOptions,
} from "../../src/streams/index.js";
import { readerFromStream, type StreamReader } from "../../src/streams/reader.js";
import { StreamWriter } from "../../src/streams/writer.js";
import { memorySocketPair } from "./_memory.js";

/** A connected pair: the client's connection and the server side's reader and writer. */
export interface Pair extends AsyncDisposable {
  client: Connection;
  peer: { reader: StreamReader; writer: StreamWriter };
}

export interface Transport {
  name: string;
  /** A connected pair; `options.limit` is the server side's reader limit. */
  pair(options?: { limit?: number }): Promise<Pair>;
  /** True when the transport can send a reset (RST). */
  canReset: boolean;
}

interface SocketTransport {
  serve(handler: ConnectionHandler, options?: StartServerOptions): Promise<Server>;
  connect(server: Server): Promise<Connection>;
}

/** A pair over a real server: the server's handler hands its side over and lives until disposal. */
async function serverPair(kind: SocketTransport, options?: { limit?: number }): Promise<Pair> {
  const { server, next } = await acceptingServer(kind, options);
  const client = await kind.connect(server);
  const peer = await next();
  return {
    client,
    peer,
    async [Symbol.asyncDispose]() {
      await client[Symbol.asyncDispose]();
      peer.release();
      server.close();
      await server.waitClosed();
    },
  };
}

/** A pair over in-memory sockets: no server, no kernel, same reader and writer. */
function memoryPair(options?: { limit?: number }): Promise<Pair> {
  const [a, b] = memorySocketPair();
  const client = new Connection(readerFromStream(a), new StreamWriter(a));
  const peer = { reader: readerFromStream(b, options?.limit === undefined ? undefined : { limit: options.limit }), writer: new StreamWriter(b) };
  return Promise.resolve({
    client,
    peer,
    async [Symbol.asyncDispose]() {
      await client[Symbol.asyncDispose]();
      peer.writer.close();
      await peer.writer.waitClosed();
    },
  });
}

let dir: string | undefined;
let counter = 0;

function socketPath(): string {
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), "taskio-streams-"));
    const made = dir;
    process.once("exit", () => rmSync(made, { recursive: true, force: true }));
  }
  return join(dir, `s${++counter}.sock`);
}

const paths = new WeakMap<Server, string>();

const tcp: SocketTransport = {
  serve: (handler, options) => startServer(handler, "127.0.0.1", 0, options),
  connect: (server) => openConnection("127.0.0.1", server.port!),
};

const unix: SocketTransport = {
  serve: async (handler, options) => {
    const path = socketPath();
    const server = await startUnixServer(handler, path, options);
    paths.set(server, path);
    return server;
  },
  connect: (server) => openUnixConnection(paths.get(server)!),
};

export const transports: Transport[] = [
  { name: "TCP 127.0.0.1", pair: (options) => serverPair(tcp, options), canReset: true },
  { name: "Unix socket", pair: (options) => serverPair(unix, options), canReset: false },
  { name: "in-memory socket pair", pair: memoryPair, canReset: false },
];

/** A server-side connection handed to the test through a promise, with the handler kept alive until `release`. */
export interface Accepted {
  reader: StreamReader;
  writer: StreamWriter;
  release: () => void;
}

/**
 * Starts a server whose handler hands each connection to the test and stays alive until the
 * test releases it. Returns the server and a function that waits for the next connection.
 */
async function acceptingServer(
  transport: SocketTransport,
  options?: StartServerOptions,
): Promise<{ server: Server; next: () => Promise<Accepted> }> {
  const ready: Accepted[] = [];
  const waiting: ((accepted: Accepted) => void)[] = [];
  const server = await transport.serve(async (reader, writer) => {
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const accepted = { reader, writer, release };
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(accepted);
    else ready.push(accepted);
    await cancellable(done);
  }, options);
  const next = (): Promise<Accepted> => {
    const first = ready.shift();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => waiting.push(resolve));
  };
  return { server, next };
}

/**
 * Waits until `condition` holds: a handshake on state, never a fixed sleep. Polls every event-loop
 * turn at first, then every few milliseconds, and gives up after 20 s (a machine under load can
 * be slow to deliver a packet or start a process, never that slow).
 */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (let turn = 0; ; turn++) {
    if (condition()) return;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    if (turn < 1000) await new Promise((resolve) => setImmediate(resolve));
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
