/**
 * A real HTTP server on 127.0.0.1 for the HTTP tests: started and stopped by each test, with
 * per-path handlers, a request log and the open sockets (to check that connections are freed).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withoutLeaks } from "../_helpers/leaks.js";

/** A request handler; may be async. */
export type Handler = (req: IncomingMessage, res: ServerResponse, server: TestServer) => unknown;

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` (`https://` when started with `tls`). */
  url: string;
  port: number;
  server: Server;
  /** Sockets currently open on the server side. */
  sockets: Set<Socket>;
  /** Requests received, as `METHOD /path`. */
  log: string[];
  /** Headers of each request received, in order. */
  headers: IncomingMessage["headers"][];
  /** Resolves the next time a request for `path` arrives (a handshake for the tests). */
  arrived(path: string): Promise<void>;
  /** Resolves when no socket is open any more. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a server whose `routes` map a path (without query) to a handler; other paths get 404.
 * With `tls` (a PEM key and certificate) it serves HTTPS.
 */
export async function startTestServer(routes: Record<string, Handler>, options?: { tls?: { key: string; cert: string } }): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const waiting = new Map<string, (() => void)[]>();
  let idleWaiters: (() => void)[] = [];
  const listener: RequestListener = (req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    self.log.push(`${req.method ?? "GET"} ${req.url ?? "/"}`);
    self.headers.push(req.headers);
    const list = waiting.get(path);
    if (list !== undefined) {
      waiting.delete(path);
      for (const resolve of list) resolve();
    }
    const handler = routes[path];
    if (handler === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    Promise.resolve(handler(req, res, self)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  };
  const tls = options?.tls;
  // An https.Server is an http.Server over TLS: the same fields and methods the tests use.
  const server: Server = tls === undefined ? createServer(listener) : createHttpsServer({ key: tls.key, cert: tls.cert }, listener);
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) {
        const list = idleWaiters;
        idleWaiters = [];
        for (const resolve of list) resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const self: TestServer = {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    port,
    server,
    sockets,
    log: [],
    headers: [],
    arrived(path) {
      return new Promise<void>((resolve) => {
        const list = waiting.get(path) ?? [];
        list.push(resolve);
        waiting.set(path, list);
      });
    },
    idle() {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

/**
 * Runs `fn` with a test server on `routes` and a fresh temporary folder (for downloads), under
 * `withoutLeaks`; the server is closed and the folder removed afterwards.
 */
export async function withTestServer(routes: Record<string, Handler>, fn: (srv: TestServer, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-http-"));
  try {
    await withoutLeaks(async () => {
      const srv = await startTestServer(routes);
      try {
        await fn(srv, dir);
      } finally {
        await srv.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
