/**
 * Executor tasks for the reliability suite. Imported by worker threads: no side effects here.
 */
import { defineTask, taskSignal } from "../../src/executor/index.js";

/** Blocks the worker for about `ms` in 1 ms slices, stopping early (by throwing) when cancelled. */
export const nap = defineTask(import.meta.url, "nap", (ms: number, value: number): number => {
  const signal = taskSignal();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let slept = 0; slept < ms; slept++) {
    if (signal.aborted) throw signal.reason;
    Atomics.wait(cell, 0, 0, 1);
  }
  return value * 2;
});
