/**
 * A race of the cancel grace period (found by `npm run soak`): a cancelled item stops by itself,
 * the worker starts the item sent ahead behind it, and only then does the main thread, busy
 * meanwhile, see the grace timer expire. The worker must not be terminated for the cancelled
 * item: that would fail the later item, which nobody cancelled, with BrokenWorkerError.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createTask, isCancelled, run } from "../../src/index.js";
import { runInExecutor, ThreadPoolExecutor } from "../../src/executor/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { handshake } from "./_suite.js";
import { blockFor, waitForAbort } from "./fixtures/tasks.js";

/** Blocks the main thread (no event-loop turn) until `flag[0]` is set, at most 10 s. */
function blockUntilSet(token: SharedArrayBuffer, atLeastMs: number): void {
  const flag = new Int32Array(token);
  const start = performance.now();
  while (Atomics.load(flag, 0) === 0 || performance.now() - start < atLeastMs) {
    if (performance.now() - start > 10_000) throw new Error("the item sent ahead never started");
  }
}

void test("a grace timer that fires after the cancelled item ended does not kill the worker's next item", () =>
  withoutLeaks(() =>
    run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1, cancelGracePeriod: 20 });
      try {
        const firstStarted = handshake("thread");
        const secondStarted = handshake("thread");
        const first = createTask(() => runInExecutor(pool, waitForAbort, firstStarted.token));
        await firstStarted.started();
        // Sent ahead to the same (only) worker, behind the running item.
        const second = createTask(() => runInExecutor(pool, blockFor, 300, secondStarted.token));
        first.cancel();
        // The worker sees the abort, ends the first item and starts the second, while the main
        // thread is blocked past the grace period in a check-phase callback: in the next turn of
        // the event loop, the timers phase (the grace timer) comes before the poll phase (the
        // worker's reply), as it did under load.
        await new Promise<void>((resolve) =>
          setImmediate(() => {
            blockUntilSet(secondStarted.token as SharedArrayBuffer, 50);
            resolve();
          }),
        );
        await assert.rejects(first, (error) => isCancelled(error));
        assert.equal(await second, 300);
      } finally {
        await pool.shutdown();
      }
    }),
  ));
