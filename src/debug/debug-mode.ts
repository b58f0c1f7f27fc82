import { createHook } from "node:async_hooks";
import { runHooks, type RunOptions } from "../core/run.js";
import { als, type RunContext } from "../core/task.js";

/** A report of a blocked event loop, in debug mode. */
export interface SlowCallbackReport {
  /** How long the event loop was blocked, in milliseconds. */
  duration: number;
  /** The task that was running, if any. */
  taskName: string | undefined;
}

let slowCallbackListener: ((report: SlowCallbackReport) => void) | undefined;

/**
 * Where debug mode's "event loop blocked" warnings go (default: stderr). `undefined` restores it.
 * asyncio prints "Executing <Task ...> took 0.123 seconds" in debug mode; taskio does the same.
 */
export function onSlowCallback(listener: ((report: SlowCallbackReport) => void) | undefined): void {
  slowCallbackListener = listener;
}

let active = 0;
let threshold = 100;
let started = 0;
let startedTask: string | undefined;
const hook = createHook({
  before() {
    started = performance.now();
    startedTask = als.getStore()?.name;
  },
  after() {
    if (started === 0) return;
    const duration = performance.now() - started;
    started = 0;
    if (duration >= threshold) {
      const taskName = als.getStore()?.name ?? startedTask;
      const report: SlowCallbackReport = { duration, taskName };
      if (slowCallbackListener !== undefined) slowCallbackListener(report);
      else {
        process.stderr.write(
          `taskio: the event loop was blocked for ${Math.round(duration)} ms` +
            (taskName === undefined ? "" : ` by task '${taskName}'`) +
            ": move blocking work to toThread() or an executor\n",
        );
      }
    }
  },
});

/** Debug mode for one run: switched on by `run(main, { debug: true })` or `TASKIO_DEBUG=1`. */
function startDebug(_run: RunContext, options: RunOptions): () => void {
  threshold = options.slowCallbackDuration ?? 100;
  if (active++ === 0) hook.enable();
  return () => {
    if (--active === 0) hook.disable();
  };
}

runHooks.startDebug = startDebug;
