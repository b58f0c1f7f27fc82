/**
 * Seed section 9: cancellation and timeouts — waitFor cancels the slow task when time is up (its
 * finally block runs); moveOnAfter gives up without an error; task.cancel() stops a task at once.
 */
import { createTask, gather, moveOnAfter, sleep, TimeoutError, waitFor } from "../../../index.js";
import { elapsedSince, seconds, type DemoSection } from "../section.js";

/** Seed section 9, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 9,
  title: "cancellation and timeouts: waitFor, moveOnAfter, task.cancel()",
  async run({ log, timeline }) {
    let cleanedUp = false;
    const slowTask = () =>
      timeline.track("slow_task", async () => {
        try {
          await sleep(5000);
          return "done";
        } finally {
          cleanedUp = true;
        }
      });
    const started = performance.now();
    let timedOut = false;
    try {
      const result = await waitFor(slowTask, 2000);
      log(`Result: ${result}`);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      timedOut = true;
      log("Task timed out");
    }
    const elapsed = elapsedSince(started);
    log(`evidence: the 5s task was cancelled at ${seconds(elapsed)} (limit 2.00s); its finally block ran: ${cleanedUp}`);

    // A scope that gives up quietly: moveOnAfter returns undefined instead of throwing.
    const moveStarted = performance.now();
    const moved = await moveOnAfter(200, () => timeline.track("move_on", () => sleep(1000).then(() => "late")));
    const movedMs = elapsedSince(moveStarted);
    log(`evidence: moveOnAfter(200) gave up on a 1s wait after ${movedMs} ms and returned ${String(moved)}`);

    // Cancelling a task by hand: it gets CancelledError at its next await.
    const task = createTask(() => timeline.track("cancelled", () => sleep(5000)), { name: "cancelled" });
    await sleep(100);
    task.cancel();
    await gather([task], { returnExceptions: true });
    log(`evidence: task.cancel() stopped a 5s sleep after ${seconds(100)}: cancelled() is ${task.cancelled()}`);
    return {
      timedOut,
      elapsedMs: elapsed,
      limitMs: 2000,
      innerCleanedUp: cleanedUp,
      movedOnMs: movedMs,
      movedOnResult: moved ?? null,
      taskCancelled: task.cancelled(),
    };
  },
};
