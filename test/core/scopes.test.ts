import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CancelledError,
  InvalidStateError,
  TaskGroup,
  TaskGroupError,
  TimeoutError,
  createTask,
  moveOnAfter,
  run,
  setExceptionHandler,
  shield,
  sleep,
  timeout,
  waitFor,
  type ExceptionContext,
} from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

describe("TaskGroup", () => {
  test("waits for every task and returns the body's value", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      const done: string[] = [];
      const result = await TaskGroup.run(async (tg) => {
        tg.createTask(async () => {
          await sleep(30);
          done.push("a");
        });
        tg.createTask(async () => {
          await sleep(10);
          done.push("b");
        });
        return "body";
      });
      assert.equal(result, "body");
      assert.deepEqual(done, ["b", "a"]);
      assert.equal(clock.now(), 30);
    }, { clock });
  });

  test("a failing task cancels its siblings and the body; TaskGroupError lists the failures", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const cleaned: string[] = [];
        const error = await TaskGroup.run(async (tg) => {
          tg.createTask(async () => {
            try {
              await sleep(10_000);
            } finally {
              cleaned.push("sibling");
            }
          });
          tg.createTask(async () => {
            await sleep(5);
            throw new Error("child failed");
          });
          try {
            await sleep(10_000);
          } finally {
            cleaned.push("body");
          }
        }).catch((e: unknown) => e);
        assert.ok(error instanceof TaskGroupError);
        assert.ok(error instanceof AggregateError);
        assert.equal(error.errors.length, 1);
        assert.match(String(error.errors[0]), /child failed/);
        assert.deepEqual(cleaned.sort(), ["body", "sibling"]);
      }, { clock: new MockClock({ autojump: true }) }),
    );
  });

  test("errors are collected in failure order", async () => {
    await run(async () => {
      const failDuringCleanup = (name: string, cleanupMs: number) => async () => {
        try {
          await sleep(10_000);
        } catch {
          await sleep(cleanupMs); // cleanup takes time, then fails
          throw new Error(name);
        }
      };
      const error = await TaskGroup.run(async (tg) => {
        tg.createTask(failDuringCleanup("slow cleanup", 20));
        tg.createTask(async () => {
          await sleep(10);
          throw new Error("first");
        });
        tg.createTask(failDuringCleanup("quick cleanup", 5));
      }).catch((e: unknown) => e as TaskGroupError);
      assert.ok(error instanceof TaskGroupError);
      assert.deepEqual(
        error.errors.map((e) => (e as Error).message),
        ["first", "quick cleanup", "slow cleanup"],
      );
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("the body's own error is in the TaskGroupError and cancels the tasks", async () => {
    await run(async () => {
      let cancelled = false;
      const error = await TaskGroup.run(async (tg) => {
        tg.createTask(async () => {
          try {
            await sleep(1000);
          } catch (e) {
            cancelled = e instanceof CancelledError;
            throw e;
          }
        });
        await sleep(1);
        throw new Error("body failed");
      }).catch((e: unknown) => e as TaskGroupError);
      assert.ok(error instanceof TaskGroupError);
      assert.match(String(error.errors[0]), /body failed/);
      assert.equal(cancelled, true);
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("cancelling the caller cancels the group and raises CancelledError", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const cleaned: string[] = [];
        const caller = createTask(() =>
          TaskGroup.run(async (tg) => {
            for (const name of ["x", "y"]) {
              tg.createTask(async () => {
                try {
                  await sleep(10_000);
                } finally {
                  await sleep(5); // cleanup that awaits: it must not get a second CancelledError
                  cleaned.push(name);
                }
              });
            }
          }),
        );
        await sleep(1);
        caller.cancel();
        await assert.rejects(caller, CancelledError);
        assert.deepEqual(cleaned.sort(), ["x", "y"]);
      }, { clock: new MockClock({ autojump: true }) }),
    );
  });

  test("a task started after a failure starts cancelled; createTask after the end is refused", async () => {
    await run(async () => {
      let group!: TaskGroup;
      let lateCancelled = false;
      await TaskGroup.run(async (tg) => {
        group = tg;
        tg.createTask(() => {
          throw new Error("sync failure");
        });
        tg.createTask(async () => {
          try {
            await sleep(1);
          } catch (e) {
            lateCancelled = e instanceof CancelledError;
            throw e;
          }
        });
      }).catch(() => {});
      assert.equal(lateCancelled, true);
      assert.throws(() => group.createTask(async () => {}), InvalidStateError);
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("await using: disposal waits for the tasks and throws their errors", async () => {
    await run(async () => {
      const done: number[] = [];
      {
        await using tg = new TaskGroup();
        tg.createTask(async () => {
          await sleep(20);
          done.push(20);
        });
        tg.createTask(async () => {
          await sleep(10);
          done.push(10);
        });
      }
      assert.deepEqual(done, [10, 20]);
      await assert.rejects(async () => {
        await using tg = new TaskGroup();
        tg.createTask(async () => {
          await sleep(5);
          throw new Error("in disposal");
        });
      }, TaskGroupError);
    }, { clock: new MockClock({ autojump: true }) });
  });
});

describe("waitFor, timeout, moveOnAfter", () => {
  test("the seed's wait_for: TimeoutError after 2 s, and the inner work's finally has run", async () => {
    const clock = new MockClock({ autojump: true });
    await withoutLeaks(() =>
      run(async () => {
        let innerFinally = -1;
        const slowTask = async (): Promise<string> => {
          try {
            await sleep(5000);
            return "done";
          } finally {
            innerFinally = clock.now();
          }
        };
        const error = await waitFor(slowTask, 2000).catch((e: unknown) => e);
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.timeout, 2000);
        assert.match(error.message, /timed out after 2000 ms/);
        assert.equal(innerFinally, 2000);
        assert.equal(clock.now(), 2000);
      }, { clock }),
    );
  });

  test("a result that arrives before the deadline wins; timers are cleared", async () => {
    await withoutLeaks(() =>
      run(async () => {
        assert.equal(await waitFor(async () => {
          await sleep(10);
          return "fast";
        }, 1000), "fast");
        assert.equal(await waitFor(Promise.resolve("promise"), 1000), "promise");
      }),
    );
  });

  test("a result produced in the same tick as the deadline is not lost", async () => {
    const clock = new MockClock();
    await run(async () => {
      // The work swallows its cancellation and returns: the value must come through.
      const pending = waitFor(async () => {
        try {
          await sleep(100);
        } catch {
          return "finished anyway";
        }
        return "finished";
      }, 100);
      await Promise.resolve();
      clock.advance(100);
      assert.match(await pending, /finished/);
    }, { clock });
  });

  test("a plain promise cannot be cancelled: waitFor rejects and the promise runs on", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      let settle!: (v: string) => void;
      const foreign = new Promise<string>((resolve) => (settle = resolve));
      await assert.rejects(waitFor(foreign, 50), TimeoutError);
      settle("late");
      assert.equal(await foreign, "late");
    }, { clock });
  });

  test("cancelling the caller is CancelledError, never TimeoutError", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const caller = createTask(() => waitFor(() => sleep(10_000), 5000));
        await sleep(1);
        caller.cancel();
        await assert.rejects(caller, (e: unknown) => e instanceof CancelledError && !(e instanceof TimeoutError));
      }, { clock: new MockClock({ autojump: true }) }),
    );
  });

  test("nested scopes: the inner deadline fires first and the outer still works", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      const error = await timeout(1000, async () => {
        try {
          await timeout(100, () => sleep(10_000));
        } catch (inner) {
          assert.ok(inner instanceof TimeoutError);
          assert.equal(inner.timeout, 100, "the inner scope's error");
          assert.equal(clock.now(), 100);
        }
        await sleep(10_000); // now the outer deadline must fire
      }).catch((e: unknown) => e);
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.timeout, 1000, "the outer scope's error, not mistaken for the inner");
      assert.equal(clock.now(), 1000);
    }, { clock });
  });

  test("an inner TimeoutError passes through an outer scope unchanged", async () => {
    await run(async () => {
      const error = await timeout(1000, () => timeout(10, () => sleep(100))).catch((e: unknown) => e);
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.timeout, 10);
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("the outer deadline cancelling an inner scope gives the outer TimeoutError", async () => {
    await run(async () => {
      const error = await timeout(10, () => timeout(1000, () => sleep(10_000))).catch((e: unknown) => e);
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.timeout, 10);
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("moveOnAfter returns undefined on expiry and the value otherwise", async () => {
    const clock = new MockClock({ autojump: true });
    await run(async () => {
      assert.equal(await moveOnAfter(50, () => sleep(100).then(() => "late")), undefined);
      assert.equal(clock.now(), 50);
      assert.equal(await moveOnAfter(50, async () => "quick"), "quick");
    }, { clock });
  });

  test("Infinity means no deadline; bad durations are RangeErrors", async () => {
    await run(async () => {
      assert.equal(await timeout(Infinity, async () => 1), 1);
    });
    await assert.rejects(waitFor(Promise.resolve(1), -1), RangeError);
    await assert.rejects(timeout(Number.NaN, async () => 1), RangeError);
    await assert.rejects(timeout(5, "x" as never), TypeError);
    await assert.rejects(waitFor(42 as never, 5), TypeError);
  });

  test("work outside run() behaves like a plain promise with a deadline", async () => {
    await withoutLeaks(async () => {
      await assert.rejects(waitFor(() => sleep(10_000), 5), TimeoutError);
    });
  });
});

describe("shield", () => {
  test("the caller is cancelled at once; the shielded work runs to completion", async () => {
    await withoutLeaks(() =>
      run(async () => {
        let completed = false;
        const caller = createTask(() =>
          shield(async () => {
            await sleep(50);
            completed = true;
          }),
        );
        await sleep(1);
        caller.cancel();
        await assert.rejects(caller, CancelledError);
        assert.equal(completed, false);
        await sleep(100);
        assert.equal(completed, true);
      }, { clock: new MockClock({ autojump: true }) }),
    );
  });

  test("a shielded failure nobody awaits any more is reported, not lost", async () => {
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    try {
      await run(async () => {
        const caller = createTask(() =>
          shield(async () => {
            await sleep(10);
            throw new Error("shielded failure");
          }),
        );
        await sleep(1);
        caller.cancel();
        await caller.catch(() => {});
        await sleep(20);
      }, { clock: new MockClock({ autojump: true }) });
    } finally {
      setExceptionHandler(previous);
    }
    assert.equal(reports.length, 1);
    assert.match(String(reports[0]?.error), /shielded failure/);
  });

  test("without cancellation, shield returns the value", async () => {
    await run(async () => {
      assert.equal(await shield(async () => 5), 5);
      assert.equal(await shield(Promise.resolve(6)), 6);
    });
    assert.equal(await shield(async () => 7), 7);
  });
});
