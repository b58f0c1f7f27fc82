import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { CancelledError, createTask, currentTask, gather, InvalidStateError, run, sleep } from "../../src/index.js";
import { BoundedSemaphore, Semaphore } from "../../src/sync/semaphore.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { turn, virtual } from "./_helpers.js";

void describe("Semaphore", () => {
  void test("limits concurrency and serves waiters first come, first served", () =>
    virtual(async () => {
      const sem = new Semaphore(2);
      let running = 0;
      let most = 0;
      const order: number[] = [];
      await gather(
        ...Array.from({ length: 8 }, (_, i) => async () => {
          using _permit = await sem.acquire();
          order.push(i);
          running++;
          most = Math.max(most, running);
          await sleep(10);
          running--;
        }),
      );
      assert.equal(most, 2);
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(sem.value, 2);
    }));

  void test("a free permit is taken synchronously, without a new promise", async () => {
    const sem = new Semaphore(3);
    const first = sem.acquire();
    const second = sem.acquire();
    assert.equal(first, second, "the same resolved promise is reused");
    assert.equal(sem.value, 1);
    const permit = await first;
    permit.release();
    (await second)[Symbol.dispose]();
    assert.equal(sem.value, 3);
  });

  void test("release hands the permit to the waiter, never to a newcomer", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const order: string[] = [];
      const waiter = createTask(async () => {
        using _p = await sem.acquire();
        order.push("waiter");
      });
      await turn();
      held.release();
      assert.equal(sem.value, 0, "the permit went to the waiter");
      assert.equal(sem.tryAcquire(), false, "a newcomer cannot barge");
      await waiter;
      assert.deepEqual(order, ["waiter"]);
      assert.equal(sem.value, 1);
    }));

  void test("a waiter cancelled before the release passes its turn on", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const got: string[] = [];
      const a = createTask(async () => {
        using _p = await sem.acquire();
        got.push("a");
      });
      const b = createTask(async () => {
        using _p = await sem.acquire();
        got.push("b");
      });
      await turn();
      assert.equal(sem.statistics().waiters, 2);
      a.cancel();
      held.release();
      await assert.rejects(a, CancelledError);
      await b;
      assert.deepEqual(got, ["b"]);
      assert.deepEqual(sem.statistics(), { value: 1, waiters: 0 });
    }));

  void test("a waiter woken and cancelled in the same tick keeps the permit and releases it (no loss)", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const got: string[] = [];
      const a = createTask(async () => {
        const permit = await sem.acquire();
        try {
          got.push("a");
          await sleep(5); // the pending cancellation lands here
        } finally {
          permit.release();
        }
      });
      const b = createTask(async () => {
        using _p = await sem.acquire();
        got.push("b");
      });
      await turn();
      held.release(); // wakes a...
      a.cancel(); // ...and cancels it in the same tick
      await assert.rejects(a, CancelledError);
      await b;
      assert.deepEqual(got, ["a", "b"]);
      assert.equal(sem.value, 1);
    }));

  void test("cpython#90155: many waiters, cancel-on-wake storms never hang nor leak permits", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      const done: number[] = [];
      const tasks = Array.from({ length: 20 }, (_, i) =>
        createTask(async () => {
          using _p = await sem.acquire();
          await sleep(1);
          done.push(i);
        }),
      );
      await turn();
      for (let i = 1; i < 20; i += 3) tasks[i]!.cancel();
      const results = await gather(tasks, { returnExceptions: true });
      const cancelled = results.filter((r) => r instanceof CancelledError).length;
      assert.equal(done.length + cancelled, 20);
      assert.equal(sem.value, 1);
      assert.equal(sem.statistics().waiters, 0);
    }));

  void test("signal aborts a waiting acquire; an aborted signal refuses at once", () =>
    virtual(async () => {
      const sem = new Semaphore(0);
      const controller = new AbortController();
      const pending = sem.acquire({ signal: controller.signal });
      await turn();
      assert.equal(sem.statistics().waiters, 1);
      controller.abort(new Error("gave up"));
      await assert.rejects(pending, /gave up/);
      assert.equal(sem.statistics().waiters, 0);
      sem.release();
      await assert.rejects(sem.acquire({ signal: AbortSignal.abort(new Error("early")) }), /early/);
      assert.equal(sem.value, 1, "nothing was taken");
    }));

  void test("a pending cancellation is raised by a free acquire without taking the permit", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      const task = createTask(async () => {
        await sleep(1);
        currentTask()!.cancel(); // not suspended: the cancellation waits for the next await
        return sem.acquire();
      });
      await assert.rejects(task, CancelledError);
      assert.equal(sem.value, 1);
    }));

  void test("works outside run() (signal still honoured)", () =>
    withoutLeaks(async () => {
      const sem = new Semaphore(1);
      const p = await sem.acquire();
      const c = new AbortController();
      const waiting = sem.acquire({ signal: c.signal });
      const other = sem.acquire();
      c.abort();
      await assert.rejects(waiting, { name: "AbortError" });
      p.release();
      (await other).release();
      assert.equal(sem.value, 1);
    }));

  void test("statistics, toString and util.inspect show the state", () =>
    virtual(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const waiters = [1, 2, 3].map(() => createTask(() => sem.acquire()));
      await turn();
      assert.equal(String(sem), "<Semaphore value=0 waiters=3>");
      assert.equal(inspect(sem), "<Semaphore value=0 waiters=3>");
      assert.deepEqual(sem.statistics(), { value: 0, waiters: 3 });
      assert.ok(Object.isFrozen(sem.statistics()));
      assert.equal(sem.locked(), true);
      for (const w of waiters) w.cancel();
      await gather(waiters, { returnExceptions: true });
      assert.equal(String(sem), "<Semaphore value=0 waiters=0>");
    }));

  void test("validates its value and options", async () => {
    assert.throws(() => new Semaphore(-1), { name: "RangeError", message: /'value'/ });
    assert.throws(() => new Semaphore(1.5), /'value'/);
    assert.throws(() => new Semaphore("2" as never), /'value'/);
    const sem = new Semaphore(1);
    await assert.rejects(sem.acquire({ signal: 1 } as never), /'signal'/);
    await assert.rejects(sem.acquire(null as never), /'options'/);
    assert.equal(sem.value, 1, "a refused acquire takes nothing");
  });

  void test("the cancelled waiters of a long-lived semaphore do not pile up", () =>
    virtual(async () => {
      const sem = new Semaphore(0);
      for (let i = 0; i < 500; i++) {
        const c = new AbortController();
        const p = sem.acquire({ signal: c.signal });
        c.abort();
        await assert.rejects(p);
      }
      assert.equal(sem.statistics().waiters, 0);
      sem.release();
      assert.equal(sem.value, 1);
    }));
});

void describe("BoundedSemaphore", () => {
  void test("refuses to be released more often than acquired", async () => {
    const sem = new BoundedSemaphore(2);
    assert.throws(() => sem.release(), InvalidStateError);
    const p = await sem.acquire();
    p.release();
    assert.throws(() => p.release(), /released too many times/);
    assert.equal(sem.value, 2);
    assert.equal(String(sem), "<BoundedSemaphore value=2 waiters=0>");
  });

  void test("hands permits to waiters like a Semaphore", () =>
    run(async () => {
      const sem = new BoundedSemaphore(1);
      const p = await sem.acquire();
      const t = createTask(async () => (await sem.acquire()).release());
      await turn();
      p.release();
      await t;
      assert.equal(sem.value, 1);
    }));
});
