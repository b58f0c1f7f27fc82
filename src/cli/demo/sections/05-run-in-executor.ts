/**
 * Seed section 5: blocking code — runInExecutor on a thread pool runs blocking_io(1) and
 * blocking_io(2) at once while the event loop stays free; cancelling pool work really stops it.
 */
import { createTask, gather, sleep, TimeoutError, waitFor } from "../../../index.js";
import { ProcessPoolExecutor, runInExecutor, ThreadPoolExecutor } from "../../../executor/index.js";
import { blockingIo, countPrimes, whereAmI } from "../demo-tasks.js";
import { elapsedSince, pyRepr, seconds, type DemoSection } from "../section.js";

const BEAT_MS = 100;

/** Seed section 5, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 5,
  title: "blocking code: runInExecutor on thread and process pools",
  async run({ log, timeline }) {
    // A heartbeat on the event loop: if the blocking calls ran on it, it would stop beating.
    let beats = 0;
    let worstGap = 0;
    const heartbeat = createTask(
      async () => {
        let last = performance.now();
        for (;;) {
          await sleep(BEAT_MS);
          const now = performance.now();
          worstGap = Math.max(worstGap, now - last);
          last = now;
          beats++;
        }
      },
      { name: "heartbeat" },
    );

    let started = performance.now();
    let results: string[];
    let stoppedMs: number;
    let startupMs: number;
    let timedOut = false;
    try {
      // Python: with ThreadPoolExecutor() as pool:
      await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
      // Workers start on demand; start both first so that the timing shows the calls alone.
      await gather(runInExecutor(pool, blockingIo, 0), runInExecutor(pool, blockingIo, 0));
      startupMs = elapsedSince(started);
      started = performance.now();
      results = await gather(
        () => timeline.track("blocking_io(1)", () => runInExecutor(pool, blockingIo, 1)),
        () => timeline.track("blocking_io(2)", () => runInExecutor(pool, blockingIo, 2)),
      );
      log(`Blocking results: ${pyRepr(results)}`);

      // Cancellation reaches into the pool: a CPU-bound count is stopped at the deadline.
      const cancelStarted = performance.now();
      try {
        await waitFor(() => runInExecutor(pool, countPrimes, 0, 1e10), 300);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        timedOut = true;
      }
      stoppedMs = elapsedSince(cancelStarted);
    } finally {
      heartbeat.cancel();
      await gather([heartbeat], { returnExceptions: true });
    }
    const elapsed = elapsedSince(started);
    log(
      `evidence: both calls done in ${seconds(elapsed - stoppedMs)} for 3.00s of blocking (2 worker threads started first in ${startupMs} ms); ` +
        `the event loop kept beating (${beats} beats of ${BEAT_MS} ms, worst gap ${Math.round(worstGap)} ms)`,
    );
    log(`evidence: countPrimes(0..1e10) on the pool timed out after 300 ms and was stopped ${seconds(stoppedMs)} after it began`);

    // CPU-bound work: a ProcessPoolExecutor runs it in child processes (the seed's advice).
    const cpuStarted = performance.now();
    let cpu: { count: number; pid: number }[];
    {
      await using processes = new ProcessPoolExecutor({ maxWorkers: 2 });
      cpu = await gather(
        ...[[0, 150_000], [150_000, 300_000]].map(([from, to]) => async () => {
          const count = await runInExecutor(processes, countPrimes, from!, to!);
          const { pid } = await runInExecutor(processes, whereAmI);
          return { count, pid };
        }),
      );
    }
    const cpuMs = elapsedSince(cpuStarted);
    const primes = cpu.reduce((sum, part) => sum + part.count, 0);
    const pids = [...new Set(cpu.map((part) => part.pid))];
    log(
      `evidence: ProcessPoolExecutor counted ${primes} primes below 300000 in child process${pids.length > 1 ? "es" : ""} ` +
        `${pids.join(", ")} (this process is ${process.pid}) in ${seconds(cpuMs)}, start-up included`,
    );
    return {
      results,
      elapsedMs: elapsed - stoppedMs,
      sumOfWaitsMs: 3000,
      workerStartupMs: startupMs,
      heartbeats: beats,
      worstGapMs: Math.round(worstGap),
      cancelTimedOut: timedOut,
      cancelStoppedMs: stoppedMs,
      primes,
      processPids: pids,
      processPoolMs: cpuMs,
    };
  },
};
