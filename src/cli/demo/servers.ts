/**
 * The demo's world: a local HTTP server on 127.0.0.1 (an ephemeral port) standing in for the
 * seed's https://codesparklab.com, and a temporary folder. Both are created on first use and
 * removed by `close()`, so the tour needs no network and leaves nothing behind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSession } from "../../http/index.js";

/** The seed's three JSON files, answered at different speeds so that as_completed shows an order. */
export const EXAMPLE_DELAYS: Readonly<Record<string, number>> = {
  "example1.json": 300,
  "example2.json": 50,
  "example3.json": 150,
};

/** What the local HTTP server saw. */
export interface HttpStats {
  /** Requests being answered right now. */
  inFlight: number;
  /** The most requests answered at once since the last `resetPeak()`. */
  peakInFlight: number;
  /** Requests per path (`/flaky/a` counts separately from `/flaky/b`). */
  requests: Map<string, number>;
  /** Body bytes sent by `/bytes/N`. */
  bytesServed: number;
}

/** The page behind `/flaky/<key>` once it stops failing. */
export const FLAKY_PAGE = `<!doctype html><title>codesparklab</title>${"<p>hello</p>".repeat(100)}`;

/**
 * A local HTTP server:
 * - `GET /json/example{1,2,3}.json`: JSON after 300, 50, 150 ms;
 * - `GET /json/example.json?delay=ms`: JSON after `delay` ms (default 100);
 * - `GET /flaky/<key>`: 503 twice per key, then {@link FLAKY_PAGE};
 * - `GET /bytes/<n>`: `n` bytes generated on the fly, streamed with backpressure.
 */
export class LocalHttpServer {
  readonly #server: Server;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly stats: HttpStats = { inFlight: 0, peakInFlight: 0, requests: new Map(), bytesServed: 0 };
  #baseUrl = "http://127.0.0.1:0";

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 1000;
  }

  /** Starts the server on an ephemeral port. */
  static async start(): Promise<LocalHttpServer> {
    const self = new LocalHttpServer();
    const server = self.#server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    self.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return self;
  }

  /** `http://127.0.0.1:<port>`. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** The URL of `path` on this server. */
  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Starts a new measurement of the most requests answered at once. */
  resetPeak(): void {
    this.stats.peakInFlight = this.stats.inFlight;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const path = url.pathname;
    this.stats.requests.set(path, (this.stats.requests.get(path) ?? 0) + 1);
    this.stats.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.stats.inFlight--;
    };
    res.once("close", finish);

    const json = /^\/json\/(example\d?\.json)$/.exec(path);
    if (json !== null) {
      const name = json[1]!;
      const delay = EXAMPLE_DELAYS[name] ?? Number(url.searchParams.get("delay") ?? 100);
      const body = JSON.stringify({ name, delay, items: Array.from({ length: 10 }, (_, i) => i) });
      this.#later(delay, () => res.writeHead(200, { "content-type": "application/json" }).end(body));
      return;
    }
    if (path.startsWith("/flaky/")) {
      if (this.stats.requests.get(path)! <= 2) {
        res.writeHead(503, "Service Unavailable", { "retry-after": "0" }).end();
      } else {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(FLAKY_PAGE);
      }
      return;
    }
    const bytes = /^\/bytes\/(\d+)$/.exec(path);
    if (bytes !== null) {
      this.#stream(res, Number(bytes[1]));
      return;
    }
    res.writeHead(404).end();
  }

  /** Sends `size` bytes made on the fly from one reused 256 KiB block, pausing on backpressure. */
  #stream(res: ServerResponse, size: number): void {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
    const block = Buffer.alloc(256 * 1024, 0x2a);
    let left = size;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        this.stats.bytesServed += n;
        if (!res.write(n === block.length ? block : block.subarray(0, n))) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    pump();
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Stops the server: pending answers are dropped, every connection is closed. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

/** The servers and the temporary folder of one tour, created on first use. */
export class DemoWorld implements AsyncDisposable {
  #http: Promise<LocalHttpServer> | undefined;
  #dir: Promise<string> | undefined;

  /**
   * The local HTTP server (started on first use). The HTTP client engine (undici, loaded lazily)
   * is warmed up by one request here, so that no section's timing or memory figure includes it.
   */
  http(): Promise<LocalHttpServer> {
    this.#http ??= LocalHttpServer.start().then(async (server) => {
      try {
        await using session = new ClientSession();
        await (await session.get(server.url("/json/example.json?delay=0"))).bytes();
      } catch (error) {
        await server.close();
        throw error;
      }
      return server;
    });
    return this.#http;
  }

  /** The tour's temporary folder (created on first use). */
  tempDir(): Promise<string> {
    this.#dir ??= mkdtemp(join(tmpdir(), "taskio-demo-"));
    return this.#dir;
  }

  /** Closes the server and removes the temporary folder. */
  async close(): Promise<void> {
    const http = this.#http;
    const dir = this.#dir;
    this.#http = undefined;
    this.#dir = undefined;
    const results = await Promise.allSettled([
      // A server or folder that failed to start was reported by the section that asked for it.
      http?.then(
        (server) => server.close(),
        () => undefined,
      ),
      dir?.then(
        (path) => rm(path, { recursive: true, force: true }),
        () => undefined,
      ),
    ]);
    for (const result of results) if (result.status === "rejected") throw result.reason;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
