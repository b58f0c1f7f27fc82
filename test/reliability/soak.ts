/**
 * `npm run soak [-- --minutes N]`: mixed load for N minutes (default 10) — a TCP echo server with
 * well-behaved and misbehaving clients, downloads through connection resets with resume, child
 * processes, thread-pool items, and random cancellation of tasks holding semaphores and waiting
 * on queues — one bounded round after another. Every 30 s it reports RSS, the JS heap after a full
 * GC (when run with `--expose-gc`, as `npm run soak` does) and the active handle count (measured
 * between rounds, when nothing should be open), and it exits 1 if any grew beyond a tolerance
 * between the first and the last third of the samples, or if a round failed. The heap after GC is
 * the sharp test (a leak of a few MB shows); RSS, which the allocator keeps high, the coarse one.
 *
 * Not a test file (no `.test.` in the name): `npm test` does not run it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { allTasks, createTask, gather, isCancelled, Queue, run, Semaphore, setExceptionHandler, sleep } from "../../src/index.js";
import { runInExecutor, ThreadPoolExecutor } from "../../src/executor/index.js";
import { ClientConnectionError, ClientPayloadError, ClientSession, download } from "../../src/http/index.js";
import { openConnection, startServer } from "../../src/streams/index.js";
import { createSubprocessExec, DEVNULL, PIPE } from "../../src/subprocess/index.js";
import { startTestServer } from "../http/_server.js";
import { nap } from "./_tasks.js";
import { settle } from "../_helpers/leaks.js";
import { lineEcho } from "../_helpers/net.js";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" } } });
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) {
  process.stderr.write(`soak: --minutes must be a number of minutes from 0 to 1440: received ${values.minutes}\n`);
  process.exit(2);
}

const REPORT_EVERY = 30_000;
/** Tolerances between the first and the last third of the samples (medians). */
const RSS_GROWTH_FACTOR = 1.5;
const RSS_SLACK = 64 * 1024 * 1024;
const HEAP_GROWTH_FACTOR = 1.2;
const HEAP_SLACK = 8 * 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const HANDLE_SLACK = 4;

let seed = 12_345;
function random(): number {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return seed / 2 ** 32;
}

const SIZE = 512 * 1024;
const BODY = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) BODY[i] = (i * 31 + (i >> 9)) & 0xff;
const SHA = createHash("sha256").update(BODY).digest("hex");

async function echoLoad(): Promise<void> {
  await using server = await startServer(lineEcho, "127.0.0.1", 0, { limit: 4096, backlog: 512 });
  const port = server.port!;
  await gather(
    ...Array.from({ length: 50 }, (_, i) => async (): Promise<void> => {
      if (i % 10 === 9) {
        // Misbehaving: garbage beyond the limit, or a reset mid-line.
        const socket = connect({ host: "127.0.0.1", port });
        socket.on("error", () => {});
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()).once("error", () => resolve()));
        socket.write(i % 20 === 9 ? Buffer.alloc(16 * 1024, 0xfe) : "half a li");
        await settle(2);
        socket.resetAndDestroy();
        return;
      }
      await using conn = await openConnection("127.0.0.1", port);
      for (let n = 0; n < 3; n++) {
        const text = `client ${i} line ${n}\n`;
        conn.writer.write(text);
        assert.equal(Buffer.from(await conn.reader.readLine()).toString(), text);
      }
    }),
  );
}

async function downloadLoad(dir: string): Promise<void> {
  const srv = await startTestServer({
    "/file": (req, res) => {
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const start = match === null ? 0 : Number(match[1]);
      const headers: Record<string, string | number> = { "content-length": SIZE - start, "accept-ranges": "bytes" };
      if (match !== null) headers["content-range"] = `bytes ${start}-${SIZE - 1}/${SIZE}`;
      res.writeHead(match === null ? 200 : 206, headers);
      if (random() < 0.3 || start >= SIZE - 1) {
        res.end(BODY.subarray(start));
        return;
      }
      const cut = start + 1 + Math.floor(random() * (SIZE - start - 1));
      res.write(BODY.subarray(start, cut), () => res.socket?.resetAndDestroy());
    },
  });
  try {
    await using session = new ClientSession({ baseUrl: srv.url });
    const dest = join(dir, `file-${Date.now()}-${Math.floor(random() * 1e9)}.bin`);
    for (let attempt = 1; ; attempt++) {
      assert.ok(attempt <= 200, "download gave up");
      try {
        await download(session, "/file", dest, { resume: true });
        break;
      } catch (error) {
        if (!(error instanceof ClientPayloadError || error instanceof ClientConnectionError)) throw error;
      }
    }
    assert.equal(createHash("sha256").update(readFileSync(dest)).digest("hex"), SHA);
    rmSync(dest);
  } finally {
    await srv.close();
  }
}

async function childLoad(): Promise<void> {
  await using proc = await createSubprocessExec(process.execPath, ["-e", "process.stdout.write('ok')"], {
    stdin: DEVNULL,
    stdout: PIPE,
    stderr: DEVNULL,
  });
  const { stdout } = await proc.communicate();
  assert.equal(Buffer.from(stdout ?? new Uint8Array()).toString(), "ok");
  // And one cancelled while running.
  const task = createTask(async () => {
    await using sleeper = await createSubprocessExec(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      stdin: DEVNULL,
      stdout: DEVNULL,
      stderr: DEVNULL,
      gracePeriod: 200,
    });
    await sleeper.wait();
  });
  await settle(20);
  task.cancel();
  await gather([task], { returnExceptions: true });
}

async function executorLoad(pool: ThreadPoolExecutor): Promise<void> {
  const tasks = Array.from({ length: 8 }, (_, i) => createTask(() => runInExecutor(pool, nap, 5, i)));
  await settle(Math.floor(random() * 30));
  tasks.forEach((task, i) => {
    if (i % 3 === 0) task.cancel();
  });
  const results = await gather(tasks, { returnExceptions: true });
  results.forEach((result, i) => {
    if (result instanceof Error) assert.ok(isCancelled(result), String(result));
    else assert.equal(result, i * 2);
  });
}

async function syncLoad(): Promise<void> {
  const semaphore = new Semaphore(3);
  const queue = new Queue<number>({ maxsize: 4 });
  const got: number[] = [];
  const put = new Set<number>();
  let next = 0;
  const tasks = Array.from({ length: 60 }, (_, i) =>
    createTask(async () => {
      using _permit = await semaphore.acquire();
      if (i % 2 === 0) {
        const item = next++;
        await queue.put(item);
        put.add(item);
      } else {
        got.push(await queue.get());
      }
      await sleep(random() * 3);
    }),
  );
  await settle(Math.floor(random() * 50));
  for (const task of tasks) if (random() < 0.3) task.cancel();
  // Whatever still waits on the queue is cancelled after a while.
  await sleep(50);
  for (const task of tasks) task.cancel();
  await gather(tasks, { returnExceptions: true });
  assert.equal(semaphore.value, 3);
  while (!queue.empty()) got.push(queue.getNowait());
  assert.deepEqual(got.sort((a, b) => a - b), [...put].sort((a, b) => a - b));
}

interface Sample {
  at: number;
  rss: number;
  /** Heap used after a full GC, or NaN without `--expose-gc`. */
  heap: number;
  handles: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-soak-"));
  const previous = setExceptionHandler(() => {
    // Server handlers broken by misbehaving clients report here: expected under this load.
  });
  const started = performance.now();
  const end = started + minutes * 60_000;
  const samples: Sample[] = [];
  let nextReport = started;
  let rounds = 0;
  let failures = 0;
  try {
    while (performance.now() < end) {
      try {
        await run(async () => {
          const pool = new ThreadPoolExecutor({ maxWorkers: 2, cancelGracePeriod: 50 });
          try {
            await gather(
              () => echoLoad(),
              () => downloadLoad(dir),
              () => childLoad(),
              () => executorLoad(pool),
              () => syncLoad(),
            );
          } finally {
            await pool.shutdown();
          }
        });
        if (allTasks().size !== 0) throw new Error(`${allTasks().size} tasks left after a round`);
      } catch (error) {
        failures++;
        process.stderr.write(`soak: round ${rounds + 1} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        if (failures > 3) break;
      }
      rounds++;
      await settle(5);
      const now = performance.now();
      gc?.();
      const memory = process.memoryUsage();
      const sample = {
        at: now - started,
        rss: memory.rss,
        heap: gc === undefined ? Number.NaN : memory.heapUsed,
        handles: process.getActiveResourcesInfo().length,
      };
      samples.push(sample);
      if (now >= nextReport) {
        nextReport = now + REPORT_EVERY;
        process.stdout.write(
          `soak: ${(sample.at / 1000).toFixed(0)} s, ${rounds} rounds, rss ${mb(sample.rss)}, heap after GC ${mb(sample.heap)}, ` +
            `handles ${sample.handles} (${process.getActiveResourcesInfo().join(",")})\n`,
        );
      }
    }
  } finally {
    setExceptionHandler(previous);
    rmSync(dir, { recursive: true, force: true });
  }
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  const rssFirst = median(first.map((s) => s.rss));
  const rssLast = median(last.map((s) => s.rss));
  const heapFirst = median(first.map((s) => s.heap));
  const heapLast = median(last.map((s) => s.heap));
  const handlesFirst = median(first.map((s) => s.handles));
  const handlesLast = median(last.map((s) => s.handles));
  process.stdout.write(
    `soak: done, ${rounds} rounds in ${((performance.now() - started) / 1000).toFixed(0)} s, ${failures} failed; ` +
      `rss ${mb(rssFirst)} -> ${mb(rssLast)}, heap after GC ${mb(heapFirst)} -> ${mb(heapLast)}, ` +
      `handles ${handlesFirst} -> ${handlesLast} (medians of the first and last third)\n`,
  );
  let ok = failures === 0 && samples.length > 0;
  if (rssLast > rssFirst * RSS_GROWTH_FACTOR + RSS_SLACK) {
    process.stderr.write(`soak: RSS grew beyond the tolerance: ${mb(rssFirst)} -> ${mb(rssLast)}\n`);
    ok = false;
  }
  if (gc === undefined) {
    process.stdout.write("soak: run with --expose-gc (npm run soak does) to check the heap after GC too\n");
  } else if (heapLast > heapFirst * HEAP_GROWTH_FACTOR + HEAP_SLACK) {
    process.stderr.write(`soak: the heap after GC grew beyond the tolerance: ${mb(heapFirst)} -> ${mb(heapLast)}\n`);
    ok = false;
  }
  if (handlesLast > handlesFirst + HANDLE_SLACK) {
    process.stderr.write(`soak: active handles grew: ${handlesFirst} -> ${handlesLast}\n`);
    ok = false;
  }
  return ok ? 0 : 1;
}

process.exitCode = await main();
