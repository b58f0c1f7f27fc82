/**
 * The CPU-bound work of the executor benchmark, defined once for taskio (defineTask) and exported
 * as a plain function for piscina (which calls a module's named export).
 */
import { defineTask } from "../src/executor/index.js";

/** About 1 ms of arithmetic for the calibrated number of iterations. */
export function cpuWork(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + Math.sqrt(i * 1.0001)) % 1e9;
  return x;
}

export const cpuTask = defineTask(import.meta.url, "cpuTask", cpuWork);

export const noop = defineTask(import.meta.url, "noop", () => 0);

export function noopWork(): number {
  return 0;
}

/** cpuWork, reporting how long it ran inside the worker (for dispatch-latency analysis). */
export function timedWork(iterations: number): number {
  const t = performance.now();
  cpuWork(iterations);
  return performance.now() - t;
}

export const timedTask = defineTask(import.meta.url, "timedTask", timedWork);
