// Seed section 5: coexisting with blocking I/O — run_in_executor on a thread pool (or, with
// --process, a process pool). blocking_io(1) and blocking_io(2) run at once: about 2 s, not 3 s.
// Run: node dist/examples/05-run-in-executor.js [--process]
import { gather, run } from "taskio";
import { ProcessPoolExecutor, ThreadPoolExecutor, runInExecutor } from "taskio/executor";
import { blockingIo } from "./05-tasks.js";

async function main(): Promise<void> {
  const started = performance.now();
  const finished: number[] = [];
  const timed = <T>(promise: Promise<T>): Promise<T> => promise.finally(() => finished.push(performance.now()));
  // Python: with ThreadPoolExecutor() as pool: (or ProcessPoolExecutor)
  await using pool = process.argv.includes("--process") ? new ProcessPoolExecutor() : new ThreadPoolExecutor();
  const results = await gather(timed(runInExecutor(pool, blockingIo, 1)), timed(runInExecutor(pool, blockingIo, 2)));
  console.log("Blocking results:", results);
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  console.log(`Elapsed: ${seconds(performance.now() - started)}s on a ${pool.kind} pool (the sum of the calls is 3.0s)`);
  // Run one after the other, the second call would end 2 s after the first; at once, 1 s after.
  console.log(`blocking_io(2) finished ${seconds(finished[1]! - finished[0]!)}s after blocking_io(1)`);
}

await run(main);
