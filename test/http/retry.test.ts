import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClientConnectionError, ClientResponseError, ClientSession } from "../../src/http/index.js";
import { run } from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { startTestServer, type Handler, type TestServer } from "./_server.js";

async function withServer(routes: Record<string, Handler>, fn: (srv: TestServer) => Promise<void>): Promise<void> {
  await withoutLeaks(async () => {
    const srv = await startTestServer(routes);
    try {
      await fn(srv);
    } finally {
      await srv.close();
    }
  });
}

/** A route that answers with the given statuses in turn (then 200 "ok"). */
function sequence(statuses: readonly (readonly [number, Record<string, string>?])[]): Handler {
  let i = 0;
  return (_req, res) => {
    const next = statuses[i++];
    if (next === undefined) res.end("ok");
    else res.writeHead(next[0], next[1] ?? {}).end(`status ${next[0]}`);
  };
}

void describe("retry", () => {
  void test("429 with Retry-After: waits exactly what the server asks (virtual time), then succeeds", async () => {
    await withServer({ "/busy": sequence([[429, { "retry-after": "2" }], [429, { "retry-after": "3" }]]) }, async (srv) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 5, jitter: "none" } });
          const resp = await session.get("/busy");
          assert.equal(await resp.text(), "ok");
          assert.equal(clock.now(), 5000);
          assert.equal(srv.log.length, 3);
        },
        { clock },
      );
    });
  });

  void test("502/503/504 are retried with retry()'s backoff; the last answer is returned when attempts run out", async () => {
    await withServer(
      {
        "/flaky": sequence([[502], [503]]),
        "/down": (_req, res) => res.writeHead(503).end("down"),
      },
      async (srv) => {
        const clock = new MockClock({ autojump: true });
        const delays: number[] = [];
        await run(
          async () => {
            await using session = new ClientSession({
              baseUrl: srv.url,
              retry: { attempts: 3, baseDelay: 100, jitter: "none", onRetry: ({ delay }) => delays.push(delay) },
            });
            assert.equal(await (await session.get("/flaky")).text(), "ok");
            assert.deepEqual(delays, [100, 200]);
            const last = await session.get("/down");
            assert.equal(last.status, 503);
            last.release();
            await assert.rejects(session.get("/down", { raiseForStatus: true }), (e: unknown) => {
              assert.ok(e instanceof ClientResponseError);
              assert.equal(e.status, 503);
              return true;
            });
          },
          { clock },
        );
      },
    );
  });

  void test("500 is not retried by default; POST is not retried by default; both can be opted in", async () => {
    await withServer({ "/err": sequence([[500], [500]]), "/post": sequence([[503]]) }, async (srv) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { jitter: "none" } });
          const first = await session.get("/err");
          assert.equal(first.status, 500);
          first.release();
          assert.equal(srv.log.length, 1);
          const again = await session.get("/err", { retry: { statuses: [500], jitter: "none" } });
          assert.equal(await again.text(), "ok");
          const post = await session.post("/post", { data: "x" });
          assert.equal(post.status, 503);
          post.release();
          const post2 = await session.post("/post", { data: "x", retry: { methods: ["POST"], jitter: "none" } });
          assert.equal(post2.status, 200);
          post2.release();
        },
        { clock },
      );
    });
  });

  void test("connection errors are retried, then re-thrown unchanged", async () => {
    await withoutLeaks(async () => {
      const gone = await startTestServer({});
      const port = gone.port;
      await gone.close();
      const clock = new MockClock({ autojump: true });
      let retries = 0;
      await run(
        async () => {
          await using session = new ClientSession({ retry: { attempts: 3, onRetry: () => retries++ } });
          await assert.rejects(session.get(`http://127.0.0.1:${port}/`), ClientConnectionError);
          assert.equal(retries, 2);
        },
        { clock },
      );
    });
  });

  void test("a Retry-After longer than maxDelay is not waited for: the answer comes back", async () => {
    await withServer({ "/later": sequence([[503, { "retry-after": "3600" }]]) }, async (srv) => {
      await using session = new ClientSession({ baseUrl: srv.url, retry: { maxDelay: 10_000 } });
      const resp = await session.get("/later");
      assert.equal(resp.status, 503);
      assert.equal(resp.headers.get("retry-after"), "3600");
      resp.release();
      assert.equal(srv.log.length, 1);
    });
  });
});

/**
 * `retryIf` saying no to a retryable status means "do not retry": the answer is the one a request
 * without a retry policy would get — returned, or raised only under `raiseForStatus`.
 * Regression: it used to come back as a ClientResponseError even with raiseForStatus off.
 */
void describe("retry: retryIf refusing a retryable status", () => {
  void test("the response is returned (raiseForStatus off), one request, retryIf asked once", async () => {
    await withServer({ "/busy": sequence([[503, { "retry-after": "1" }]]) }, async (srv) => {
      const seen: [number, number][] = [];
      await using session = new ClientSession({
        baseUrl: srv.url,
        retry: {
          attempts: 5,
          retryIf: (error, attempt) => {
            assert.ok(error instanceof ClientResponseError);
            seen.push([error.status, attempt]);
            return false;
          },
        },
      });
      const resp = await session.get("/busy");
      assert.equal(resp.status, 503);
      assert.equal(resp.headers.get("retry-after"), "1");
      assert.equal(await resp.text(), "status 503", "the body is still there to read");
      assert.equal(srv.log.length, 1);
      assert.deepEqual(seen, [[503, 1]]);
    });
  });

  void test("with raiseForStatus (session or request) it is raised as a plain ClientResponseError", async () => {
    await withServer({ "/down": (_req, res) => res.writeHead(502).end("down") }, async (srv) => {
      await using session = new ClientSession({ baseUrl: srv.url, raiseForStatus: true, retry: { retryIf: () => false } });
      for (const options of [{}, { raiseForStatus: true, retry: { retryIf: () => false } }]) {
        const error = await session.get("/down", options).catch((e: unknown) => e);
        assert.ok(error instanceof ClientResponseError, String(error));
        assert.equal(Object.getPrototypeOf(error), ClientResponseError.prototype, "the public class, not an internal one");
        assert.equal(error.status, 502);
        assert.equal(error.method, "GET");
      }
      assert.equal(srv.log.length, 2);
      const off = await session.get("/down", { raiseForStatus: false });
      assert.equal(off.status, 502);
      off.release();
    });
  });

  void test("retryIf saying yes, then no: the second answer is returned after two requests", async () => {
    await withServer({ "/flaky": sequence([[429], [503], [504]]) }, async (srv) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          const asked: number[] = [];
          await using session = new ClientSession({
            baseUrl: srv.url,
            retry: {
              attempts: 5,
              jitter: "none",
              baseDelay: 10,
              retryIf: (_e, attempt) => {
                asked.push(attempt);
                return attempt < 2;
              },
            },
          });
          const resp = await session.get("/flaky");
          assert.equal(resp.status, 503);
          resp.release();
          assert.equal(srv.log.length, 2);
          assert.deepEqual(asked, [1, 2]);
        },
        { clock },
      );
    });
  });

  void test("attempts exhausted on a retryable status: returned without raiseForStatus, raised with it", async () => {
    await withServer({ "/down": (_req, res) => res.writeHead(504).end("down") }, async (srv) => {
      const clock = new MockClock({ autojump: true });
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, retry: { attempts: 2, jitter: "none", retryIf: () => true } });
          const resp = await session.get("/down");
          assert.equal(resp.status, 504);
          resp.release();
          assert.equal(srv.log.length, 2);
          const error = await session.get("/down", { raiseForStatus: true }).catch((e: unknown) => e);
          assert.ok(error instanceof ClientResponseError);
          assert.equal(Object.getPrototypeOf(error), ClientResponseError.prototype);
          assert.equal(srv.log.length, 4);
        },
        { clock },
      );
    });
  });

  void test("a retryIf that throws ends the request with its error and frees the connection", async () => {
    await withServer({ "/busy": sequence([[503]]) }, async (srv) => {
      await using session = new ClientSession({
        baseUrl: srv.url,
        retry: {
          retryIf: () => {
            throw new Error("policy broke");
          },
        },
      });
      await assert.rejects(session.get("/busy"), /policy broke/);
      assert.equal(session.active, 0);
      assert.equal(srv.log.length, 1);
    });
  });
});
