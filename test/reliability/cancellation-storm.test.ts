/**
 * Reliability: cancellation storms. Property-based (fast-check): a random mix of workflows —
 * locks, semaphores, bounded queues, sleeps, a real TCP connection on 127.0.0.1, a real child
 * process, an item on a thread pool — is started, and a random subset of the tasks is cancelled
 * after a random number of event-loop turns (or of virtual milliseconds under MockClock).
 * Afterwards no task and no handle is left, every permit is back, and every queue item put is
 * either got exactly once or still in the queue.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  createTask,
  gather,
  isCancelled,
  Lock,
  Queue,
  run,
  Semaphore,
  setExceptionHandler,
  sleep,
  type ExceptionContext,
  type Task,
} from "../../src/index.js";
import { runInExecutor, ThreadPoolExecutor } from "../../src/executor/index.js";
import { openConnection, startServer } from "../../src/streams/index.js";
import { createSubprocessExec, DEVNULL, PIPE } from "../../src/subprocess/index.js";
import { MockClock } from "../../src/testing/index.js";
import { settle, until, withoutLeaks } from "../_helpers/leaks.js";
import { lineEcho } from "../_helpers/net.js";
import { nap } from "./_tasks.js";

type Kind = "lock" | "semaphore" | "put" | "get" | "sleep" | "tcp" | "child" | "executor";
const kinds: Kind[] = ["lock", "semaphore", "put", "get", "sleep", "tcp", "child", "executor"];

const step = fc.record({
  kind: fc.constantFrom(...kinds),
  ms: fc.integer({ min: 0, max: 5 }),
  cancel: fc.boolean(),
});

/** Collects the reports of server handlers broken by a client cancelled mid-stream. */
function collectReports(): { reports: ExceptionContext[]; restore: () => void } {
  const reports: ExceptionContext[] = [];
  const previous = setExceptionHandler((context) => reports.push(context));
  return { reports, restore: () => setExceptionHandler(previous) };
}

void describe("cancellation storms", () => {
  void test("real I/O: random cancellation of mixed workflows loses nothing and leaks nothing", async () => {
    const { reports, restore } = collectReports();
    try {
      await withoutLeaks(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(step, { minLength: 1, maxLength: 14 }),
            fc.integer({ min: 0, max: 60 }),
            fc.integer({ min: 1, max: 3 }),
            (steps, cancelAfter, permits) =>
              run(async () => {
                const lock = new Lock();
                const semaphore = new Semaphore(permits);
                const queue = new Queue<number>({ maxsize: 2 });
                const put = new Set<number>();
                const got: number[] = [];
                let nextItem = 0;
                let childrenRun = 0;
                const server = await startServer(lineEcho, "127.0.0.1", 0);
                const pool = new ThreadPoolExecutor({ maxWorkers: 2, cancelGracePeriod: 50 });
                try {
                  const port = server.port!;
                  const workflow = async (kind: Kind, ms: number): Promise<void> => {
                    switch (kind) {
                      case "lock": {
                        using _held = await lock.acquire();
                        await sleep(ms);
                        return;
                      }
                      case "semaphore": {
                        using _permit = await semaphore.acquire();
                        await sleep(ms);
                        return;
                      }
                      case "put": {
                        const item = nextItem++;
                        await queue.put(item);
                        put.add(item);
                        return;
                      }
                      case "get": {
                        got.push(await queue.get());
                        return;
                      }
                      case "sleep":
                        await sleep(ms);
                        return;
                      case "tcp": {
                        await using conn = await openConnection("127.0.0.1", port);
                        conn.writer.write(`ping ${ms}\n`);
                        await conn.writer.drain();
                        const line = Buffer.from(await conn.reader.readLine()).toString();
                        assert.equal(line, `ping ${ms}\n`);
                        return;
                      }
                      case "child": {
                        // At most two children per case keep the property fast.
                        if (childrenRun++ >= 2) return;
                        await using proc = await createSubprocessExec(
                          process.execPath,
                          ["-e", `setTimeout(() => process.stdout.write("done"), ${ms * 10})`],
                          { stdin: DEVNULL, stdout: PIPE, stderr: DEVNULL, gracePeriod: 200 },
                        );
                        const { stdout } = await proc.communicate();
                        assert.equal(Buffer.from(stdout ?? new Uint8Array()).toString(), "done");
                        return;
                      }
                      case "executor":
                        assert.equal(await runInExecutor(pool, nap, ms * 4, ms), ms * 2);
                        return;
                    }
                  };
                  // Mix the semaphore into the I/O: some I/O runs while holding a permit.
                  const tasks: Task<void>[] = steps.map((s, i) =>
                    createTask(async () => {
                      if (i % 3 === 0 && s.kind !== "semaphore") {
                        using _permit = await semaphore.acquire();
                        await workflow(s.kind, s.ms);
                      } else {
                        await workflow(s.kind, s.ms);
                      }
                    }),
                  );
                  await settle(cancelAfter);
                  steps.forEach((s, i) => {
                    if (s.cancel) tasks[i]!.cancel();
                  });
                  // Unblock what no cancellation will: getters without producers, full queues.
                  const settled = gather(tasks, { returnExceptions: true });
                  let extra = 0;
                  let done = false;
                  // A plain loop with a flag: awaiting setImmediate is no cancellation point.
                  const feeder = createTask(async () => {
                    while (!done) {
                      await settle(5);
                      const { getters, putters } = queue.statistics();
                      if (getters > 0 && queue.empty()) {
                        const item = 1_000_000 + extra++;
                        queue.putNowait(item);
                        put.add(item);
                      } else if (putters > 0 && queue.full()) {
                        got.push(queue.getNowait());
                      }
                    }
                  });
                  const results = await settled;
                  done = true;
                  await feeder;
                  for (const result of results) {
                    if (result instanceof Error && !isCancelled(result)) throw result;
                  }
                  // Every permit back, the lock free.
                  assert.equal(semaphore.value, permits);
                  assert.equal(lock.locked(), false);
                  // No item lost or duplicated: got + still queued = put.
                  const left: number[] = [];
                  while (!queue.empty()) left.push(queue.getNowait());
                  const all = [...got, ...left].sort((a, b) => a - b);
                  assert.equal(new Set(all).size, all.length, "an item was got twice");
                  assert.deepEqual(all, [...put].sort((a, b) => a - b));
                  await until(() => server.connectionCount === 0, "server handlers done");
                } finally {
                  server.close();
                  await server.waitClosed();
                  await pool.shutdown();
                }
              }),
          ),
          { numRuns: 60 },
        ),
      );
    } finally {
      restore();
    }
    for (const report of reports) {
      const name = (report.error as Error).name;
      assert.ok(["BrokenResourceError", "CancelledError"].includes(name), `unexpected report: ${name}`);
    }
  });

  void test("virtual time: cancellation at random instants of locks, semaphores, queues and sleeps", async () => {
    await withoutLeaks(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              kind: fc.constantFrom("lock", "semaphore", "put", "get", "sleep"),
              ms: fc.integer({ min: 0, max: 50 }),
              cancelAt: fc.option(fc.integer({ min: 0, max: 100 })),
            }),
            { minLength: 1, maxLength: 30 },
          ),
          fc.integer({ min: 1, max: 3 }),
          (steps, permits) =>
            run(
              async () => {
                const lock = new Lock();
                const semaphore = new Semaphore(permits);
                const queue = new Queue<number>({ maxsize: 2 });
                const put = new Set<number>();
                const got: number[] = [];
                let nextItem = 0;
                const tasks = steps.map((s) =>
                  createTask(async () => {
                    switch (s.kind) {
                      case "lock": {
                        using _held = await lock.acquire();
                        await sleep(s.ms);
                        return;
                      }
                      case "semaphore": {
                        using _permit = await semaphore.acquire();
                        await sleep(s.ms);
                        return;
                      }
                      case "put": {
                        await sleep(s.ms);
                        const item = nextItem++;
                        await queue.put(item);
                        put.add(item);
                        return;
                      }
                      case "get":
                        await sleep(s.ms);
                        got.push(await queue.get());
                        return;
                      case "sleep":
                        await sleep(s.ms);
                        return;
                    }
                  }),
                );
                const cancellers = steps.map((s, i) =>
                  s.cancelAt === null
                    ? undefined
                    : createTask(async () => {
                        await sleep(s.cancelAt!);
                        tasks[i]!.cancel();
                      }),
                );
                await sleep(200);
                // Whatever still waits (a get with no producer, a put on a full queue) is cancelled now.
                for (const task of tasks) task.cancel();
                await gather([...tasks, ...cancellers.filter((c) => c !== undefined)], { returnExceptions: true });
                assert.equal(semaphore.value, permits);
                assert.equal(lock.locked(), false);
                const left: number[] = [];
                while (!queue.empty()) left.push(queue.getNowait());
                const all = [...got, ...left].sort((a, b) => a - b);
                assert.deepEqual(all, [...put].sort((a, b) => a - b));
              },
              { clock: new MockClock({ autojump: true }) },
            ),
        ),
        { numRuns: 200 },
      ),
    );
  });
});
