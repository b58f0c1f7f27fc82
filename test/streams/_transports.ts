/**
 * The transports the conformance suite runs over: TCP on 127.0.0.1 and Unix-domain sockets.
 * Each gives a connected pair (server side, client side) of taskio connections.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cancellable } from "../../src/index.js";
import {
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  type Connection,
  type ConnectionHandler,
  type Server,
  type StartServerOptions,
} from "../../src/streams/index.js";
import type { StreamReader } from "../../src/streams/reader.js";
import type { StreamWriter } from "../../src/streams/writer.js";

export interface Transport {
  name: string;
  /** Starts a server. */
  serve(handler: ConnectionHandler, options?: StartServerOptions): Promise<Server>;
  /** Connects to a server started by `serve`. */
  connect(server: Server, options?: { limit?: number }): Promise<Connection>;
  /** True when the transport can send a reset (RST). */
  canReset: boolean;
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

export const transports: Transport[] = [
  {
    name: "TCP 127.0.0.1",
    serve: (handler, options) => startServer(handler, "127.0.0.1", 0, options),
    connect: (server, options) => openConnection("127.0.0.1", server.port!, options),
    canReset: true,
  },
  {
    name: "Unix socket",
    serve: async (handler, options) => {
      const path = socketPath();
      const server = await startUnixServer(handler, path, options);
      paths.set(server, path);
      return server;
    },
    connect: (server, options) => openUnixConnection(paths.get(server)!, options),
    canReset: false,
  },
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
export async function acceptingServer(
  transport: Transport,
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

/** Polls a condition once per event-loop turn (a handshake on state, never a timed sleep). */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
