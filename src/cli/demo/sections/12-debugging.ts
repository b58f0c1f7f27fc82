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
  Queue,
  run,
  setExceptionHandler,
  sleep,
  type ExceptionContext,
} from "../../../index.js";
import type { DemoSection } from "../section.js";

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

    // An error in a task that nobody awaits must not vanish: it reaches the exception handler.
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
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
          await sleep(30);
        },
        { handleSigint: false, name: "inner" },
      );
    } finally {
      setExceptionHandler(previous);
    }
    for (const report of reports) {
      log(`exception handler: ${report.message} (task '${report.taskName ?? "?"}'): ${String((report.error as Error).message)}`);
    }
    const waits = dump.split("\n").filter((line) => line.includes("waiting on"));
    log(
      `evidence: ${live.length} live tasks listed by name; dumpTasks() showed ${waits.length} of them waiting ` +
        `(a lock, a queue, a sleep); ${reports.length} lost error reported with its task's name`,
    );
    return {
      liveTasks: live,
      dump,
      waitingTasks: waits.length,
      reported: reports.map((r) => ({ message: r.message, taskName: r.taskName, error: String((r.error as Error).message) })),
    };
  },
};
