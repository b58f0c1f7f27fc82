/**
 * download()'s fast path under the session's retry policy: an error status answered on the
 * fast path's own socket is retried exactly as the session retries its own answers — the
 * `Retry-After` is waited (on the run's clock), each attempt is one request, a longer pause than
 * `maxDelay` is not waited for, and cancelling the task during the wait stops everything.
 * Regression: the fast path used to send a 429/503's request again at once through the session.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CancelledError, createTask, run } from "../../src/index.js";
import { ClientResponseError, ClientSession, download } from "../../src/http/index.js";
import { MockClock } from "../../src/testing/index.js";
import { settle } from "../_helpers/leaks.js";
import { withTestServer, type Handler } from "./_server.js";

const BODY = Buffer.from("the body that finally came\n".repeat(1000));

/** Answers the given statuses in turn, then 200 with BODY (Content-Length: the fast path takes it). */
function sequence(answers: readonly (readonly [number, Record<string, string>])[]): Handler {
  let i = 0;
  return (_req, res) => {
    const next = answers[i++];
    if (next === undefined) res.writeHead(200, { "content-length": BODY.length }).end(BODY);
    else res.writeHead(next[0], next[1]).end(`status ${next[0]}`);
  };
}

void describe("download(): Retry-After on the fast path", () => {
  void test("429/503 with Retry-After: waited exactly (virtual time), one request per attempt, all on the fast path", async () => {
    const answers = [
      [503, { "retry-after": "1" }],
      [429, { "retry-after": "2" }],
    ] as const;
    await withTestServer({ "/busy": sequence(answers) }, async (srv, dir) => {
      const clock = new MockClock({ autojump: true });
      const delays: number[] = [];
      await run(
        async () => {
          await using session = new ClientSession({
            baseUrl: srv.url,
            retry: { attempts: 5, jitter: "none", onRetry: ({ delay }) => delays.push(delay) },
          });
          const dest = join(dir, "busy.bin");
          const result = await download(session, "/busy", dest);
          assert.equal(result.status, 200);
          assert.deepEqual(readFileSync(dest), BODY);
          assert.equal(srv.log.length, 3, "one request per attempt");
          assert.deepEqual(delays, [1000, 2000]);
          assert.equal(clock.now(), 3000, "each Retry-After waited on the run's clock");
          // The fast path's requests say `connection: close` (undici's keep the connection).
          assert.deepEqual(
            srv.headers.map((h) => h.connection),
            ["close", "close", "close"],
          );
        },
        { clock },
      );
    });
  });

  void test("the attempts run out: exactly `attempts` requests, then the last status is raised", async () => {
    await withTestServer({ "/down": (_req, res) => res.writeHead(503, { "retry-after": "1" }).end("down") }, async (srv, dir) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 3, jitter: "none" } });
          const dest = join(dir, "down.bin");
          await assert.rejects(download(session, "/down", dest), (e: unknown) => {
            assert.ok(e instanceof ClientResponseError, String(e));
            assert.equal(e.status, 503);
            assert.equal(e.headers?.get("retry-after"), "1");
            return true;
          });
          assert.equal(srv.log.length, 3);
          assert.equal(clock.now(), 2000);
          assert.deepEqual(readdirSync(dir), [], "nothing written");
        },
        { clock },
      );
    });
  });

  void test("a Retry-After longer than maxDelay is not waited for: the answer is raised at once, one request", async () => {
    await withTestServer({ "/later": sequence([[429, { "retry-after": "120" }]]) }, async (srv, dir) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 3, maxDelay: 10_000 } });
          await assert.rejects(download(session, "/later", join(dir, "later.bin")), (e: unknown) => {
            assert.ok(e instanceof ClientResponseError, String(e));
            assert.equal(e.status, 429);
            return true;
          });
          assert.equal(srv.log.length, 1);
          assert.equal(clock.now(), 0);
        },
        { clock },
      );
    });
  });

  void test("without a retry policy a 503 on the fast path is raised after one request", async () => {
    await withTestServer({ "/busy": sequence([[503, { "retry-after": "1" }]]) }, async (srv, dir) => {
      await run(async () => {
        await using session = new ClientSession({ baseUrl: srv.url });
        await assert.rejects(download(session, "/busy", join(dir, "x.bin")), { name: "ClientResponseError" });
        assert.equal(srv.log.length, 1);
      });
    });
  });

  void test("cancelled during the Retry-After wait: no second request, nothing on disk, nothing leaked", async () => {
    await withTestServer({ "/busy": sequence([[503, { "retry-after": "5" }]]) }, async (srv, dir) => {
      // A manual clock that nobody advances: the wait can only end by cancellation.
      const clock = new MockClock();
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 3 } });
          let waiting = false;
          const dest = join(dir, "busy.bin");
          const task = createTask(() =>
            download(session, "/busy", dest, { retry: { attempts: 3, onRetry: () => (waiting = true) } }),
          );
          for (let turn = 0; !waiting && turn < 100_000; turn++) await settle(1);
          assert.equal(waiting, true, "the retry wait began");
          await settle(5);
          task.cancel();
          await assert.rejects(task, (e: unknown) => e instanceof CancelledError);
          assert.equal(srv.log.length, 1, "no request after the 503 (the wait was honoured, then cancelled)");
          assert.equal(existsSync(dest), false);
          assert.equal(existsSync(`${dest}.part`), false);
          assert.equal(session.active, 0);
          // The session still serves (the route answers 200 now).
          const again = await download(session, "/busy", dest, { retry: false });
          assert.equal(again.bytes, BODY.length);
          assert.equal(srv.log.length, 2);
        },
        { clock },
      );
      await srv.idle();
    });
  });

  void test("the undici path (fastPath: false) behaves the same", async () => {
    await withTestServer({ "/busy": sequence([[503, { "retry-after": "1" }]]) }, async (srv, dir) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 3, jitter: "none" } });
          const result = await download(session, "/busy", join(dir, "u.bin"), { fastPath: false });
          assert.equal(result.bytes, BODY.length);
          assert.equal(srv.log.length, 2);
          assert.equal(clock.now(), 1000);
        },
        { clock },
      );
    });
  });
});
