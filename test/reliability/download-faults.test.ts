/**
 * Reliability: downloads against local HTTP servers that misbehave. A server that resets the
 * connection at random byte offsets (with Range support): `download(..., { resume: true })`
 * retried until complete yields exactly the bytes (sha256). A server that stalls mid-body: the
 * sockRead timeout fires. A storm of 503s with Retry-After: retried until the body comes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { run } from "../../src/index.js";
import { ClientConnectionError, ClientPayloadError, ClientSession, ClientTimeoutError, download } from "../../src/http/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withTestServer, type Handler } from "../http/_server.js";

const SIZE = 2 * 1024 * 1024 + 123;
const BODY = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) BODY[i] = (i * 31 + (i >> 11)) & 0xff;
const SHA = createHash("sha256").update(BODY).digest("hex");

/** Serves BODY with Range support, resetting the connection at the offsets `cutAt` gives. */
function resettingRoute(cutAt: (start: number) => number | undefined): Handler {
  return (req, res) => {
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = match === null ? 0 : Number(match[1]);
    if (start > SIZE) {
      res.writeHead(416, { "content-range": `bytes */${SIZE}` }).end();
      return;
    }
    const headers: Record<string, string | number> = { "content-length": SIZE - start, "accept-ranges": "bytes" };
    if (match !== null) headers["content-range"] = `bytes ${start}-${SIZE - 1}/${SIZE}`;
    res.writeHead(match === null ? 200 : 206, headers);
    const cut = cutAt(start);
    if (cut === undefined) {
      res.end(BODY.subarray(start));
      return;
    }
    res.write(BODY.subarray(start, cut), () => {
      res.socket?.resetAndDestroy();
    });
  };
}

void describe("download fault injection", () => {
  for (const seed of [11, 22, 33, 44]) {
    void test(`connection resets at random byte offsets: resume yields the exact bytes (seed ${seed})`, async () => {
      // A reproducible random stream of cut points (a small LCG); one request in five runs to the end.
      let state = seed;
      const next = (): number => {
        state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
        return state / 2 ** 32;
      };
      const cuts: number[] = [];
      const cutAt = (start: number): number | undefined => {
        if (next() < 0.2) return undefined;
        const cut = start + 1 + Math.floor(next() * (SIZE - start - 1));
        cuts.push(cut);
        return cut;
      };
      await withTestServer({ "/file": resettingRoute(cutAt) }, async (srv, dir) => {
        await run(async () => {
          await using session = new ClientSession({ baseUrl: srv.url });
          const dest = join(dir, "file.bin");
          let attempts = 0;
          for (;;) {
            attempts++;
            assert.ok(attempts <= 100, "gave up after 100 attempts");
            try {
              const result = await download(session, "/file", dest, { resume: true });
              assert.equal(result.bytes, SIZE);
              break;
            } catch (error) {
              if (!(error instanceof ClientPayloadError || error instanceof ClientConnectionError)) throw error;
              assert.equal(existsSync(dest), false, "no truncated file under dest");
            }
          }
          assert.equal(createHash("sha256").update(readFileSync(dest)).digest("hex"), SHA);
          assert.equal(existsSync(`${dest}.part`), false);
          assert.equal(attempts, cuts.length + 1);
          assert.equal(srv.log.length, attempts);
          // Every attempt after a cut asked for the rest with Range (the .part was never empty).
          if (cuts.length > 0) assert.ok(srv.headers.some((h) => h.range !== undefined));
          await srv.idle();
        });
      });
    });
  }

  void test("a server that stalls mid-body: the sockRead timeout fires, the .part is kept for resume", async () => {
    let requests = 0;
    await withTestServer(
      {
        "/stall": (_req, res) => {
          requests++;
          res.writeHead(200, { "content-length": SIZE });
          res.write(BODY.subarray(0, 64 * 1024));
          // ...and nothing more, until the client gives up.
        },
      },
      async (srv, dir) => {
        // A manual clock: advanced only once the first bytes are on disk, so the timeout that
        // fires is the silence between body chunks.
        const clock = new MockClock();
        await run(
          async () => {
            await using session = new ClientSession({ baseUrl: srv.url, timeout: { sockRead: 5000 } });
            const dest = join(dir, "stall.bin");
            let received = 0;
            let settled = false;
            const pending = download(session, "/stall", dest, {
              resume: true,
              onProgress: ({ downloaded }) => (received = downloaded),
            })
              .catch((e: unknown) => e)
              .finally(() => (settled = true));
            for (let turn = 0; received < 64 * 1024 && turn < 100_000; turn++) {
              await new Promise((resolve) => setImmediate(resolve));
            }
            assert.equal(received, 64 * 1024);
            for (let step = 0; !settled && step < 1000; step++) {
              clock.advance(1000);
              await new Promise((resolve) => setImmediate(resolve));
            }
            const error = await pending;
            assert.ok(error instanceof ClientTimeoutError, String(error));
            assert.equal(error.which, "sockRead");
            assert.equal(existsSync(dest), false);
            assert.equal(existsSync(`${dest}.part`), true, "the .part is kept for resume");
            assert.equal(requests, 1);
          },
          { clock },
        );
        for (const socket of srv.sockets) socket.destroy();
        await srv.idle();
      },
    );
  });

  for (const fastPath of [true, false]) {
    void test(`a storm of 503s with Retry-After is waited out and retried until the body comes (fastPath: ${fastPath})`, async () => {
      let requests = 0;
      const delays: number[] = [];
      const storm = 6;
      await withTestServer(
        {
          "/busy": (_req, res) => {
            requests++;
            if (requests <= storm) res.writeHead(503, { "retry-after": "2" }).end("busy");
            else res.writeHead(200, { "content-length": SIZE }).end(BODY);
          },
        },
        async (srv, dir) => {
          const clock = new MockClock({ autojump: true });
          await run(
            async () => {
              await using session = new ClientSession({
                baseUrl: srv.url,
                retry: { attempts: storm + 2, jitter: "none", maxDelay: 10_000, onRetry: (info) => delays.push(info.delay) },
              });
              const dest = join(dir, "busy.bin");
              const result = await download(session, "/busy", dest, { fastPath });
              assert.equal(result.status, 200);
              assert.equal(createHash("sha256").update(readFileSync(dest)).digest("hex"), SHA);
              // One request per attempt: a 503 on the fast path is not sent again at once.
              assert.equal(requests, storm + 1);
              // Each Retry-After was waited exactly, on the run's clock.
              assert.deepEqual(delays, Array.from({ length: storm }, () => 2000));
              assert.equal(clock.now(), storm * 2000);
            },
            { clock },
          );
        },
      );
    });
  }
});
