// Seed section 1: async/await and the event loop — three workers at once with gather.
// Run: node dist/examples/01-gather.js   (C, B, A finish in that order; about 1.5 s in total, not 3 s)
import { gather, run, sleep } from "taskio";

async function worker(name: string, delay: number): Promise<[string, number]> {
  // Simulate I/O-bound work by sleeping
  console.log(`${name} started`);
  await sleep(delay * 1000);
  console.log(`${name} finished after ${delay}s`);
  return [name, delay];
}

async function main(): Promise<void> {
  const started = performance.now();
  // Run multiple workers concurrently
  const results = await gather(
    () => worker("A", 1.5),
    () => worker("B", 1.0),
    () => worker("C", 0.5),
  );
  console.log("Results:", results);
  console.log(`Elapsed: ${((performance.now() - started) / 1000).toFixed(1)}s (the sum of the waits is 3.0s)`);
}

await run(main);
