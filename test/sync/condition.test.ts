import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, createTask, gather, InvalidStateError, sleep } from "../../src/index.js";
import { Condition } from "../../src/sync/condition.js";
import { Lock } from "../../src/sync/lock.js";
import { turn, virtual } from "./_helpers.js";

void describe("Condition", () => {
  void test("producer/consumer with waitFor", () =>
    virtual(async () => {
      const cond = new Condition();
      const items: number[] = [];
      const consumed: number[] = [];
      const consumers = [0, 1, 2].map(() =>
        createTask(async () => {
          using _h = await cond.acquire();
          await cond.waitFor(() => items.length > 0);
          assert.equal(cond.locked(), true, "wait returns holding the lock");
          consumed.push(items.shift()!);
        }),
      );
      await turn();
      assert.equal(cond.statistics().waiters, 3);
      for (const item of [10, 20, 30]) {
        using _h = await cond.acquire();
        items.push(item);
        cond.notify();
      }
      await gather(...consumers);
      assert.deepEqual(consumed.sort(), [10, 20, 30]);
      assert.equal(cond.locked(), false);
    }));

  void test("notify(n) and notifyAll wake in FIFO order", () =>
    virtual(async () => {
      const cond = new Condition();
      const woken: number[] = [];
      const tasks = [0, 1, 2, 3].map((i) =>
        createTask(async () => {
          using _h = await cond.acquire();
          await cond.wait();
          woken.push(i);
        }),
      );
      await turn();
      {
        using _h = await cond.acquire();
        cond.notify(2);
      }
      await turn(3);
      assert.deepEqual(woken, [0, 1]);
      {
        using _h = await cond.acquire();
        cond.notifyAll();
      }
      await gather(...tasks);
      assert.deepEqual(woken, [0, 1, 2, 3]);
    }));

  void test("wait and notify refuse to run without the lock", () =>
    virtual(async () => {
      const cond = new Condition();
      await assert.rejects(cond.wait(), InvalidStateError);
      assert.throws(() => cond.notify(), InvalidStateError);
      assert.throws(() => cond.notifyAll(), InvalidStateError);
      assert.throws(() => new Condition({} as never), /'lock'/);
    }));

  void test("a cancelled wait re-takes the lock before raising", () =>
    virtual(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      let heldAfterCancel: boolean | undefined;
      const task = createTask(async () => {
        await cond.acquire();
        try {
          await cond.wait();
        } catch (error) {
          heldAfterCancel = lock.locked();
          throw error;
        } finally {
          cond.release();
        }
      });
      await turn();
      // Hold the lock while cancelling: the waiter must wait for it before raising.
      const held = await lock.acquire();
      task.cancel();
      await turn(3);
      assert.equal(task.done(), false, "still re-acquiring the lock");
      held.release();
      await assert.rejects(task, CancelledError);
      assert.equal(heldAfterCancel, true);
      assert.equal(lock.locked(), false);
    }));

  void test("a waiter notified and cancelled in the same tick does not swallow the notification", () =>
    virtual(async () => {
      const cond = new Condition();
      const woken: string[] = [];
      const mk = (name: string) =>
        createTask(async () => {
          using _h = await cond.acquire();
          await cond.wait();
          woken.push(name);
        });
      const a = mk("a");
      const b = mk("b");
      await turn();
      {
        using _h = await cond.acquire();
        a.cancel(); // a leaves the queue...
        cond.notify(); // ...so the one notification goes to b
      }
      await assert.rejects(a, CancelledError);
      await b;
      assert.deepEqual(woken, ["b"]);
    }));

  void test("a waiter notified, then cancelled before it re-took the lock, passes the notification on", () =>
    virtual(async () => {
      const cond = new Condition();
      const woken: string[] = [];
      const mk = (name: string) =>
        createTask(async () => {
          using _h = await cond.acquire();
          await cond.wait();
          woken.push(name);
        });
      const a = mk("a");
      const b = mk("b");
      await turn();
      {
        using _h = await cond.acquire();
        cond.notify(); // a is notified (it must wait for the lock we hold)...
        a.cancel(); // ...and cancelled before it gets it
      }
      await assert.rejects(a, CancelledError);
      await b; // b got the notification a could not use
      assert.deepEqual(woken, ["b"]);
      assert.equal(cond.locked(), false);
    }));

  void test("signal aborts wait (lock re-taken first)", () =>
    virtual(async () => {
      const cond = new Condition();
      await cond.acquire();
      const controller = new AbortController();
      const waiting = cond.wait({ signal: controller.signal });
      await sleep(1);
      assert.equal(cond.locked(), false);
      controller.abort(new Error("enough"));
      await assert.rejects(waiting, /enough/);
      assert.equal(cond.locked(), true);
      cond.release();
      assert.equal(String(cond), "<Condition unlocked>");
    }));
});
