/**
 * Seed section 12: debugging and logging — named tasks in the log lines, allTasks() and
 * dumpTasks() to see what every task waits on, and an exception handler that catches the error
 * of a task nobody awaited (asyncio's "Task exception was never retrieved").
 */
import {
  allTasks,
  createTask,
  currentTask,
  dumpTasks,
  gather,
  Lock,
  onSlowCallback,
  Queue,
  run,
  setExceptionHandler,
  sleep,
  type ExceptionContext,
  type SlowCallbackReport,
} from "../../../index.js";
import type { DemoSection } from "../section.js";

/** Seed section 12, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 12,
  title: "debugging and logging: task names, allTasks, dumpTasks, exception handler",
  async run({ log, timeline }) {
    // Include the task's name in every log line (Python: task.get_name()).
    const say = (text: string): void => log(`[${currentTask()?.name ?? "-"}] ${text}`);
    const lock = new Lock();
    const queue = new Queue<string>();

    const writer = createTask(
      () =>
        timeline.track("writer", async () => {
          using _held = await lock.acquire();
          say("holding the lock for 200 ms");
          await sleep(200);
        }),
      { name: "writer" },
    );
    const reader = createTask(
      () =>
        timeline.track("reader", async (span) => {
          await sleep(1); // let the writer take the lock first
          using _held = await lock.acquire();
          span.running();
          say("got the lock");
        }),
      { name: "reader" },
    );
    const consumer = createTask(
      () =>
        timeline.track("consumer", async (span) => {
          const item = await queue.get();
          span.running();
          say(`got '${item}' from the queue`);
        }),
      { name: "consumer" },
    );

    await sleep(50);
    const live = [...allTasks()].map((task) => task.name);
    log(`allTasks(): ${live.join(", ")}`);
    const dump = dumpTasks({ stacks: false });
    log("dumpTasks():");
    for (const line of dump.split("\n")) log(`  ${line}`);
    await queue.put("job-1");
    await gather(writer, reader, consumer);

    // In debug mode (run(main, { debug: true }) or TASKIO_DEBUG=1), a task that blocks the event
    // loop is named; an error in a task that nobody awaits must not vanish: it reaches the
    // exception handler, with the task's name (and, in debug mode, where it was created).
    const reports: ExceptionContext[] = [];
    const slow: SlowCallbackReport[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    onSlowCallback((report) => slow.push(report));
    try {
      await run(
        async () => {
          createTask(
            async () => {
              await sleep(10);
              throw new Error("connection refused by the database");
            },
            { name: "refresh-cache" },
          );
          await createTask(
            async () => {
              await sleep(1);
              // Blocking work on the event loop (parsing a huge document synchronously, say).
              const until = performance.now() + 150;
              let spins = 0;
              while (performance.now() < until) spins++;
              return spins;
            },
            { name: "parse" },
          );
          await sleep(30);
        },
        { handleSigint: false, name: "inner", debug: true },
      );
    } finally {
      setExceptionHandler(previous);
      onSlowCallback(undefined);
    }
    for (const report of slow) {
      log(`slow callback: the event loop was blocked for ${Math.round(report.duration)} ms by task '${report.taskName ?? "?"}'`);
    }
    for (const report of reports) {
      log(`exception handler: ${report.message} (task '${report.taskName ?? "?"}'): ${String((report.error as Error).message)}`);
      const frame = report.creationStack?.split("\n").find((line) => line.includes("12-debugging"));
      const where = frame === undefined ? undefined : /([^/\\]+:\d+:\d+)\)?$/.exec(frame.trim())?.[1];
      if (where !== undefined) log(`  (debug mode: the task was created at ${where})`);
    }
    const waits = dump.split("\n").filter((line) => line.includes("waiting on"));
    log(
      `evidence: ${live.length} live tasks listed by name; dumpTasks() showed ${waits.length} of them waiting ` +
        `(a lock, a queue, a sleep); ${slow.length} blocked event loop and ${reports.length} lost error reported with their task's name`,
    );
    return {
      liveTasks: live,
      dump,
      waitingTasks: waits.length,
      reported: reports.map((r) => ({ message: r.message, taskName: r.taskName, error: String((r.error as Error).message) })),
      slowCallbacks: slow.map((r) => ({ durationMs: Math.round(r.duration), taskName: r.taskName })),
      creationStackRecorded: reports.every((r) => typeof r.creationStack === "string"),
    };
  },
};
