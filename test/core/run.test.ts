import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import {
  CancelledError,
  allTasks,
  createTask,
  dumpTasks,
  onSlowCallback,
  run,
  setExceptionHandler,
  shield,
  sleep,
  type SlowCallbackReport,
} from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

describe("run", () => {
  test("returns main's value and rethrows main's error", async () => {
    assert.equal(await run(async () => 5), 5);
    await assert.rejects(run(async () => {
      throw new Error("main failed");
    }), /main failed/);
    await assert.rejects(run("nope" as never), /Expected 'main' to be a function/);
  });

  test("cancels and awaits leftover tasks before returning, shielded ones included", async () => {
    await withoutLeaks(async () => {
      const finished: string[] = [];
      await run(async () => {
        for (const name of ["a", "b"]) {
          createTask(async () => {
            try {
              await sleep(60_000);
            } finally {
              await sleep(1); // cleanup with an await still completes
              finished.push(name);
            }
          });
        }
        void shield(async () => {
          try {
            await sleep(60_000);
          } finally {
            finished.push("shielded");
          }
        }).catch(() => {});
      });
      assert.deepEqual(finished.sort(), ["a", "b", "shielded"]);
    });
  });

  test("several runs side by side each own only their tasks", async () => {
    const clockA = new MockClock({ autojump: true });
    const [a, b] = await Promise.all([
      run(async () => {
        createTask(() => sleep(10), { name: "in-a" });
        await sleep(1);
        return [...allTasks()].map((t) => t.name).sort();
      }, { clock: clockA }),
      run(async () => {
        createTask(() => sleep(10), { name: "in-b" });
        await sleep(1);
        return [...allTasks()].map((t) => t.name).sort();
      }),
    ]);
    assert.deepEqual(a, ["in-a", "main"]);
    assert.deepEqual(b, ["in-b", "main"]);
  });

  test("a leftover's real failure during shutdown is reported", async () => {
    const reports: unknown[] = [];
    const previous = setExceptionHandler((context) => reports.push(context.error));
    try {
      await run(async () => {
        createTask(async () => {
          try {
            await sleep(60_000);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new Error("failed while shutting down");
          }
        });
      });
    } finally {
      setExceptionHandler(previous);
    }
    assert.equal(reports.length, 1);
    assert.match(String(reports[0]), /failed while shutting down/);
  });

  test("the first SIGINT cancels main, finally blocks run, exit code 130", async () => {
    const script = fileURLToPath(new URL("./fixtures/sigint-main.js", import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    const ready = new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("ready")) resolve();
      });
    });
    await ready;
    child.kill("SIGINT");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 130);
    assert.deepEqual(out.trim().split("\n"), ["ready", "child finally", "main finally"]);
  });
});

test("with exitOnSigint: false, run() rejects with CancelledError and the program decides", async () => {
  const script = fileURLToPath(new URL("./fixtures/sigint-noexit.js", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  await new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("ready")) resolve();
    });
  });
  child.kill("SIGINT");
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 3);
  assert.match(out, /run rejected: cancelled=true cause=Error: interrupted \(SIGINT\)/);
});

describe("MockClock", () => {
  test("advance() fires due timers in deadline order, ties in the order set", async () => {
    const clock = new MockClock({ start: 100 });
    const fired: string[] = [];
    clock.setTimer(() => fired.push("b@20"), 20);
    clock.setTimer(() => fired.push("a@10"), 10);
    clock.setTimer(() => fired.push("c@20"), 20);
    const cleared = clock.setTimer(() => fired.push("never"), 15);
    clock.clearTimer(cleared);
    clock.advance(15);
    assert.deepEqual(fired, ["a@10"]);
    assert.equal(clock.now(), 115);
    clock.advance(5);
    assert.deepEqual(fired, ["a@10", "b@20", "c@20"]);
    assert.equal(clock.pendingTimers, 0);
    assert.throws(() => clock.advance(-1), RangeError);
  });

  test("autojump leaps to the next deadline when every task waits", async () => {
    const clock = new MockClock({ autojump: true });
    await withoutLeaks(() =>
      run(async () => {
        const started = clock.now();
        await sleep(3_600_000); // an hour, in no time
        assert.equal(clock.now() - started, 3_600_000);
      }, { clock }),
    );
  });

  test("sleep(0) yields a turn without waiting for a manual clock", async () => {
    const clock = new MockClock();
    await run(async () => {
      await sleep(0);
      assert.equal(clock.now(), 0);
    }, { clock });
  });

  test("manual advance drives sleeps", async () => {
    const clock = new MockClock();
    await run(async () => {
      let woke = false;
      const sleeper = createTask(async () => {
        await sleep(1000);
        woke = true;
      });
      clock.advance(999);
      await Promise.resolve();
      assert.equal(woke, false);
      clock.advance(1);
      await sleeper;
      assert.equal(woke, true);
    }, { clock });
  });
});

describe("debugging", () => {
  test("dumpTasks() shows the tree, states and what each task waits on", async () => {
    await run(async () => {
      const parent = createTask(async () => {
        createTask(() => sleep(5000), { name: "grandchild" });
        await sleep(5000);
      }, { name: "parent" });
      await sleep(1);
      const dump = dumpTasks();
      assert.match(dump, /^Tasks \(3\):/);
      assert.match(dump, /Task 'main' pending/);
      assert.match(dump, /Task 'parent' pending, age 1 ms, waiting on sleep\(5000 ms\)/);
      assert.match(dump, /│?\s+└── Task 'grandchild' pending/);
      parent.cancel();
      await parent.catch(() => {});
      assert.match(dumpTasks({ root: parent }), /Task 'parent' cancelled/);
    }, { clock: new MockClock({ autojump: true }) });
  });

  test("debug mode warns, naming the task, when the event loop is blocked", async () => {
    const reports: SlowCallbackReport[] = [];
    onSlowCallback((report) => reports.push(report));
    try {
      await run(
        async () => {
          await createTask(
            async () => {
              await sleep(1);
              const until = performance.now() + 60;
              while (performance.now() < until) {
                // busy: block the event loop
              }
            },
            { name: "hog" },
          );
        },
        { debug: true, slowCallbackDuration: 30 },
      );
    } finally {
      onSlowCallback(undefined);
    }
    assert.ok(reports.length >= 1, "at least one report");
    assert.ok(reports.some((r) => r.taskName === "hog" && r.duration >= 30), JSON.stringify(reports));
  });

  test("CancelledError is not a TaskioError and isCancelled recognises AbortError", async () => {
    const { TaskioError, isCancelled } = await import("../../src/index.js");
    const error = new CancelledError();
    assert.equal(error instanceof TaskioError, false);
    assert.equal(isCancelled(error), true);
    const abort = await new Promise<unknown>((resolve) => {
      const controller = new AbortController();
      controller.abort();
      import("node:timers/promises").then(({ setTimeout: wait }) =>
        wait(10, undefined, { signal: controller.signal }).catch(resolve),
      ).catch(resolve);
    });
    assert.equal(isCancelled(abort), true);
    assert.equal(isCancelled(new Error("x")), false);
  });
});
