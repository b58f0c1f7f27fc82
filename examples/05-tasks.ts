// The work of the seed's section 5, in its own module: a worker thread or child process imports
// this module to find the functions by name (functions cannot cross threads). Keep run() calls
// and other side effects out of a tasks module.
import { defineTask, taskSignal } from "taskio/executor";

/** Simulate a blocking I/O or CPU-bound function (Python: time.sleep(n)). */
export const blockingIo = defineTask(import.meta.url, "blockingIo", (n: number): string => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n * 1000);
  return `slept ${n}s`;
});

/** Counts the primes in [start, end): pure CPU work, stopping early if the caller is cancelled. */
export const countPrimes = defineTask(import.meta.url, "countPrimes", (start: number, end: number): number => {
  const signal = taskSignal();
  let count = 0;
  for (let n = Math.max(2, start); n < end; n++) {
    if ((n & 0x3fff) === 0 && signal.aborted) throw signal.reason;
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
});
