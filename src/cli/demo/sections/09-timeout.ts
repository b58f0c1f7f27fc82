/** Seed section 9: cancellation and timeouts — waitFor cancels the slow task when time is up. */
import { sleep, TimeoutError, waitFor } from "../../../index.js";
import { elapsedSince, seconds, type DemoSection } from "../section.js";

export const section: DemoSection = {
  id: 9,
  title: "cancellation and timeouts: waitFor",
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
    return { timedOut, elapsedMs: elapsed, limitMs: 2000, innerCleanedUp: cleanedUp };
  },
};
