import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { createTask, run, isCancelled } from "../../src/index.js";
import { getDefaultExecutor, runInExecutor, taskSignal, toThread } from "../../src/executor/index.js";
import * as tasks from "./fixtures/tasks.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { handshake } from "./_suite.js";

const execFileAsync = promisify(execFile);

void test("toThread() runs on the default pool, which run() closes when it ends", async () => {
  await withoutLeaks(async () => {
    let pool: ReturnType<typeof getDefaultExecutor> | undefined;
    const result = await run(async () => {
      pool = getDefaultExecutor();
      assert.equal(getDefaultExecutor(), pool, "one default pool per run");
      const sum = await toThread(tasks.add, 2, 3);
      const doubled = await runInExecutor(undefined, tasks.asyncDouble, sum);
      assert.equal(pool.statistics().workers > 0, true);
      return doubled;
    });
    assert.equal(result, 10);
    assert.equal(pool!.statistics().closed, true);
    assert.equal(pool!.statistics().workers, 0);
  });
});

void test("each run() has its own default pool", async () => {
  const first = await run(async () => getDefaultExecutor());
  const second = await run(async () => getDefaultExecutor());
  assert.notEqual(first, second);
});

void test("cancelling a task in toThread() stops the thread's work", async () => {
  await withoutLeaks(async () => {
    await run(async () => {
      const gate = handshake("thread");
      const task = createTask(() => toThread(tasks.waitForAbort, gate.token));
      await gate.started();
      task.cancel();
      await assert.rejects(Promise.resolve(task), (error: unknown) => isCancelled(error));
    });
  });
});

void test("outside run(), toThread() works and its idle threads do not keep the process alive", async () => {
  const tasksUrl = new URL("./fixtures/tasks.js", import.meta.url).href;
  const executorUrl = new URL("../../src/executor/index.js", import.meta.url).href;
  const script = `
    const { toThread } = await import(${JSON.stringify(executorUrl)});
    const { add } = await import(${JSON.stringify(tasksUrl)});
    console.log(await toThread(add, 20, 22));
  `;
  // If an idle worker kept the event loop alive, this child would never exit (the test would time out).
  const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    timeout: 20_000,
  });
  assert.equal(stdout.trim(), "42");
});

void test("taskSignal() on the main thread is the current task's signal", async () => {
  assert.equal(tasks.signalAborted.fn(), false);
  await run(async () => {
    assert.equal(taskSignal().aborted, false);
    const task = createTask(async () => {
      const signal = taskSignal();
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      return signal.aborted;
    });
    await new Promise((resolve) => setImmediate(resolve));
    task.cancel();
    assert.equal(await task, true);
  });
});
