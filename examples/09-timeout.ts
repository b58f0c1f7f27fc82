// Seed section 9: cancellation and timeouts with waitFor.
// Run: node dist/examples/09-timeout.js   (prints "Task timed out" after 2 s)
import { run, sleep, TimeoutError, waitFor } from "taskio";

async function slowTask(): Promise<string> {
  await sleep(5000);
  return "done";
}

async function main(): Promise<void> {
  try {
    // As a function, the work runs as a task that waitFor cancels (and waits for) on expiry.
    const result = await waitFor(slowTask, 2000);
    console.log("Result:", result);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log("Task timed out");
  }
}

await run(main);
