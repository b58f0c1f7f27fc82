import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, test } from "node:test";
import {
  CancelledError,
  InvalidStateError,
  allTasks,
  cancellable,
  createTask,
  currentSignal,
  currentTask,
  isCancelled,
  run,
  setExceptionHandler,
  sleep,
  type ExceptionContext,
} from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

const virtual = (): { clock: MockClock } => ({ clock: new MockClock({ autojump: true }) });

describe("createTask", () => {
  test("runs the body at once and resolves to its value", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const order: string[] = [];
        const task = createTask(async () => {
          order.push("body");
          await sleep(10);
          return 42;
        });
        order.push("after create");
        assert.deepEqual(order, ["body", "after create"]);
        assert.equal(task.done(), false);
        assert.equal(await task, 42);
        assert.equal(task.done(), true);
        assert.equal(task.result(), 42);
        assert.equal(task.exception(), undefined);
        assert.equal(task.state, "finished");
      }, virtual()),
    );
  });

  test("names tasks Task-N by default and keeps a given name", async () => {
    await run(async () => {
      const a = createTask(async () => {});
      const b = createTask(async () => {}, { name: "fetch-1" });
      assert.match(a.name, /^Task-\d+$/);
      assert.equal(b.name, "fetch-1");
      assert.equal(String(b), "Task 'fetch-1' <pending>");
      await a;
      await b;
      assert.equal(String(b), "Task 'fetch-1' <finished>");
    });
  });

  test("rejects bad arguments with a TypeError naming them", () => {
    assert.throws(() => createTask(42 as never), /Expected 'fn' to be a function/);
    assert.throws(() => createTask(async () => {}, { name: 7 as never }), /Expected 'name' to be a string/);
  });

  test("result() before completion is an InvalidStateError", async () => {
    await run(async () => {
      const task = createTask(() => sleep(5));
      assert.throws(() => task.result(), InvalidStateError);
      assert.throws(() => task.exception(), InvalidStateError);
      await task;
    }, virtual());
  });

  test("a synchronous function becomes a finished task", async () => {
    const task = createTask(() => 7);
    assert.equal(task.done(), true);
    assert.equal(await task, 7);
  });

  test("a synchronous throw becomes a failed task", async () => {
    const task = createTask(() => {
      throw new Error("sync boom");
    });
    assert.equal(task.state, "failed");
    await assert.rejects(task, /sync boom/);
  });

  test("currentTask() is the running task, undefined outside", async () => {
    assert.equal(currentTask(), undefined);
    await run(async () => {
      const task = createTask(
        async () => {
          await sleep(1);
          // (Returning the task itself would make it adopt itself, like a promise resolved to itself.)
          return currentTask()?.name;
        },
        { name: "me" },
      );
      assert.equal(await task, "me");
    }, virtual());
  });
});

describe("cancellation", () => {
  test("cancel() rejects the pending sleep, clears its timer and runs finally blocks", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const events: string[] = [];
        const task = createTask(async () => {
          try {
            await sleep(60_000);
            events.push("woke");
          } finally {
            events.push("finally");
          }
        });
        await sleep(1);
        assert.equal(task.cancel(), true);
        await assert.rejects(task, CancelledError);
        assert.deepEqual(events, ["finally"]);
        assert.equal(task.cancelled(), true);
        assert.equal(task.state, "cancelled");
        assert.throws(() => task.result(), CancelledError);
        assert.throws(() => task.exception(), CancelledError);
      }),
    );
  });

  test("cancel() on a finished task returns false and changes nothing", async () => {
    await run(async () => {
      const task = createTask(async () => 1);
      await task;
      assert.equal(task.cancel(), false);
      assert.equal(task.result(), 1);
      assert.equal(task.cancelled(), false);
    });
  });

  test("a task not suspended gets the cancellation at its next taskio await", async () => {
    await run(async () => {
      const reached: string[] = [];
      const task = createTask(async () => {
        await Promise.resolve(); // a foreign await: not a cancellation point
        reached.push("before sleep");
        await sleep(1);
        reached.push("after sleep");
      });
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.deepEqual(reached, ["before sleep"]);
    }, virtual());
  });

  test("cancellation is delivered once: cleanup in finally may await", async () => {
    await run(async () => {
      let cleaned = false;
      const task = createTask(async () => {
        try {
          await sleep(10_000);
        } finally {
          await sleep(5); // asyncio semantics: the cleanup's own await is not cancelled again
          cleaned = true;
        }
      });
      await sleep(1);
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.equal(cleaned, true);
    }, virtual());
  });

  test("a cancellation reason appears in the message (string) or as the cause", async () => {
    await run(async () => {
      const a = createTask(() => sleep(100));
      a.cancel("shutting down");
      await assert.rejects(a, /shutting down/);
      const cause = new Error("why");
      const b = createTask(() => sleep(100));
      b.cancel(cause);
      await assert.rejects(b, (error: unknown) => error instanceof CancelledError && error.cause === cause);
    }, virtual());
  });

  test("cancelling a parent cancels its children first", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const order: string[] = [];
        const parent = createTask(async () => {
          const child = createTask(async () => {
            try {
              await sleep(10_000);
            } finally {
              order.push("child finally");
            }
          });
          try {
            await child;
          } finally {
            order.push("parent finally");
          }
        });
        await sleep(1);
        parent.cancel();
        await assert.rejects(parent, CancelledError);
        assert.deepEqual(order, ["child finally", "parent finally"]);
      }),
    );
  });

  test("awaiting a task from a cancelled task cancels it and waits for it (asyncio semantics)", async () => {
    await run(async () => {
      let innerDone = false;
      const inner = createTask(async () => {
        try {
          await sleep(10_000);
        } finally {
          await sleep(3);
          innerDone = true;
        }
      });
      const outer = createTask(async () => {
        await inner;
      });
      await sleep(1);
      outer.cancel();
      await assert.rejects(outer, CancelledError);
      assert.equal(innerDone, true, "the awaited task finished before the awaiter resumed");
      assert.equal(inner.cancelled(), true);
    }, virtual());
  });

  test("a task that swallows its cancellation and returns keeps its result", async () => {
    await run(async () => {
      const task = createTask(async () => {
        try {
          await sleep(10_000);
        } catch (error) {
          assert.ok(isCancelled(error));
        }
        return "kept";
      });
      await sleep(1);
      task.cancel();
      assert.equal(await task, "kept");
      assert.equal(task.cancelled(), false);
      assert.equal(task.cancelling(), 1);
    }, virtual());
  });

  test("task.signal is created lazily and aborts with the CancelledError", async () => {
    await run(async () => {
      const task = createTask(async () => {
        const signal = currentSignal();
        assert.equal(signal.aborted, false);
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        return signal.reason as unknown;
      });
      await sleep(1);
      task.cancel();
      // The body waited on a foreign promise (the abort event) and returned normally.
      const reason = await task;
      assert.ok(reason instanceof CancelledError);
    }, virtual());
    assert.equal(currentSignal().aborted, false, "outside a task the signal never aborts");
  });

  test("a signal read after cancel() is already aborted", async () => {
    await run(async () => {
      const task = createTask(() => sleep(100));
      task.cancel();
      assert.equal(task.signal.aborted, true);
      await assert.rejects(task, CancelledError);
      assert.equal(task.signal.aborted, true);
    }, virtual());
  });

  test("cancellable() makes a foreign await a cancellation point", async () => {
    await run(async () => {
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => (release = resolve));
      const task = createTask(() => cancellable(foreign));
      await sleep(1);
      task.cancel();
      await assert.rejects(task, CancelledError);
      release();
    }, virtual());
    const controller = new AbortController();
    const pending = cancellable(new Promise(() => {}), { signal: controller.signal });
    controller.abort(new Error("aborted by caller"));
    await assert.rejects(pending, /aborted by caller/);
  });

  test("sleep({ signal }) works outside any task and clears its timer on abort", async () => {
    await withoutLeaks(async () => {
      const controller = new AbortController();
      const pending = sleep(60_000, { signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, (error: unknown) => isCancelled(error));
      await assert.rejects(sleep(1, { signal: controller.signal }), (error: unknown) => isCancelled(error));
    });
  });

  test("sleep validates its arguments", async () => {
    // Bad arguments reject (as waitFor, timeout and moveOnAfter do), they do not throw.
    await assert.rejects(sleep(-1), /Expected 'ms' to be a non-negative number/);
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(sleep(1, { signal: "x" as never }), /Expected 'signal' to be an AbortSignal/);
    await assert.rejects(sleep(1, null as never), /Expected 'options' to be an object/);
  });

  test("a sleep beyond the 24.8-day timer limit does not fire early", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      await sleep(2 ** 31 + 5);
      assert.equal(clock.now(), 2 ** 31 + 5);
    }, { clock });
    await withoutLeaks(() =>
      run(async () => {
        const long = createTask(() => sleep(40 * 24 * 3600 * 1000));
        await sleep(5);
        assert.equal(long.done(), false);
        long.cancel();
        await assert.rejects(long, CancelledError);
      }),
    );
  });
});

describe("errors never vanish", () => {
  test("an unretrieved task error is reported with the task's name when run() ends", async () => {
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    try {
      await run(async () => {
        createTask(
          async () => {
            throw new Error("nobody awaits me");
          },
          { name: "orphan" },
        );
        await sleep(1);
      });
    } finally {
      setExceptionHandler(previous);
    }
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.taskName, "orphan");
    assert.match(String(reports[0]?.error), /nobody awaits me/);
    assert.match(reports[0]?.message ?? "", /never retrieved/);
  });

  test("a retrieved error is not reported", async () => {
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    try {
      await run(async () => {
        const task = createTask(async () => {
          throw new Error("retrieved later");
        });
        await sleep(1);
        assert.match(String(task.exception()), /retrieved later/);
      });
    } finally {
      setExceptionHandler(previous);
    }
    assert.deepEqual(reports, []);
  });

  test("debug mode records where each task was created", async () => {
    await run(
      async () => {
        const task = createTask(async () => {});
        assert.match(task.creationStack ?? "", /task\.test/);
        await task;
      },
      { debug: true },
    );
  });
});

describe("allTasks", () => {
  test("lists the live tasks of the current run only", async () => {
    await run(async () => {
      const a = createTask(() => sleep(10), { name: "a" });
      const b = createTask(() => sleep(20), { name: "b" });
      const names = [...allTasks()].map((task) => task.name).sort();
      assert.deepEqual(names, ["a", "b", "main"]);
      await a;
      await b;
      assert.deepEqual([...allTasks()].map((task) => task.name), ["main"]);
    }, virtual());
  });
});

void describe("tasks and the user's own AsyncLocalStorage", () => {
  void test("a task sees the stores of where it was created; its creator keeps its own, before and after awaits", () =>
    withoutLeaks(() =>
      run(async () => {
        const requestId = new AsyncLocalStorage<string>();
        const main = currentTask();
        const seen: string[] = [];
        const child = requestId.run("req-1", () =>
          createTask(async () => {
            seen.push(`${requestId.getStore()} ${currentTask()?.name}`);
            await sleep(0);
            seen.push(`${requestId.getStore()} ${currentTask()?.name}`);
            return requestId.run("req-2", () => createTask(async () => requestId.getStore(), { name: "grandchild" }));
          }, { name: "child" }),
        );
        // Back in the creator: its own task and no store, now and after an await.
        assert.equal(currentTask(), main);
        assert.equal(requestId.getStore(), undefined);
        // The child returns its own child: awaiting it gives the grandchild's result.
        const fromGrandchild = await child;
        assert.equal(currentTask(), main);
        assert.equal(requestId.getStore(), undefined);
        assert.equal(fromGrandchild, "req-2");
        assert.deepEqual(seen, ["req-1 child", "req-1 child"]);
        // A body that throws at once leaves its creator's context as it was too.
        requestId.enterWith("outer");
        const failing = createTask((): never => {
          throw new Error("at once");
        });
        assert.equal(currentTask(), main);
        assert.equal(requestId.getStore(), "outer");
        await assert.rejects(failing, /at once/);
        assert.equal(requestId.getStore(), "outer");
      }),
    ));
});
