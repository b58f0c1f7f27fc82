import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { CancelledError, createTask, gather, InvalidStateError, sleep } from "../../src/index.js";
import { Lock } from "../../src/sync/lock.js";
import { Event } from "../../src/sync/event.js";
import { turn, virtual } from "./_helpers.js";

void describe("Lock", () => {
  void test("serialises a read-modify-write", () =>
    virtual(async () => {
      const lock = new Lock();
      let counter = 0;
      await gather(
        ...Array.from({ length: 10 }, () => async () => {
          using _held = await lock.acquire();
          const value = counter;
          await sleep(1);
          counter = value + 1;
        }),
      );
      assert.equal(counter, 10);
      assert.equal(lock.locked(), false);
    }));

  void test("FIFO order, handoff, and refusing to release an unlocked lock", () =>
    virtual(async () => {
      const lock = new Lock();
      assert.throws(() => lock.release(), InvalidStateError);
      const held = await lock.acquire();
      const order: number[] = [];
      const tasks = [0, 1, 2].map((i) =>
        createTask(async () => {
          using _h = await lock.acquire();
          order.push(i);
        }),
      );
      await turn();
      assert.equal(inspect(lock), "<Lock locked waiters=3>");
      held.release();
      assert.equal(lock.tryAcquire(), false);
      await gather(...tasks);
      assert.deepEqual(order, [0, 1, 2]);
      assert.equal(String(lock), "<Lock unlocked>");
      assert.deepEqual(lock.statistics(), { locked: false, waiters: 0 });
    }));

  void test("woken-and-cancelled in one tick, and cancelled-before-wake, never lose the lock", () =>
    virtual(async () => {
      const lock = new Lock();
      const held = await lock.acquire();
      const got: string[] = [];
      const mk = (name: string) =>
        createTask(async () => {
          using _h = await lock.acquire();
          got.push(name);
          await sleep(1);
        });
      const a = mk("a");
      const b = mk("b");
      const c = mk("c");
      await turn();
      b.cancel(); // cancelled while waiting
      held.release(); // wakes a
      a.cancel(); // a gets the lock, then CancelledError at its sleep; `using` releases
      const results = await gather([a, b, c], { returnExceptions: true });
      assert.ok(results[0] instanceof CancelledError);
      assert.ok(results[1] instanceof CancelledError);
      assert.equal(results[2], undefined);
      assert.deepEqual(got, ["a", "c"]);
      assert.equal(lock.locked(), false);
    }));

  void test("signal aborts a waiting acquire", () =>
    virtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      const p = lock.acquire({ signal: controller.signal });
      controller.abort();
      await assert.rejects(p, { name: "AbortError" });
      lock.release();
      assert.equal(lock.locked(), false);
    }));
});

void describe("Event", () => {
  void test("set wakes every waiter; wait returns at once while set; clear resets", () =>
    virtual(async () => {
      const event = new Event();
      const woken: number[] = [];
      const tasks = [0, 1, 2].map((i) =>
        createTask(async () => {
          assert.equal(await event.wait(), true);
          woken.push(i);
        }),
      );
      await turn();
      assert.equal(String(event), "<Event unset waiters=3>");
      event.set();
      event.set();
      await gather(...tasks);
      assert.deepEqual(woken, [0, 1, 2]);
      assert.equal(event.isSet(), true);
      assert.equal(await event.wait(), true);
      assert.equal(inspect(event), "<Event set>");
      event.clear();
      assert.deepEqual(event.statistics(), { set: false, waiters: 0 });
      const late = createTask(() => event.wait());
      await turn();
      assert.equal(late.done(), false);
      event.set();
      await late;
    }));

  void test("cancelled and aborted waiters leave; the rest still wake", () =>
    virtual(async () => {
      const event = new Event();
      const a = createTask(() => event.wait());
      const controller = new AbortController();
      const b = event.wait({ signal: controller.signal });
      const c = createTask(() => event.wait());
      await turn();
      a.cancel();
      controller.abort(new Error("stop"));
      await assert.rejects(a, CancelledError);
      await assert.rejects(b, /stop/);
      assert.equal(event.statistics().waiters, 1);
      event.set();
      assert.equal(await c, true);
    }));
});
