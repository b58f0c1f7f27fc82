import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ClientConnectionError,
  ClientPayloadError,
  ClientResponseError,
  ClientSession,
  ClientTimeoutError,
  ResponseTooLargeError,
  TooManyRedirectsError,
} from "../../src/http/index.js";
import { CancelledError, ClosedResourceError, createTask, run } from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { startTestServer, type TestServer } from "./_server.js";

async function withServer(
  routes: Parameters<typeof startTestServer>[0],
  fn: (srv: TestServer) => Promise<void>,
): Promise<void> {
  await withoutLeaks(async () => {
    const srv = await startTestServer(routes);
    try {
      await fn(srv);
    } finally {
      await srv.close();
    }
  });
}

function readBody(req: import("node:http").IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => resolve(text));
  });
}

void describe("ClientSession basics", () => {
  void test("GET json, text, bytes, status, headers, params", async () => {
    await withServer(
      {
        "/json": (req, res) => {
          res.writeHead(200, { "content-type": "application/json", "x-echo-query": req.url ?? "" });
          res.end(JSON.stringify({ hello: "world" }));
        },
        "/text": (_req, res) => res.writeHead(201, "Made", { "content-type": "text/plain; charset=utf-8" }).end("héllo"),
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url, headers: { "X-Session": "s" } });
        {
          await using resp = await session.get("/json", { params: { a: 1, b: ["x", "y"] } });
          assert.equal(resp.status, 200);
          assert.equal(resp.ok, true);
          assert.equal(resp.headers.get("x-echo-query"), "/json?a=1&b=x&b=y");
          assert.equal(resp.url, `${srv.url}/json?a=1&b=x&b=y`);
          assert.deepEqual(await resp.json(), { hello: "world" });
        }
        const text = await session.get("/text");
        assert.equal(text.status, 201);
        assert.equal(text.reason, "Made");
        assert.equal(await text.text(), "héllo");
        const bytes = await (await session.get(`${srv.url}/text`)).bytes();
        assert.equal(bytes.length, 6);
        assert.equal(srv.headers[0]?.["x-session"], "s");
        const missing = await session.get("/missing");
        assert.equal(missing.ok, false);
        assert.equal(missing.status, 404);
        missing.release();
      },
    );
  });

  void test("request bodies: json, string, bytes, form, FormData, async iterable", async () => {
    await withServer(
      {
        "/echo": async (req, res) => {
          const body = await readBody(req);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"] ?? null, body }));
        },
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        type Echo = { method: string; type: string | null; body: string };
        const a = await (await session.post("/echo", { json: { x: 1 } })).json<Echo>();
        assert.deepEqual(a, { method: "POST", type: "application/json", body: '{"x":1}' });
        const b = await (await session.put("/echo", { data: "plain" })).json<Echo>();
        assert.equal(b.body, "plain");
        assert.equal(b.type, "text/plain; charset=utf-8");
        const c = await (await session.patch("/echo", { data: new Uint8Array([104, 105]) })).json<Echo>();
        assert.equal(c.body, "hi");
        const d = await (await session.post("/echo", { data: new URLSearchParams({ q: "a b" }) })).json<Echo>();
        assert.equal(d.body, "q=a+b");
        const form = new FormData();
        form.append("field", "value");
        const e = await (await session.post("/echo", { data: form })).json<Echo>();
        assert.match(e.type ?? "", /^multipart\/form-data; boundary=/);
        assert.match(e.body, /name="field"\r\n\r\nvalue/);
        async function* parts(): AsyncGenerator<string> {
          yield "a";
          yield "b";
        }
        const f = await (await session.post("/echo", { data: parts(), headers: { "content-type": "x/y" } })).json<Echo>();
        assert.deepEqual(f, { method: "POST", type: "x/y", body: "ab" });
        const g = await (await session.delete("/echo")).json<Echo>();
        assert.equal(g.method, "DELETE");
        const h = await session.head("/echo");
        assert.equal(h.status, 200);
        assert.equal((await h.bytes()).length, 0);
      },
    );
  });

  void test("raiseForStatus names status, URL and method (per session and per call)", async () => {
    await withServer({ "/boom": (_req, res) => res.writeHead(500, "Boom").end("x") }, async (srv) => {
      await using session = new ClientSession({ baseUrl: srv.url, raiseForStatus: true });
      const error = await session.post("/boom", { data: "x" }).then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ClientResponseError);
      assert.equal(error.status, 500);
      assert.equal(error.method, "POST");
      assert.equal(error.url, `${srv.url}/boom`);
      assert.match(error.message, /500 Boom: POST http:\/\/127\.0\.0\.1:\d+\/boom/);
      const resp = await session.get("/boom", { raiseForStatus: false });
      assert.equal(resp.status, 500);
      assert.throws(() => resp.raiseForStatus(), ClientResponseError);
    });
  });

  void test("bad arguments are refused with clear errors", async () => {
    await using session = new ClientSession();
    await assert.rejects(session.get("/relative"), /Expected 'url' to be an absolute URL .*\(or set the session's baseUrl for relative ones\)/);
    await assert.rejects(session.get("ftp://127.0.0.1/x"), /Expected 'url' to be an http: or https: URL/);
    await assert.rejects(session.request("GE T", "http://127.0.0.1/"), TypeError);
    assert.throws(() => new ClientSession({ limit: -1 }), /Expected 'limit' to be an integer of at least 0 \(0 for no limit\): received -1/);
    assert.throws(() => new ClientSession({ timeout: { total: 0 } }), /timeout\.total/);
    await session.close();
    await assert.rejects(session.get("http://127.0.0.1/"), ClosedResourceError);
  });

  void test("content: iterChunked, readLine, line iteration, iterAny", async () => {
    const body = "line one\nline two\n" + "x".repeat(100_000) + "\nend";
    await withServer({ "/lines": (_req, res) => res.end(body) }, async (srv) => {
      await using session = new ClientSession({ baseUrl: srv.url, readLimit: 200_000 });
      {
        await using resp = await session.get("/lines");
        const sizes: number[] = [];
        for await (const chunk of resp.content.iterChunked(64 * 1024)) sizes.push(chunk.length);
        assert.ok(sizes.every((n) => n <= 64 * 1024));
        assert.equal(sizes.reduce((a, b) => a + b, 0), Buffer.byteLength(body));
      }
      {
        await using resp = await session.get("/lines");
        assert.equal((await resp.content.readLine()).toString(), "line one\n");
        const lines: string[] = [];
        for await (const line of resp.content) lines.push(line.toString());
        assert.equal(lines.length, 3);
        assert.equal(lines[2], "end");
        assert.ok(resp.content.atEof());
      }
      {
        await using resp = await session.get("/lines");
        let total = 0;
        for await (const chunk of resp.content.iterAny()) total += chunk.length;
        assert.equal(total, Buffer.byteLength(body));
      }
    });
  });
});

void describe("redirects", () => {
  void test("follows 302/303/307, updates url and history; 303 turns POST into GET, 307 keeps the body", async () => {
    await withServer(
      {
        "/a": (_req, res) => res.writeHead(302, { location: "/b" }).end(),
        "/b": (_req, res) => res.writeHead(301, { location: "/final" }).end(),
        "/see": (_req, res) => res.writeHead(303, { location: "/final" }).end(),
        "/keep": (_req, res) => res.writeHead(307, { location: "/final" }).end(),
        "/final": async (req, res) => res.end(`${req.method ?? ""}:${await readBody(req)}`),
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const resp = await session.get("/a");
        assert.equal(await resp.text(), "GET:");
        assert.equal(resp.url, `${srv.url}/final`);
        assert.deepEqual(resp.history, [`${srv.url}/a`, `${srv.url}/b`]);
        assert.equal(await (await session.post("/see", { data: "payload" })).text(), "GET:");
        assert.equal(await (await session.post("/keep", { data: "payload" })).text(), "POST:payload");
        const manual = await session.get("/a", { allowRedirects: false });
        assert.equal(manual.status, 302);
        assert.equal(manual.headers.get("location"), "/b");
        manual.release();
      },
    );
  });

  void test("a redirect loop ends with TooManyRedirectsError after maxRedirects", async () => {
    await withServer(
      {
        "/loop1": (_req, res) => res.writeHead(302, { location: "/loop2" }).end(),
        "/loop2": (_req, res) => res.writeHead(302, { location: "/loop1" }).end(),
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url, maxRedirects: 3 });
        const error = await session.get("/loop1").catch((e: unknown) => e);
        assert.ok(error instanceof TooManyRedirectsError);
        assert.equal(error.history.length, 4);
        assert.equal(srv.log.length, 4);
        assert.match(error.message, /more than maxRedirects \(3\)/);
      },
    );
  });

  void test("credentials are not forwarded to another host, but kept on the same origin", async () => {
    await withServer({ "/landing": (_req, res) => res.end("other") }, async (other) => {
      await withServer(
        {
          "/away": (_req, res) => res.writeHead(302, { location: `${other.url}/landing` }).end(),
          "/home": (_req, res) => res.writeHead(302, { location: "/landing" }).end(),
          "/landing": (_req, res) => res.end("same"),
        },
        async (srv) => {
          await using session = new ClientSession({ baseUrl: srv.url, headers: { authorization: "Bearer secret" } });
          assert.equal(await (await session.get("/away", { headers: { cookie: "c=1", "x-other": "kept" } })).text(), "other");
          const seen = other.headers[0];
          assert.equal(seen?.authorization, undefined);
          assert.equal(seen?.cookie, undefined);
          assert.equal(seen?.["x-other"], "kept");
          assert.equal(await (await session.get("/home")).text(), "same");
          assert.equal(srv.headers.at(-1)?.authorization, "Bearer secret");
        },
      );
    });
  });
});

void describe("size cap and broken bodies", () => {
  void test("maxResponseSize: refused from Content-Length, or while streaming a chunked body", async () => {
    await withServer(
      {
        "/big": (_req, res) => res.writeHead(200, { "content-length": 2000 }).end("x".repeat(2000)),
        "/chunked": (_req, res) => {
          res.write("x".repeat(800));
          res.write("x".repeat(800));
          res.end();
        },
        "/small": (_req, res) => res.end("ok"),
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url, maxResponseSize: 1000 });
        const e1 = await session.get("/big").catch((e: unknown) => e);
        assert.ok(e1 instanceof ResponseTooLargeError);
        assert.equal(e1.limit, 1000);
        const resp = await session.get("/chunked");
        await assert.rejects(resp.text(), ResponseTooLargeError);
        assert.equal(await (await session.get("/small")).text(), "ok");
      },
    );
  });

  void test("a connection reset mid-body is a ClientPayloadError; a refused connection a ClientConnectionError", async () => {
    await withServer(
      {
        "/reset": (_req, res) => {
          res.writeHead(200, { "content-length": 10_000 });
          res.write("x".repeat(1000), () => res.socket?.destroy());
        },
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const resp = await session.get("/reset");
        const error = await resp.text().catch((e: unknown) => e);
        assert.ok(error instanceof ClientPayloadError, String(error));
        assert.equal(error.url, `${srv.url}/reset`);
        const closed = await startTestServer({});
        const port = closed.port;
        await closed.close();
        const refused = await session.get(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
        assert.ok(refused instanceof ClientConnectionError);
        assert.match(refused.message, /ECONNREFUSED/);
      },
    );
  });
});

void describe("timeouts (each names itself)", () => {
  void test("total: the server never answers (virtual time, manual clock)", async () => {
    await withServer({ "/never": () => undefined }, async (srv) => {
      const clock = new MockClock();
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, timeout: { total: 5000 } });
          const pending = session.get("/never").catch((e: unknown) => e);
          await srv.arrived("/never");
          clock.advance(4999);
          clock.advance(1);
          const error = await pending;
          assert.ok(error instanceof ClientTimeoutError);
          assert.equal(error.which, "total");
          assert.equal(error.timeout, 5000);
          assert.match(error.message, /total timeout of 5000 ms fired: GET http/);
          await srv.idle();
        },
        { clock },
      );
    });
  });

  void test("sockRead: headers never come, then a body that stalls (virtual time)", async () => {
    await withServer(
      {
        "/silent": () => undefined,
        "/stall": (_req, res) => {
          res.writeHead(200, { "content-length": 100 });
          res.write("partial");
        },
      },
      async (srv) => {
        const clock = new MockClock();
        await run(
          async () => {
            await using session = new ClientSession({ baseUrl: srv.url, timeout: { sockRead: 1000 } });
            const pending = session.get("/silent").catch((e: unknown) => e);
            await srv.arrived("/silent");
            clock.advance(1000);
            const error = await pending;
            assert.ok(error instanceof ClientTimeoutError);
            assert.equal(error.which, "sockRead");
            assert.match(error.message, /sockRead timeout of 1000 ms fired waiting for the response headers/);
            const resp = await session.get("/stall");
            const first = await resp.content.read(7);
            assert.equal(first.toString(), "partial");
            const reading = resp.content.read(10).catch((e: unknown) => e);
            clock.advance(1000);
            const bodyError = await reading;
            assert.ok(bodyError instanceof ClientTimeoutError);
            assert.equal(bodyError.which, "sockRead");
            assert.match(bodyError.message, /reading the response body/);
          },
          { clock },
        );
      },
    );
  });

  void test("connect: no connection becomes free in time (virtual time)", async () => {
    await withServer({ "/hold": () => undefined, "/next": (_req, res) => res.end("next") }, async (srv) => {
      const clock = new MockClock();
      await run(
        async () => {
          await using session = new ClientSession({ baseUrl: srv.url, limitPerHost: 1 });
          const holder = session.get("/hold").catch((e: unknown) => e);
          await srv.arrived("/hold");
          const waiting = session.get("/next", { timeout: { connect: 2000 } }).catch((e: unknown) => e);
          clock.advance(2000);
          const error = await waiting;
          assert.ok(error instanceof ClientTimeoutError);
          assert.equal(error.which, "connect");
          assert.match(error.message, /connect timeout of 2000 ms fired: GET/);
          await session.close();
          assert.ok((await holder) instanceof Error);
        },
        { clock },
      );
    });
  });
});

void describe("cancellation", () => {
  void test("cancelling the task aborts the request and frees the connection", async () => {
    await withServer({ "/never": () => undefined }, async (srv) => {
      await run(async () => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const task = createTask(() => session.get("/never"));
        await srv.arrived("/never");
        assert.equal(srv.sockets.size, 1);
        task.cancel();
        await assert.rejects(task, CancelledError);
        await srv.idle();
        assert.equal(session.active, 0);
      });
    });
  });

  void test("a request's AbortSignal aborts its body too (as fetch does); releasing frees the connection", async () => {
    await withServer(
      {
        "/slow": (_req, res) => {
          res.writeHead(200, { "content-length": 1000 });
          res.write("first");
        },
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url });
        const controller = new AbortController();
        const resp = await session.get("/slow", { signal: controller.signal });
        const reading = resp.text();
        const stop = new Error("stop");
        controller.abort(stop);
        await assert.rejects(reading, (e: unknown) => e === stop);
        await srv.idle();
        const again = await session.get("/slow");
        const text = again.text();
        again.release();
        await assert.rejects(text, ClosedResourceError);
        await srv.idle();
      },
    );
  });

  void test("the total limit queues requests beyond `limit`", async () => {
    let concurrent = 0;
    let peak = 0;
    await withServer(
      {
        "/work": async (_req, res) => {
          concurrent++;
          peak = Math.max(peak, concurrent);
          await new Promise((resolve) => setImmediate(resolve));
          concurrent--;
          res.end("done");
        },
      },
      async (srv) => {
        await using session = new ClientSession({ baseUrl: srv.url, limit: 2 });
        const texts = await Promise.all(Array.from({ length: 8 }, async () => (await session.get("/work")).text()));
        assert.deepEqual(texts, Array(8).fill("done"));
        assert.ok(peak <= 2, `peak ${peak}`);
        assert.equal(session.active, 0);
      },
    );
  });
});

void describe("more guarantees", () => {
  void test("a cancelled content read loses no byte; limitPerHost caps connections; close() aborts what runs", async () => {
    await withServer(
      {
        "/drip": async (_req, res) => {
          res.writeHead(200, { "content-length": 10 });
          res.write("hello");
          await new Promise((resolve) => setTimeout(resolve, 20));
          res.end("world");
        },
        "/hold": () => undefined,
      },
      async (srv) => {
        await run(async () => {
          await using session = new ClientSession({ baseUrl: srv.url, limitPerHost: 1 });
          const resp = await session.get("/drip");
          assert.equal((await resp.content.read(5)).toString(), "hello");
          const reader = createTask(() => resp.content.read(5));
          await new Promise((resolve) => setImmediate(resolve));
          reader.cancel();
          await assert.rejects(reader, CancelledError);
          assert.equal((await resp.content.readExactly(5)).toString(), "world");
          assert.ok(resp.content.atEof());

          const first = session.get("/hold").catch((e: unknown) => e);
          await srv.arrived("/hold");
          const second = session.get("/hold").catch((e: unknown) => e);
          // limitPerHost: 1 — the second request waits for the first's connection.
          await new Promise((resolve) => setTimeout(resolve, 50));
          assert.equal(srv.log.filter((l) => l === "GET /hold").length, 1);
          assert.equal(srv.sockets.size, 1);
          await session.close();
          assert.ok((await first) instanceof Error);
          assert.ok((await second) instanceof Error);
          await srv.idle();
        });
      },
    );
  });
});
