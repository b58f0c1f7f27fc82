import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, createTask, InvalidStateError, sleep } from "../src/index.js";
import { asyncContextManager, AsyncExitStack } from "../src/context.js";
import { Event } from "../src/sync/event.js";
import { virtual } from "./sync/_helpers.js";

function recorder() {
  const log: string[] = [];
  const resource = asyncContextManager(async function* (name: string) {
    log.push(`open ${name}`);
    await sleep(500);
    try {
      yield `${name}-handle`;
    } catch (error) {
      log.push(`saw ${(error as Error).message}`);
      throw error;
    } finally {
      log.push(`close ${name}`);
      await sleep(500);
      log.push(`closed ${name}`);
    }
  });
  return { log, resource };
}

void describe("asyncContextManager", () => {
  void test("await using: setup, body, teardown in order (seed section 2), in virtual time", () =>
    virtual(async (clock) => {
      const { log, resource } = recorder();
      {
        await using cm = resource("r");
        const handle = await cm.enter();
        log.push(`use ${handle}`);
      }
      assert.deepEqual(log, ["open r", "use r-handle", "close r", "closed r"]);
      assert.equal(clock.now(), 1000);
    }));

  void test("teardown without try/finally still runs when the body throws (await using)", () =>
    virtual(async () => {
      const log: string[] = [];
      const plain = asyncContextManager(async function* () {
        log.push("setup");
        yield 1;
        log.push("teardown");
      });
      await assert.rejects(async () => {
        await using cm = plain();
        await cm.enter();
        throw new Error("body failed");
      }, /body failed/);
      assert.deepEqual(log, ["setup", "teardown"]);
    }));

  void test("use(): the generator sees the body's error at its yield; the error is re-thrown", () =>
    virtual(async () => {
      const { log, resource } = recorder();
      await assert.rejects(
        resource("x").use(async () => {
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(log, ["open x", "saw boom", "close x", "closed x"]);
      assert.equal(await resource("y").use(async (h) => h.length), "y-handle".length);
    }));

  void test("misuse is refused: entering twice, no yield, two yields", () =>
    virtual(async () => {
      const once = asyncContextManager(async function* () {
        yield 1;
      });
      const cm = once();
      await cm.enter();
      await assert.rejects(cm.enter(), /already been entered/);
      await cm.exit();
      await cm.exit(); // idempotent
      const never = asyncContextManager(async function* (): AsyncGenerator<number> {});
      await assert.rejects(never().enter(), InvalidStateError);
      const twice = asyncContextManager(async function* () {
        yield 1;
        yield 2;
      });
      const t = twice();
      await t.enter();
      await assert.rejects(t.exit(), /yielded more than once/);
      assert.throws(() => asyncContextManager(5 as never), /'fn'/);
      await once()[Symbol.asyncDispose](); // never entered: nothing to do
    }));

  void test("setup failure propagates and nothing is torn down", () =>
    virtual(async () => {
      let tornDown = false;
      const failing = asyncContextManager(async function* () {
        throw new Error("cannot open");
        yield 1;
        tornDown = true;
      });
      await assert.rejects(failing().enter(), /cannot open/);
      assert.equal(tornDown, false);
    }));

  void test("a cancelled body still runs the teardown, which may await", () =>
    virtual(async () => {
      const { log, resource } = recorder();
      const entered = new Event();
      const task = createTask(async () => {
        await using cm = resource("c");
        await cm.enter();
        entered.set();
        await sleep(10_000);
      });
      await entered.wait();
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.deepEqual(log, ["open c", "close c", "closed c"]);
    }));
});

void describe("AsyncExitStack", () => {
  void test("enter, push, callback, adopt: closed last-in first-out", () =>
    virtual(async () => {
      const { log, resource } = recorder();
      const order: string[] = [];
      {
        await using stack = new AsyncExitStack();
        assert.equal(await stack.enter(resource("a")), "a-handle");
        const disposable = stack.push({ [Symbol.dispose]: () => order.push("sync disposable") });
        assert.equal(typeof disposable[Symbol.dispose], "function");
        await stack.enter(Promise.resolve({ [Symbol.asyncDispose]: async () => void order.push("async disposable") }));
        stack.callback(async (x: number) => void order.push(`callback ${x}`), 7);
        assert.equal(
          stack.adopt("value", (v) => order.push(`adopted ${v}`)),
          "value",
        );
        assert.equal(stack.size, 5);
        assert.equal(String(stack), "<AsyncExitStack size=5>");
      }
      assert.deepEqual(order, ["adopted value", "callback 7", "async disposable", "sync disposable"]);
      assert.deepEqual(log, ["open a", "close a", "closed a"]);
    }));

  void test("every cleanup runs even if some fail; one error as is, several aggregated", () =>
    virtual(async () => {
      const ran: number[] = [];
      const one = new AsyncExitStack();
      one.callback(() => ran.push(1));
      one.callback(() => {
        throw new Error("first");
      });
      await assert.rejects(one.close(), /first/);
      assert.deepEqual(ran, [1]);
      await one.close(); // closed: nothing more
      assert.throws(() => one.callback(() => 0), InvalidStateError);

      const many = new AsyncExitStack();
      many.callback(() => {
        throw new Error("a");
      });
      many.callback(async () => {
        throw new Error("b");
      });
      await assert.rejects(many.close(), (error: unknown) => {
        assert.ok(error instanceof AggregateError);
        assert.deepEqual(
          error.errors.map((e: Error) => e.message),
          ["b", "a"],
        );
        return true;
      });
    }));

  void test("popAll keeps the resources past the block", () =>
    virtual(async () => {
      const closed: string[] = [];
      let kept: AsyncExitStack;
      {
        await using stack = new AsyncExitStack();
        stack.callback(() => closed.push("x"));
        kept = stack.popAll();
      }
      assert.deepEqual(closed, []);
      await kept.close();
      assert.deepEqual(closed, ["x"]);
    }));

  void test("run() shows the body's error to context managers and re-throws it", () =>
    virtual(async () => {
      const { log, resource } = recorder();
      await assert.rejects(
        AsyncExitStack.run(async (stack) => {
          await stack.enter(resource("s"));
          throw new Error("inside");
        }),
        /inside/,
      );
      assert.deepEqual(log, ["open s", "saw inside", "close s", "closed s"]);
      assert.equal(await AsyncExitStack.run(async () => 42), 42);
    }));

  void test("enter refuses what is not a resource", () =>
    virtual(async () => {
      const stack = new AsyncExitStack();
      await assert.rejects(stack.enter({} as never), /Symbol.asyncDispose/);
      assert.throws(() => stack.push(5 as never), TypeError);
      await stack.close();
    }));
});
