/**
 * Reliability: cancellation storms over HTTP (fast-check, seeded and printed). Each run starts a
 * real server on 127.0.0.1 and a ClientSession with random `limit` / `limitPerHost`, then a
 * random mix of workflows: GETs whose (paced) body is read by `iterChunked`, by `readLine` or
 * whole, GETs retried after a 503 (cancelled during the backoff sleep), downloads to a temp
 * directory on the fast path and on the undici path (some after a 503 with Retry-After), and
 * requests whose timeout fires (`waitFor`, a per-request `total`). A random subset is cancelled
 * after a random number of event-loop turns, or once a random number of body bytes arrived.
 *
 * Afterwards: every uncancelled workflow got exactly its bytes (sha256) or, for a timeout, a
 * `TimeoutError`; no `.part` and no truncated file is left; the session's pool still serves a
 * request; once it is closed the server sees every connection closed; no task, timer or socket
 * is left (withoutLeaks).
 *
 * Each run is over plain HTTP or, at random, HTTPS (a self-signed certificate the session trusts
 * through its `tls.ca`; downloads then take the TLS fast path or the undici path).
 *
 * Replay a failure with `TASKIO_SEED=<seed>` (the seed is printed).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { allTasks, createTask, gather, isCancelled, run, TimeoutError, waitFor, type Task } from "../../src/index.js";
import { ClientSession, download } from "../../src/http/index.js";
import { settle, until, withoutLeaks } from "../_helpers/leaks.js";
import { makeSelfSignedCertificate, needsOpenssl, type SelfSignedCertificate } from "../_helpers/tls.js";
import { startTestServer, type TestServer } from "../http/_server.js";

const SEED = process.env.TASKIO_SEED === undefined ? 20_261_125 : Number(process.env.TASKIO_SEED);
const RUNS = process.env.TASKIO_RUNS === undefined ? 25 : Number(process.env.TASKIO_RUNS);

type Kind = "chunked" | "lines" | "text" | "retry" | "download-fast" | "download-undici" | "download-503" | "timeout-waitfor" | "timeout-total";
const KINDS: Kind[] = ["chunked", "lines", "text", "retry", "download-fast", "download-undici", "download-503", "timeout-waitfor", "timeout-total"];

/** The deterministic body of resource `id`. */
function bodyOf(id: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + id * 7 + (i >> 9)) & 0xff;
  return out;
}

function linesOf(id: number, count: number): Buffer {
  let text = "";
  for (let j = 0; j < count; j++) text += `line ${id}.${j} ${"x".repeat((j * 7 + id) % 60)}\n`;
  return Buffer.from(text);
}

const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** Writes `data` in `piece`-byte writes, one per turn (or after `drain`), until done or closed. */
function pace(res: ServerResponse, data: Buffer, piece: number): void {
  let offset = 0;
  let closed = false;
  res.on("close", () => (closed = true));
  const next = (): void => {
    if (closed) return;
    if (offset >= data.length) {
      res.end();
      return;
    }
    const end = Math.min(offset + piece, data.length);
    const ok = res.write(data.subarray(offset, end));
    offset = end;
    if (ok) setImmediate(next);
    else res.once("drain", next);
  };
  next();
}

function query(url: string | undefined): URLSearchParams {
  return new URL(url ?? "/", "http://x").searchParams;
}

/** The server: every route paces its body so that cancellation lands mid-body. */
function startServer(tls: SelfSignedCertificate | undefined): Promise<TestServer> {
  const failedOnce = new Set<string>();
  return startTestServer(
    {
      // Sized body with Content-Length (fast-path eligible), headers after `delay` ms.
      "/body": (req, res) => {
        const q = query(req.url);
        const data = bodyOf(Number(q.get("id")), Number(q.get("size")));
        const start = (): void => {
          if (res.destroyed) return;
          res.writeHead(200, { "content-length": data.length, "content-type": "application/octet-stream" });
          pace(res, data, Number(q.get("piece") ?? 16_384));
        };
        const delay = Number(q.get("delay") ?? 0);
        if (delay > 0) setTimeout(start, delay);
        else start();
      },
      // Text lines, chunked (no Content-Length), split across writes at arbitrary places.
      "/lines": (req, res) => {
        const q = query(req.url);
        res.writeHead(200, { "content-type": "text/plain" });
        pace(res, linesOf(Number(q.get("id")), Number(q.get("count"))), 997);
      },
      // The first request for a key answers 503 (with Retry-After when asked), later ones the body.
      "/flaky": (req, res) => {
        const q = query(req.url);
        const key = q.get("key") ?? "";
        if (!failedOnce.has(key)) {
          failedOnce.add(key);
          const ra = q.get("ra");
          res.writeHead(503, ra === null ? {} : { "retry-after": ra }).end("busy");
          return;
        }
        const data = bodyOf(Number(q.get("id")), Number(q.get("size")));
        res.writeHead(200, { "content-length": data.length });
        pace(res, data, 8192);
      },
      // Headers, then silence: only a timeout (or a cancellation) ends it.
      "/hang": (_req, res) => {
        res.writeHead(200, { "content-length": 1000 });
        res.write("partial");
      },
    },
    tls === undefined ? undefined : { tls },
  );
}

const stepArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  size: fc.integer({ min: 0, max: 192 * 1024 }),
  delay: fc.constantFrom(0, 0, 1, 5),
  chunk: fc.integer({ min: 1, max: 40_000 }),
  cancel: fc.oneof(
    fc.constant(undefined),
    fc.record({ turns: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ bytes: fc.integer({ min: 0, max: 160 * 1024 }) }),
  ),
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** What a finished workflow reports: the bytes' hash, or that a timeout fired. */
type Outcome = { sha: string } | { timedOut: true };

/** How the workflows ended, over all runs (printed, and checked to cover each ending). */
const tally = { completed: 0, cancelled: 0, timedOut: 0, cancelledMidBody: 0, downloads: 0, downloadsCancelled: 0, httpsRuns: 0 };

/** The certificate of the HTTPS runs (none when openssl is missing: every run is then plain HTTP). */
let certificate: SelfSignedCertificate | undefined;
before(() => {
  if (needsOpenssl() === false) certificate = makeSelfSignedCertificate();
});
after(() => {
  certificate = undefined;
});

void describe("HTTP cancellation storms", () => {
  void test(`random cancellation of HTTP workflows: exact bodies, no partial files, every connection closed (seed ${SEED})`, { timeout: 120_000 }, async (t) => {
    t.diagnostic(`fast-check seed ${SEED}, ${RUNS} runs (TASKIO_SEED=<seed> to replay)`);
    let ran = 0;
    await withoutLeaks(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(stepArb, { minLength: 1, maxLength: 10 }),
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 0, max: 3 }),
          fc.boolean(),
          (steps, limit, limitPerHost, secure) => stormOnce(steps, limit, limitPerHost, secure ? certificate : undefined).then(() => void ran++),
        ),
        { seed: SEED, numRuns: RUNS },
      ),
    );
    assert.equal(ran, RUNS);
    t.diagnostic(`endings: ${JSON.stringify(tally)}`);
    assert.ok(tally.completed > 0 && tally.cancelled > 0 && tally.timedOut > 0 && tally.cancelledMidBody > 0, JSON.stringify(tally));
    if (certificate !== undefined) assert.ok(tally.httpsRuns > 0 && tally.httpsRuns < RUNS, JSON.stringify(tally));
  });
});

async function stormOnce(steps: readonly Step[], limit: number, limitPerHost: number, tls: SelfSignedCertificate | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-http-storm-"));
  const srv = await startServer(tls);
  if (tls !== undefined) tally.httpsRuns++;
  try {
    await run(async () => {
      const session = new ClientSession({ baseUrl: srv.url, limit, limitPerHost, ...(tls === undefined ? {} : { tls: { ca: tls.cert } }) });
      try {
        const expected = new Map<string, string>(); // file name -> sha of a completed download
        const tasks: Task<Outcome>[] = [];
        const cancelled = new Set<number>();
        const progressed = new Set<number>(); // some body bytes arrived before the end
        const cancel = (i: number): void => {
          cancelled.add(i);
          tasks[i]?.cancel();
        };
        const workflow = async (s: Step, i: number): Promise<Outcome> => {
          let seen = 0;
          if (s.kind.startsWith("download")) tally.downloads++;
          // Cancels this task itself once `bytes` body bytes have arrived (if so chosen).
          const progress = (n: number): void => {
            seen += n;
            if (n > 0) progressed.add(i);
            if (s.cancel !== undefined && "bytes" in s.cancel && seen >= s.cancel.bytes && !cancelled.has(i)) cancel(i);
          };
          const data = bodyOf(i, s.size);
          const path = `/body?id=${i}&size=${s.size}&delay=${s.delay}`;
          switch (s.kind) {
            case "chunked": {
              await using resp = await session.get(path);
              const hash = createHash("sha256");
              for await (const chunk of resp.content.iterChunked(s.chunk)) {
                assert.ok(chunk.length <= s.chunk);
                hash.update(chunk);
                progress(chunk.length);
              }
              assert.equal(hash.digest("hex"), sha(data));
              return { sha: sha(data) };
            }
            case "lines": {
              const count = 1 + (s.size % 400);
              await using resp = await session.get(`/lines?id=${i}&count=${count}`);
              const parts: Buffer[] = [];
              for (;;) {
                const line = await resp.content.readLine();
                if (line.length === 0) break;
                assert.equal(line[line.length - 1], 0x0a, "a whole line");
                parts.push(line);
                progress(line.length);
              }
              assert.equal(parts.length, count);
              assert.equal(sha(Buffer.concat(parts)), sha(linesOf(i, count)));
              return { sha: sha(linesOf(i, count)) };
            }
            case "text": {
              const resp = await session.get(path);
              const body = await resp.bytes();
              progress(body.length);
              assert.equal(sha(body), sha(data));
              return { sha: sha(body) };
            }
            case "retry": {
              // A 503 without Retry-After: the backoff (30 ms, real time) is where a cancel lands.
              const resp = await session.get(`/flaky?key=r${i}&id=${i}&size=${s.size}`, {
                retry: { attempts: 3, baseDelay: 30, jitter: "none" },
              });
              const body = await resp.bytes();
              progress(body.length);
              assert.equal(resp.status, 200);
              assert.equal(sha(body), sha(data));
              return { sha: sha(body) };
            }
            case "download-fast":
            case "download-undici":
            case "download-503": {
              const name = `f${i}.bin`;
              const url =
                s.kind === "download-503" ? `/flaky?key=d${i}&ra=0.03&id=${i}&size=${s.size}` : `${path}&piece=${1 + (s.chunk % 20_000)}`;
              let last = 0;
              const result = await download(session, url, join(dir, name), {
                fastPath: s.kind !== "download-undici",
                highWaterMark: 64 * 1024,
                retry: { attempts: 3, jitter: "none", baseDelay: 10 },
                onProgress: ({ downloaded }) => {
                  progress(downloaded - last);
                  last = downloaded;
                },
              });
              assert.equal(result.bytes, s.size);
              expected.set(name, sha(data));
              return { sha: sha(data) };
            }
            case "timeout-waitfor":
            case "timeout-total": {
              const ms = 5 + (s.chunk % 40);
              try {
                if (s.kind === "timeout-waitfor") {
                  await waitFor(async () => {
                    const resp = await session.get("/hang");
                    await resp.bytes();
                  }, ms);
                } else {
                  const resp = await session.get("/hang", { timeout: ms });
                  await resp.bytes();
                }
              } catch (error) {
                if (error instanceof TimeoutError) return { timedOut: true };
                throw error;
              }
              assert.fail("a body that never ends was read to the end");
            }
          }
        };
        for (const [i, s] of steps.entries()) tasks.push(createTask(() => workflow(s, i), { name: `${s.kind} #${i}` }));

        // Cancel by turns: walk the turns in order, cancelling each task at its turn.
        const byTurns = steps.flatMap((s, i) => (s.cancel !== undefined && "turns" in s.cancel ? [[s.cancel.turns, i] as const] : []));
        byTurns.sort((a, b) => a[0] - b[0]);
        let turn = 0;
        for (const [at, i] of byTurns) {
          await settle(at - turn);
          turn = at;
          cancel(i);
        }

        const results = await gather(tasks, { returnExceptions: true });
        for (const [i, result] of results.entries()) {
          const s = steps[i] as Step;
          if (result instanceof Error) {
            if (isCancelled(result) && cancelled.has(i)) {
              tally.cancelled++;
              if (s.kind.startsWith("download")) tally.downloadsCancelled++;
              if (progressed.has(i)) tally.cancelledMidBody++;
              continue;
            }
            throw new Error(`${s.kind} #${i} failed (cancel ${JSON.stringify(s.cancel)}): ${result.name}: ${result.message}`, { cause: result });
          }
          if (s.kind.startsWith("timeout")) {
            assert.deepEqual(result, { timedOut: true }, `${s.kind} #${i}`);
            tally.timedOut++;
          } else {
            assert.ok("sha" in result, `${s.kind} #${i}`);
            tally.completed++;
          }
        }

        // Every exchange is over, and no partial or truncated file is left.
        await until(() => session.active === 0, "session.active === 0", 5_000);
        for (const name of readdirSync(dir)) {
          assert.ok(!name.endsWith(".part"), `a .part left: ${name}`);
          const want = expected.get(name);
          assert.ok(want !== undefined, `a file from a download that did not finish: ${name}`);
          assert.equal(sha(readFileSync(join(dir, name))), want, `truncated or wrong: ${name}`);
        }
        for (const name of expected.keys()) assert.ok(readdirSync(dir).includes(name), `missing ${name}`);

        // The pool still serves a request correctly.
        const check = bodyOf(9999, 50_000);
        const resp = await session.get("/body?id=9999&size=50000");
        assert.equal(sha(await resp.bytes()), sha(check));
      } finally {
        await session.close();
      }
    });
    assert.equal(allTasks().size, 0, "no task left");
    // The server sees every connection closed (the fast path's, undici's pool, the aborted ones).
    await until(() => srv.sockets.size === 0, `the server's ${srv.sockets.size} sockets to close`, 5_000);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
