import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ClientTimeoutError,
  ResponseTooLargeError,
  ChecksumMismatchError,
  ClientPayloadError,
  ClientResponseError,
  ClientSession,
  download,
} from "../../src/http/index.js";
import { CancelledError, createTask, gather, run } from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { startTestServer, type Handler, type TestServer } from "./_server.js";

const DATA = randomBytes(3 * 1024 * 1024 + 17);
const SHA = createHash("sha256").update(DATA).digest("hex");

/** Serves `data`, honouring `Range: bytes=N-` unless `ranges` is false. */
function serve(data: Buffer, ranges = true): Handler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (ranges && match !== null) {
      const start = Number(match[1]);
      if (start >= data.length) {
        res.writeHead(416, { "content-range": `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "content-length": data.length - start,
        "content-range": `bytes ${start}-${data.length - 1}/${data.length}`,
      });
      res.end(data.subarray(start));
      return;
    }
    res.writeHead(200, { "content-length": data.length, "accept-ranges": ranges ? "bytes" : "none" });
    res.end(data);
  };
}

/** Sends the first `cut` bytes of `data`, then resets the connection. */
function breaking(data: Buffer, cut: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-length": data.length });
    res.write(data.subarray(0, cut), () => setImmediate(() => res.socket?.destroy()));
  };
}

async function withEnv(routes: Record<string, Handler>, fn: (srv: TestServer, dir: string) => Promise<void>): Promise<void> {
  await withoutLeaks(async () => {
    const srv = await startTestServer(routes);
    const dir = mkdtempSync(join(tmpdir(), "taskio-dl-"));
    try {
      await fn(srv, dir);
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const fastPath of [true, false]) {
  const dl: typeof download = (session, url, dest, options = {}) => download(session, url, dest, { fastPath, ...options });

  void describe(`download() (fastPath: ${fastPath})`, () => {
    void test("streams to a .part file, verifies the checksum, renames; progress is monotonic", async () => {
      await withEnv({ "/file": serve(DATA) }, async (srv, dir) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const dest = join(dir, "file.bin");
        const seen: number[] = [];
        const result = await dl(session, "/file", dest, {
          checksum: `sha256:${SHA}`,
          onProgress: ({ downloaded, total }) => {
            assert.equal(total, DATA.length);
            seen.push(downloaded);
          },
        });
        assert.deepEqual(readFileSync(dest), DATA);
        assert.equal(existsSync(`${dest}.part`), false);
        assert.equal(result.bytes, DATA.length);
        assert.equal(result.status, 200);
        assert.equal(result.checksum, SHA);
        assert.ok(seen.length > 0);
        assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
        assert.equal(seen.at(-1), DATA.length);
      });
    });

    void test("a checksum mismatch keeps nothing, and an existing file is left as it was", async () => {
      await withEnv({ "/file": serve(DATA) }, async (srv, dir) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const dest = join(dir, "file.bin");
        writeFileSync(dest, "old");
        const error = await dl(session, "/file", dest, { checksum: { algorithm: "sha256", digest: "00".repeat(32) } }).catch(
          (e: unknown) => e,
        );
        assert.ok(error instanceof ChecksumMismatchError);
        assert.equal(error.actual, SHA);
        assert.equal(readFileSync(dest, "utf8"), "old");
        assert.equal(existsSync(`${dest}.part`), false);
        await assert.rejects(dl(session, "/file", dest, { checksum: "sha256" }), /Expected 'checksum'/);
        await assert.rejects(dl(session, "/missing", dest), ClientResponseError);
        assert.equal(readFileSync(dest, "utf8"), "old");
      });
    });

    void test("a reset mid-body never leaves a truncated file; with resume, the next call continues with Range", async () => {
      const cut = 1024 * 1024;
      await withEnv({ "/broken": breaking(DATA, cut), "/file": serve(DATA) }, async (srv, dir) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const dest = join(dir, "file.bin");
        await assert.rejects(dl(session, "/broken", dest), ClientPayloadError);
        assert.equal(existsSync(dest), false);
        assert.equal(existsSync(`${dest}.part`), false);

        await assert.rejects(dl(session, "/broken", dest, { resume: true }), ClientPayloadError);
        assert.equal(existsSync(dest), false);
        const partial = readFileSync(`${dest}.part`).length;
        assert.ok(partial > 0 && partial <= cut, `partial ${partial}`);

        const result = await dl(session, "/file", dest, { resume: true, checksum: `sha256:${SHA}` });
        assert.equal(result.status, 206);
        assert.equal(result.resumedFrom, partial);
        assert.equal(result.received, DATA.length - partial);
        assert.equal(srv.headers.at(-1)?.range, `bytes=${partial}-`);
        assert.deepEqual(readFileSync(dest), DATA);
        assert.equal(existsSync(`${dest}.part`), false);
      });
    });

    void test("resume against a server without Range support starts over; a complete .part is just renamed", async () => {
      await withEnv({ "/norange": serve(DATA, false), "/file": serve(DATA) }, async (srv, dir) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const dest = join(dir, "file.bin");
        writeFileSync(`${dest}.part`, DATA.subarray(0, 1000));
        const result = await dl(session, "/norange", dest, { resume: true });
        assert.equal(result.status, 200);
        assert.equal(result.resumedFrom, 0);
        assert.deepEqual(readFileSync(dest), DATA);
        writeFileSync(`${dest}.part`, DATA);
        const again = await dl(session, "/file", dest, { resume: true, checksum: `sha256:${SHA}` });
        assert.equal(again.received, 0);
        assert.deepEqual(readFileSync(dest), DATA);
      });
    });

    void test("cancelling mid-download aborts it, frees the connection and removes the partial file", async () => {
      const first = Buffer.alloc(256 * 1024, 1);
      await withEnv(
        {
          "/stall": (_req, res) => {
            res.writeHead(200, { "content-length": 10 * first.length });
            res.write(first);
          },
        },
        async (srv, dir) => {
          const dest = join(dir, "stalled.bin");
          await run(async () => {
            await using session = new ClientSession({ baseUrl: srv.url });
            let onDisk!: () => void;
            const progressed = new Promise<void>((resolve) => (onDisk = resolve));
            const task = createTask(() => dl(session, "/stall", dest, { onProgress: () => onDisk() }));
            await progressed;
            assert.equal(existsSync(`${dest}.part`), true);
            task.cancel();
            await assert.rejects(task, CancelledError);
            assert.equal(existsSync(`${dest}.part`), false);
            assert.equal(existsSync(dest), false);
            await srv.idle();
            assert.equal(session.active, 0);
          });
        },
      );
    });

    void test("100 concurrent downloads", async () => {
      const files = Array.from({ length: 100 }, (_, i) => randomBytes(16 * 1024 + i));
      const routes: Record<string, Handler> = {};
      files.forEach((data, i) => (routes[`/f${i}`] = serve(data)));
      await withEnv(routes, async (srv, dir) => {
        await run(async () => {
          await using session = new ClientSession({ baseUrl: srv.url });
          const results = await gather(...files.map((_, i) => () => dl(session, `/f${i}`, join(dir, `f${i}.bin`))));
          assert.equal(results.length, 100);
          files.forEach((data, i) => assert.deepEqual(readFileSync(join(dir, `f${i}.bin`)), data));
          assert.equal(session.active, 0);
        });
      });
    });
  });
}

void describe("download() fast path falls back to the session", () => {
  void test("redirects, chunked bodies and error statuses go through the session; results are the same", async () => {
    await withEnv(
      {
        "/moved": (_req, res) => res.writeHead(302, { location: "/file" }).end(),
        "/file": serve(DATA),
        "/chunked": (_req, res) => {
          res.write(DATA.subarray(0, 1000));
          res.end(DATA.subarray(1000, 5000));
        },
      },
      async (srv, dir) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const moved = await download(session, "/moved", join(dir, "moved.bin"), { checksum: `sha256:${SHA}` });
        assert.equal(moved.url, `${srv.url}/file`);
        assert.deepEqual(readFileSync(join(dir, "moved.bin")), DATA);
        const chunked = await download(session, "/chunked", join(dir, "chunked.bin"));
        assert.equal(chunked.bytes, 5000);
        assert.deepEqual(readFileSync(join(dir, "chunked.bin")), DATA.subarray(0, 5000));
        assert.equal(session.active, 0);
        await using capped = new ClientSession({ baseUrl: srv.url, maxResponseSize: 1000 });
        await assert.rejects(download(capped, "/file", join(dir, "capped.bin")), ResponseTooLargeError);
        assert.equal(existsSync(join(dir, "capped.bin")), false);
        assert.equal(existsSync(join(dir, "capped.bin.part")), false);
      },
    );
  });

  void test("a server that never answers: cancelling frees the socket; sockRead fires on the run's clock", async () => {
    await withEnv({ "/never": () => undefined }, async (srv, dir) => {
      await run(async () => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const task = createTask(() => download(session, "/never", join(dir, "never.bin")));
        await srv.arrived("/never");
        task.cancel();
        await assert.rejects(task, CancelledError);
        await srv.idle();
        assert.equal(session.active, 0);
        assert.equal(existsSync(join(dir, "never.bin.part")), false);
      });
      const clock = new MockClock();
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, timeout: { sockRead: 3000 } });
          const pending = download(session, "/never", join(dir, "never.bin")).catch((e: unknown) => e);
          await srv.arrived("/never");
          clock.advance(3000);
          const error = await pending;
          assert.ok(error instanceof ClientTimeoutError, String(error));
          assert.equal(error.which, "sockRead");
          await srv.idle();
        },
        { clock },
      );
    });
  });

  void test("closing the session aborts a download in progress on either path", async () => {
    const first = Buffer.alloc(64 * 1024, 1);
    await withEnv(
      {
        "/stall": (_req, res) => {
          res.writeHead(200, { "content-length": 10 * first.length });
          res.write(first);
        },
      },
      async (srv, dir) => {
        for (const fastPath of [true, false]) {
          const session = new ClientSession({ baseUrl: srv.url });
          let onDisk!: () => void;
          const progressed = new Promise<void>((resolve) => (onDisk = resolve));
          const pending = download(session, "/stall", join(dir, "s.bin"), { fastPath, onProgress: () => onDisk() }).catch(
            (e: unknown) => e,
          );
          await progressed;
          await session.close();
          const error = await pending;
          assert.ok(error instanceof Error, `fastPath ${fastPath}`);
          assert.equal(existsSync(join(dir, "s.bin")), false);
          assert.equal(existsSync(join(dir, "s.bin.part")), false);
          await srv.idle();
        }
      },
    );
  });
});
