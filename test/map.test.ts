import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, createTask, currentTask, isCancelled, moveOnAfter, sleep, TimeoutError, waitFor } from "../src/index.js";
import { batched, iterConcurrent, mapConcurrent } from "../src/map.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Event } from "../src/sync/event.js";
import { withoutLeaks } from "./_helpers/leaks.js";
import { virtual } from "./sync/_helpers.js";

const execFileAsync = promisify(execFile);

function tracker() {
  let running = 0;
  let most = 0;
  return {
    enter(): void {
      running++;
      most = Math.max(most, running);
    },
    leave(): void {
      running--;
    },
    get most(): number {
      return most;
    },
    get running(): number {
      return running;
    },
  };
}

void describe("mapConcurrent", () => {
  void test("results in input order, at most `concurrency` in flight", () =>
    virtual(async (clock) => {
      const t = tracker();
      const delays = [50, 10, 40, 20, 30, 10, 10, 5];
      const out = await mapConcurrent(
        delays,
        async (ms, index) => {
          t.enter();
          await sleep(ms);
          t.leave();
          return `${index}:${ms}`;
        },
        { concurrency: 3 },
      );
      assert.deepEqual(
        out,
        delays.map((ms, i) => `${i}:${ms}`),
      );
      assert.equal(t.most, 3);
      assert.ok(clock.now() < delays.reduce((a, b) => a + b));
    }));

  void test("accepts sync values, generators, sets and async iterables; pulls lazily", () =>
    virtual(async () => {
      const pulled: number[] = [];
      function* gen() {
        for (let i = 0; i < 6; i++) {
          pulled.push(i);
          yield i;
        }
      }
      const seenWhenFirstRuns: number[] = [];
      const out = await mapConcurrent(
        gen(),
        async (x) => {
          if (x === 0) seenWhenFirstRuns.push(pulled.length);
          await sleep(1);
          return x * 2;
        },
        { concurrency: 2 },
      );
      assert.deepEqual(out, [0, 2, 4, 6, 8, 10]);
      assert.ok(seenWhenFirstRuns[0]! <= 2, "the generator is not drained up front");
      assert.deepEqual(await mapConcurrent(new Set([1, 2, 3]), (x) => x + 1), [2, 3, 4]);
      async function* agen() {
        for (let i = 0; i < 5; i++) {
          await sleep(1);
          yield i;
        }
      }
      assert.deepEqual(await mapConcurrent(agen(), async (x) => x, { concurrency: 2 }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await mapConcurrent(agen(), async (x) => x), [0, 1, 2, 3, 4]);
      assert.deepEqual(await mapConcurrent([], async (x) => x), []);
    }));

  void test("the first failure cancels the calls in flight, waits for them, and is thrown unchanged", () =>
    virtual(async (clock) => {
      const boom = new Error("boom");
      const cleaned: number[] = [];
      const started: number[] = [];
      await assert.rejects(
        mapConcurrent(
          [0, 1, 2, 3, 4, 5, 6],
          async (i) => {
            started.push(i);
            try {
              if (i === 1) {
                await sleep(5);
                throw boom;
              }
              await sleep(100);
            } finally {
              await sleep(1); // cleanup can still await: one cancellation only
              cleaned.push(i);
            }
          },
          { concurrency: 3 },
        ),
        (error) => error === boom,
      );
      assert.deepEqual(started, [0, 1, 2]);
      assert.deepEqual(cleaned.sort(), [0, 1, 2], "everything in flight finished before the rejection");
      assert.equal(clock.now(), 7, "failed at 5, its cleanup took 1, then the others' cleanup 1");
    }));

  void test("cancelling the caller cancels the workers and waits for them", () =>
    virtual(async () => {
      const cleaned: number[] = [];
      const task = createTask(() =>
        mapConcurrent(
          [1, 2, 3, 4],
          async (i) => {
            try {
              await sleep(1000);
            } finally {
              await sleep(1);
              cleaned.push(i);
            }
          },
          { concurrency: 2 },
        ),
      );
      await sleep(10);
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.deepEqual(cleaned.sort(), [1, 2]);
    }));

  void test("a timeout scope around mapConcurrent cancels the work and leaves nothing behind", () =>
    virtual(async (clock) => {
      const cleaned: number[] = [];
      const result = await moveOnAfter(50, () =>
        mapConcurrent(
          [1, 2, 3, 4, 5, 6],
          async (i) => {
            try {
              await sleep(i * 20);
            } finally {
              cleaned.push(i);
            }
            return i;
          },
          { concurrency: 3 },
        ),
      );
      assert.equal(result, undefined);
      assert.equal(clock.now(), 50);
      assert.deepEqual(cleaned.sort(), [1, 2, 3, 4, 5], "1 and 2 finished, 3, 4 and 5 were cancelled, 6 never started");
      await assert.rejects(
        waitFor(() => mapConcurrent([1], () => sleep(100)), 10),
        TimeoutError,
      );
    }));

  void test("signal aborts the map and closes the generator", () =>
    virtual(async () => {
      let closed = false;
      function* gen() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      }
      const controller = new AbortController();
      const promise = mapConcurrent(gen(), () => sleep(1000), { concurrency: 4, signal: controller.signal });
      await sleep(5);
      controller.abort(new Error("stop"));
      await assert.rejects(promise, /stop/);
      assert.equal(closed, true);
      await assert.rejects(
        mapConcurrent([1], (x) => x, { signal: AbortSignal.abort(new Error("early")) }),
        /early/,
      );
    }));

  void test("a failing iterable is the failure", () =>
    virtual(async () => {
      function* gen() {
        yield 1;
        throw new Error("source broke");
      }
      await assert.rejects(mapConcurrent(gen(), async (x) => x, { concurrency: 2 }), /source broke/);
    }));

  void test("fn runs in a worker task that is a child of the caller", () =>
    virtual(async () => {
      const names = new Set<string>();
      await mapConcurrent([1, 2, 3, 4], async () => {
        names.add(currentTask()!.name);
        await sleep(1);
      }, { concurrency: 2 });
      assert.deepEqual([...names].sort(), ["mapConcurrent worker 1", "mapConcurrent worker 2"]);
    }));

  void test("works outside run()", () =>
    withoutLeaks(async () => {
      const out = await mapConcurrent([1, 2, 3], async (x) => {
        await new Promise((resolve) => setImmediate(resolve));
        return x * x;
      }, { concurrency: 2 });
      assert.deepEqual(out, [1, 4, 9]);
      await assert.rejects(
        mapConcurrent([1, 2, 3], async (x) => {
          if (x === 2) throw new Error("two");
          await sleep(5);
        }),
        /two/,
      );
    }));

  void test("validates its arguments, naming them", async () => {
    await assert.rejects(mapConcurrent(5 as never, (x) => x), /'items'/);
    await assert.rejects(mapConcurrent([1], 5 as never), /'fn'/);
    await assert.rejects(mapConcurrent([1], (x) => x, { concurrency: 0 }), /'concurrency'/);
    await assert.rejects(mapConcurrent([1], (x) => x, { concurrency: 1.5 }), /'concurrency'/);
    await assert.rejects(mapConcurrent([1], (x) => x, { signal: "x" as never }), /'signal'/);
  });
});

void describe("iterConcurrent", () => {
  void test("unordered: yields as results complete, bounded in flight", () =>
    virtual(async () => {
      const t = tracker();
      const out: number[] = [];
      for await (const ms of iterConcurrent(
        [35, 10, 15, 5],
        async (ms) => {
          t.enter();
          await sleep(ms);
          t.leave();
          return ms;
        },
        { concurrency: 2 },
      )) {
        out.push(ms);
      }
      assert.deepEqual(out, [10, 15, 5, 35]);
      assert.equal(t.most, 2);
    }));

  void test("ordered: yields in input order", () =>
    virtual(async () => {
      const out: number[] = [];
      for await (const v of iterConcurrent([30, 10, 20, 5, 1], async (ms, i) => (await sleep(ms), i), {
        concurrency: 3,
        ordered: true,
      })) {
        out.push(v);
      }
      assert.deepEqual(out, [0, 1, 2, 3, 4]);
    }));

  void test("lazy and bounded: an endless input with a slow consumer pulls only a window", () =>
    virtual(async () => {
      let pulled = 0;
      function* endless() {
        for (;;) {
          pulled++;
          yield pulled;
        }
      }
      const iterable = iterConcurrent(endless(), async (x) => x, { concurrency: 4 });
      assert.equal(pulled, 0, "nothing starts before the first next()");
      let count = 0;
      for await (const _ of iterable) {
        await sleep(10);
        assert.ok(pulled - count <= 2 * 4 + 4, `pulled ${pulled} after ${count} consumed`);
        if (++count === 50) break;
      }
      assert.equal(count, 50);
    }));

  void test("a million items run in constant memory (measured in a child process)", async () => {
    // node:test's async hooks make every promise several times slower in this process, so the
    // million-item run happens in a plain child Node with --expose-gc.
    const mapUrl = new URL("../src/map.js", import.meta.url).href;
    const indexUrl = new URL("../src/index.js", import.meta.url).href;
    const script = `
      import { iterConcurrent } from ${JSON.stringify(mapUrl)};
      import { run } from ${JSON.stringify(indexUrl)};
      function* many() { for (let i = 0; i < 1_000_000; i++) yield i; }
      await run(async () => {
        gc();
        const before = process.memoryUsage().heapUsed;
        let n = 0, sum = 0, peak = 0;
        for await (const v of iterConcurrent(many(), async (x) => x, { concurrency: 16 })) {
          sum += v;
          if (++n % 250_000 === 0) { gc(); peak = Math.max(peak, process.memoryUsage().heapUsed - before); }
        }
        process.stdout.write(JSON.stringify({ n, sum, peak }));
      });
    `;
    const { stdout } = await execFileAsync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script]);
    const { n, sum, peak } = JSON.parse(stdout) as { n: number; sum: number; peak: number };
    assert.equal(n, 1_000_000);
    assert.equal(sum, (999_999 * 1_000_000) / 2);
    assert.ok(peak < 4 * 1024 * 1024, `heap grew by ${peak} bytes`);
  });

  void test("break cancels the calls in flight and closes the input", () =>
    virtual(async () => {
      let closed = false;
      async function* source() {
        try {
          for (let i = 0; ; i++) {
            await sleep(1);
            yield i;
          }
        } finally {
          closed = true;
        }
      }
      const cancelled: number[] = [];
      for await (const v of iterConcurrent(
        source(),
        async (i) => {
          try {
            await sleep(i === 0 ? 1 : 1000);
          } catch (error) {
            if (isCancelled(error)) cancelled.push(i);
            throw error;
          }
          return i;
        },
        { concurrency: 3 },
      )) {
        assert.equal(v, 0);
        break;
      }
      assert.ok(cancelled.length >= 1);
      assert.equal(closed, true);
    }));

  void test("the first failure is thrown by the loop after the rest was cancelled", () =>
    virtual(async () => {
      const cleaned: number[] = [];
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const v of iterConcurrent(
          [1, 2, 3, 4, 5],
          async (i) => {
            try {
              await sleep(i * 10);
              if (i === 2) throw new Error("two failed");
              return i;
            } finally {
              cleaned.push(i);
            }
          },
          { concurrency: 3 },
        )) {
          seen.push(v);
        }
      }, /two failed/);
      assert.deepEqual(seen, [1]);
      assert.deepEqual(cleaned.sort(), [1, 2, 3, 4]);
    }));

  void test("cancelling the consuming task cancels the work", () =>
    virtual(async () => {
      const cleaned: number[] = [];
      const bothStarted = new Event();
      let started = 0;
      const consumer = createTask(async () => {
        for await (const _ of iterConcurrent(
          [1, 2],
          async (i) => {
            try {
              if (++started === 2) bothStarted.set();
              await sleep(1000);
            } finally {
              cleaned.push(i);
            }
          },
          { concurrency: 2 },
        )) {
          /* never reached */
        }
      });
      await bothStarted.wait();
      consumer.cancel();
      await assert.rejects(consumer, CancelledError);
      assert.deepEqual(cleaned.sort(), [1, 2]);
    }));

  void test("signal ends the iteration", () =>
    virtual(async () => {
      const controller = new AbortController();
      const out: number[] = [];
      await assert.rejects(async () => {
        for await (const v of iterConcurrent([1, 2, 3, 4], async (x) => (await sleep(x * 10), x), {
          concurrency: 1,
          signal: controller.signal,
        })) {
          out.push(v);
          if (v === 2) controller.abort(new Error("aborted"));
        }
      }, /aborted/);
      assert.deepEqual(out, [1, 2]);
    }));

  void test("validates its arguments", () => {
    assert.throws(() => iterConcurrent([1], (x) => x, { concurrency: Infinity }), /'concurrency'/);
    assert.throws(() => iterConcurrent([1], (x) => x, undefined as never), /'options'/);
    assert.throws(() => iterConcurrent([1], (x) => x, { concurrency: 1, ordered: "yes" as never }), /'ordered'/);
    assert.throws(() => iterConcurrent(null as never, (x) => x, { concurrency: 1 }), /'items'/);
  });
});

void describe("batched", () => {
  void test("sync: groups lazily, last batch shorter", () => {
    assert.deepEqual([...batched([1, 2, 3, 4, 5], 2)], [[1, 2], [3, 4], [5]]);
    assert.deepEqual([...batched([], 3)], []);
    let pulled = 0;
    function* counting() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const it = batched(counting(), 10);
    assert.deepEqual(it.next().value, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(pulled, 10);
  });

  void test("async: groups an async iterable", async () => {
    async function* source() {
      for (let i = 0; i < 7; i++) yield i;
    }
    const out: number[][] = [];
    for await (const batch of batched(source(), 3)) out.push(batch);
    assert.deepEqual(out, [[0, 1, 2], [3, 4, 5], [6]]);
  });

  void test("validates size and items", () => {
    assert.throws(() => batched([1], 0), /'size'/);
    assert.throws(() => batched([1], 1.5), /'size'/);
    assert.throws(() => batched(3 as never, 1), /'items'/);
  });
});
