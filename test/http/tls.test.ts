import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError, createTask, run } from "../../src/index.js";
import { ClientConnectionError, ClientPayloadError, ClientSession, download } from "../../src/http/index.js";
import { until, withoutLeaks } from "../_helpers/leaks.js";
import { makeSelfSignedCertificate, needsOpenssl } from "../_helpers/tls.js";

let dir = "";
let key = "";
let cert = "";

void describe("HTTPS: certificates are verified", { skip: needsOpenssl() }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "taskio-https-"));
    ({ key, cert } = makeSelfSignedCertificate());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("a self-signed certificate is refused by default, accepted with tls.ca; download() works over HTTPS", async () => {
    await withoutLeaks(async () => {
      const server = createServer({ key, cert }, (_req, res) => res.end("secure"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
      try {
        {
          await using strict = new ClientSession();
          const error = await strict.get(url).catch((e: unknown) => e);
          assert.ok(error instanceof ClientConnectionError);
          assert.match(error.message, /self[- ]signed|SELF_SIGNED/i);
        }
        {
          await using trusting = new ClientSession({ tls: { ca: cert } });
          assert.equal(await (await trusting.get(url)).text(), "secure");
          const result = await download(trusting, url, join(dir, "file.txt"));
          assert.equal(result.bytes, 6);
          assert.equal(readFileSync(join(dir, "file.txt"), "utf8"), "secure");
        }
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});

/** An HTTPS server for the download tests: routes by path, a log of requests and open sockets. */
async function httpsServer(
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
): Promise<{ url: string; log: { path: string; connection: string | undefined; range: string | undefined }[]; sockets: Set<Socket>; close(): Promise<void> }> {
  const log: { path: string; connection: string | undefined; range: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ key, cert }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    log.push({ path, connection: req.headers.connection, range: req.headers.range });
    const route = routes[path];
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    sockets,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves `data` with Range support; `cut` (bytes from the start of the file) resets the connection there. */
function serveBytes(data: Buffer, cut?: () => number | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = match === null ? 0 : Number(match[1]);
    const headers: Record<string, string | number> = { "content-length": data.length - start };
    if (match !== null) headers["content-range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
    res.writeHead(match === null ? 200 : 206, headers);
    const at = cut?.();
    if (at === undefined || at <= start) {
      res.end(data.subarray(start));
      return;
    }
    res.write(data.subarray(start, at), () => setImmediate(() => res.socket?.destroy()));
  };
}

void describe("download() over HTTPS: its own TLS socket reading into reused buffers", { skip: needsOpenssl() }, () => {
  const DATA = randomBytes(16 * 1024 * 1024 + 7);
  const SHA = createHash("sha256").update(DATA).digest("hex");
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "taskio-https-dl-"));
    ({ key, cert } = makeSelfSignedCertificate());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("exact bytes and checksum on the fast path (a connection of its own, closed after), the same through undici", async () => {
    await withoutLeaks(async () => {
      const srv = await httpsServer({ "/big": serveBytes(DATA) });
      try {
        await using session = new ClientSession({ baseUrl: srv.url, tls: { ca: cert } });
        for (const fastPath of [true, false]) {
          const dest = join(dir, `big-${fastPath}.bin`);
          const seen: number[] = [];
          const result = await download(session, "/big", dest, {
            fastPath,
            checksum: `sha256:${SHA}`,
            onProgress: ({ downloaded }) => {
              seen.push(downloaded);
              // Hold the event loop now and then, so that the socket's reads pile up behind the
              // disk and the ring's buffers are reused under pressure.
              if (seen.length % 16 === 0) {
                const until = performance.now() + 2;
                while (performance.now() < until);
              }
            },
          });
          assert.equal(result.bytes, DATA.length);
          assert.equal(result.checksum, SHA);
          assert.ok(readFileSync(dest).equals(DATA), `fastPath ${fastPath}: the bytes differ`);
          assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
          assert.equal(seen.at(-1), DATA.length);
        }
        assert.deepEqual(
          srv.log.map((r) => r.connection),
          ["close", "keep-alive"],
          "the fast path sends `connection: close` on its own socket; undici keeps its connection",
        );
        assert.equal(session.active, 0);
      } finally {
        await srv.close();
      }
    });
  });

  void test("a reset mid-body keeps the .part with resume; the next call continues with Range on the fast path", async () => {
    await withoutLeaks(async () => {
      let cutAt: number | undefined = 3 * 1024 * 1024;
      const srv = await httpsServer({ "/big": serveBytes(DATA, () => cutAt) });
      try {
        await using session = new ClientSession({ baseUrl: srv.url, tls: { ca: cert } });
        const dest = join(dir, "resumed.bin");
        await assert.rejects(download(session, "/big", dest, { resume: true }), ClientPayloadError);
        assert.equal(existsSync(dest), false);
        const partial = readFileSync(`${dest}.part`).length;
        assert.ok(partial > 0 && partial <= 3 * 1024 * 1024, `partial ${partial}`);
        cutAt = undefined;
        const result = await download(session, "/big", dest, { resume: true, checksum: `sha256:${SHA}` });
        assert.equal(result.status, 206);
        assert.equal(result.resumedFrom, partial);
        assert.ok(readFileSync(dest).equals(DATA));
        assert.equal(existsSync(`${dest}.part`), false);
        assert.deepEqual(
          srv.log.map((r) => [r.connection, r.range]),
          [
            ["close", undefined],
            ["close", `bytes=${partial}-`],
          ],
        );
      } finally {
        await srv.close();
      }
    });
  });

  void test("cancelled mid-body: the TLS connection is closed, no .part, the session still serves", async () => {
    await withoutLeaks(async () => {
      const first = Buffer.alloc(256 * 1024, 7);
      const srv = await httpsServer({
        "/stall": (_req, res) => {
          res.writeHead(200, { "content-length": 10 * first.length });
          res.write(first);
        },
        "/big": serveBytes(DATA.subarray(0, 100_000)),
      });
      try {
        await run(async () => {
          await using session = new ClientSession({ baseUrl: srv.url, tls: { ca: cert } });
          const dest = join(dir, "stalled.bin");
          let progressed = false;
          const task = createTask(() => download(session, "/stall", dest, { onProgress: () => (progressed = true) }));
          await until(() => progressed, "the first bytes of the body");
          assert.equal(progressed, true);
          task.cancel();
          await assert.rejects(task, CancelledError);
          assert.equal(existsSync(`${dest}.part`), false);
          assert.equal(existsSync(dest), false);
          await until(() => srv.sockets.size === 0, "the server's sockets to close");
          assert.equal(srv.sockets.size, 0, "the server saw the connection closed");
          assert.equal(session.active, 0);
          const again = await download(session, "/big", join(dir, "after.bin"));
          assert.equal(again.bytes, 100_000);
        });
      } finally {
        await srv.close();
      }
    });
  });

  void test("an untrusted certificate fails as on the session (ClientConnectionError), nothing written; rejectUnauthorized: false takes it", async () => {
    await withoutLeaks(async () => {
      const srv = await httpsServer({ "/big": serveBytes(DATA.subarray(0, 50_000)) });
      try {
        const dest = join(dir, "untrusted.bin");
        {
          await using strict = new ClientSession({ baseUrl: srv.url });
          const error = await download(strict, "/big", dest).catch((e: unknown) => e);
          assert.ok(error instanceof ClientConnectionError, String(error));
          assert.match(error.message, /self[- ]signed|SELF_SIGNED/i);
          assert.equal(existsSync(dest), false);
          assert.equal(existsSync(`${dest}.part`), false);
          assert.equal(srv.log.length, 0, "no request was sent over an unverified connection");
        }
        {
          await using lax = new ClientSession({ baseUrl: srv.url, tls: { rejectUnauthorized: false } });
          const result = await download(lax, "/big", dest);
          assert.equal(result.bytes, 50_000);
          assert.deepEqual(srv.log.map((r) => r.connection), ["close"]);
        }
      } finally {
        await srv.close();
      }
    });
  });
});
