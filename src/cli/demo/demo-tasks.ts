/**
 * The work of the demo's executor section, in a module of its own: a worker thread imports this
 * module (by its URL, so it works from the installed package) to find the functions by name.
 * Keep side effects out of it.
 */
import { threadId } from "node:worker_threads";
import { defineTask, taskSignal } from "../../executor/index.js";

/** The seed's blocking_io(n): blocks its thread for n seconds (Python: time.sleep(n)). */
export const blockingIo = defineTask(import.meta.url, "blockingIo", (n: number): string => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n * 1000);
  return `slept ${n}s`;
});

/** Counts the primes in [start, end): pure CPU work that stops when its caller is cancelled. */
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

/** Where the work ran: the process id and thread id of the worker. */
export const whereAmI = defineTask(import.meta.url, "whereAmI", (): { pid: number; threadId: number } => ({
  pid: process.pid,
  threadId,
}));
