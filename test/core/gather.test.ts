import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, asCompleted, createTask, gather, run, sleep, TimeoutError } from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

function virtual(): { clock: MockClock } {
  return { clock: new MockClock({ autojump: true }) };
}

async function worker<T>(value: T, ms: number, log?: string[]): Promise<T> {
  await sleep(ms);
  log?.push(String(value));
  return value;
}

describe("gather", () => {
  test("runs functions concurrently and resolves in argument order", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      const log: string[] = [];
      const results = await gather(
        () => worker("A", 1500, log),
        () => worker("B", 1000, log),
        () => worker("C", 500, log),
      );
      assert.deepEqual(results, ["A", "B", "C"]);
      assert.deepEqual(log, ["C", "B", "A"]);
      assert.equal(clock.now(), 1500, "concurrent: the longest wait, not the sum");
    }, { clock });
  });

  test("accepts promises, tasks and functions, typed as a tuple", async () => {
    await run(async () => {
      const task = createTask(async () => "task");
      const [a, b, c] = await gather(Promise.resolve(1), task, () => worker(true, 1));
      const typed: [number, string, boolean] = [a, b, c];
      assert.deepEqual(typed, [1, "task", true]);
    }, virtual());
  });

  test("an empty gather resolves to []", async () => {
    assert.deepEqual(await gather(), []);
  });

  test("the first failure cancels and awaits the siblings, then rejects with it", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const events: string[] = [];
        const slow = async (): Promise<void> => {
          try {
            await sleep(10_000);
          } finally {
            await sleep(1); // cleanup that takes time: gather must wait for it
            events.push("sibling cleaned up");
          }
        };
        await assert.rejects(
          gather(slow, async () => {
            await sleep(5);
            throw new Error("boom");
          }),
          /boom/,
        );
        assert.deepEqual(events, ["sibling cleaned up"]);
      }, virtual()),
    );
  });

  test("returnExceptions gives values and errors in order and cancels nothing", async () => {
    await run(async () => {
      const results = await gather(
        [() => worker(1, 10), () => Promise.reject(new Error("bad")), () => worker(3, 5)],
        { returnExceptions: true },
      );
      assert.equal(results[0], 1);
      assert.match(String(results[1]), /bad/);
      assert.equal(results[2], 3);
    }, virtual());
  });

  test("cancelling the caller cancels the children and rejects after they finished", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const finished: string[] = [];
        const child = (name: string) => async () => {
          try {
            await sleep(10_000);
          } finally {
            await sleep(5); // cleanup that awaits: it must not get a second CancelledError
            finished.push(name);
          }
        };
        const caller = createTask(() => gather(child("a"), child("b")));
        await sleep(1);
        caller.cancel();
        await assert.rejects(caller, CancelledError);
        assert.deepEqual(finished.sort(), ["a", "b"]);
      }, virtual()),
    );
  });

  test("a bad item is a TypeError and starts nothing", async () => {
    let started = false;
    await assert.rejects(
      gather(
        () => {
          started = true;
          return Promise.resolve();
        },
        42 as never,
      ),
      /Expected each item of gather\(\) to be a promise or a function returning one: received 42 \(number\) at index 1/,
    );
    assert.equal(started, false);
    await assert.rejects(gather([Promise.resolve(1)] as never), /spread an array/);
  });

  test("100 concurrent children with a failure in the middle", async () => {
    await withoutLeaks(() =>
      run(async () => {
        let cancelled = 0;
        const items = Array.from({ length: 100 }, (_, i) => async () => {
          if (i === 50) throw new Error("fifty");
          try {
            await sleep(100);
          } catch (error) {
            if (error instanceof CancelledError) cancelled++;
            throw error;
          }
        });
        await assert.rejects(gather(...items), /fifty/);
        // An async function's throw arrives a microtask later: all 100 had started by then.
        assert.equal(cancelled, 99, "every sibling was cancelled");
      }, virtual()),
    );
  });
});

describe("asCompleted", () => {
  test("asyncio's form: an iterable of promises in completion order", async () => {
    await run(async () => {
      const seen: string[] = [];
      for (const next of asCompleted([() => worker("slow", 30), () => worker("fast", 10), () => worker("mid", 20)])) {
        seen.push(await next);
      }
      assert.deepEqual(seen, ["fast", "mid", "slow"]);
    }, virtual());
  });

  test("for await gives values in completion order", async () => {
    await run(async () => {
      const seen: number[] = [];
      for await (const value of asCompleted([worker(3, 30), worker(1, 10), worker(2, 20)])) seen.push(value);
      assert.deepEqual(seen, [1, 2, 3]);
    }, virtual());
  });

  test("leaving the loop early cancels what is still running", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const cancelled: string[] = [];
        const item = (name: string, ms: number) => async () => {
          try {
            await sleep(ms);
            return name;
          } catch (error) {
            cancelled.push(name);
            throw error;
          }
        };
        for await (const value of asCompleted([item("a", 10), item("b", 1000), item("c", 2000)])) {
          assert.equal(value, "a");
          break;
        }
        await sleep(1);
        assert.deepEqual(cancelled.sort(), ["b", "c"]);
      }, virtual()),
    );
  });

  test("an error is thrown out of the loop and cancels the rest", async () => {
    await run(async () => {
      const tasks = [() => worker("ok", 50), async () => {
        await sleep(10);
        throw new Error("failed first");
      }];
      const iterator = asCompleted(tasks);
      await assert.rejects(async () => {
        for await (const _ of iterator) {
          // never reached: the failure arrives first
        }
      }, /failed first/);
    }, virtual());
  });

  test("timeout: the items not finished in time fail with TimeoutError", async () => {
    const clock = new MockClock({ autojump: true });
    await withoutLeaks(() =>
      run(async () => {
        const outcomes: string[] = [];
        for (const next of asCompleted([() => worker("quick", 10), () => worker("late", 1000)], { timeout: 100 })) {
          try {
            outcomes.push(await next);
          } catch (error) {
            assert.ok(error instanceof TimeoutError);
            outcomes.push(`timeout at ${clock.now()}`);
          }
        }
        assert.deepEqual(outcomes, ["quick", "timeout at 100"]);
      }, { clock }),
    );
  });

  test("validates its input", () => {
    assert.throws(() => asCompleted(5 as never), /Expected 'items' to be an iterable/);
    assert.throws(() => asCompleted([1] as never), /at index 0/);
    assert.throws(() => asCompleted([], { timeout: -5 }), /Expected 'timeout'/);
  });
});
