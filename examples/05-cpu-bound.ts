// Seed sections 5 and 13: CPU-bound work belongs in a pool. Counting the primes below 4,000,000
// in 8 slices: on the main thread, then on a thread pool and a process pool of 2 workers, which
// beat the main thread on 2 cores (the main thread stays free meanwhile).
// Run: node dist/examples/05-cpu-bound.js
import { gather, run } from "taskio";
import { ProcessPoolExecutor, ThreadPoolExecutor, runInExecutor, type Executor } from "taskio/executor";
import { countPrimes } from "./05-tasks.js";

const LIMIT = 4_000_000;
const SLICES = 8;
const ranges = Array.from({ length: SLICES }, (_, i) => [(i * LIMIT) / SLICES, ((i + 1) * LIMIT) / SLICES] as const);

async function onPool(pool: Executor): Promise<number> {
  const counts = await gather(...ranges.map(([start, end]) => runInExecutor(pool, countPrimes, start, end)));
  return counts.reduce((a, b) => a + b, 0);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)}s`;
}

async function main(): Promise<void> {
  let started = performance.now();
  const inline = ranges.reduce((sum, [start, end]) => sum + countPrimes.fn(start, end), 0);
  const inlineTime = seconds(started);
  console.log(`main thread:  ${inline} primes below ${LIMIT} in ${inlineTime}`);

  for (const pool of [new ThreadPoolExecutor({ maxWorkers: 2 }), new ProcessPoolExecutor({ maxWorkers: 2 })]) {
    await using _pool = pool;
    started = performance.now();
    const total = await onPool(pool);
    console.log(`${`${pool.kind} pool:`.padEnd(13)} ${total} primes below ${LIMIT} in ${seconds(started)}`);
  }
}

await run(main);
