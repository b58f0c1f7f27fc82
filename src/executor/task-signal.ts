import { currentSignal } from "../core/task.js";

type SignalSource = () => AbortSignal | undefined;
const kSource = Symbol.for("taskio.executor.signalSource");
const holder = globalThis as { [kSource]?: { get: SignalSource | undefined } };
const source = (holder[kSource] ??= { get: undefined });

/** Installs the worker's source of signals. @internal */
export function setTaskSignalSource(get: SignalSource): void {
  source.get = get;
}

/**
 * The `AbortSignal` of the executor item running right now, for a task function to stop by
 * itself when the caller is cancelled (before the pool gives up waiting and terminates it).
 *
 * In a worker thread, `signal.aborted` turns true the moment the caller cancels, even while the
 * function never yields (the flag lives in shared memory), so CPU-bound loops can poll it; its
 * `abort` event fires when the function next lets the worker's event loop run. In a child
 * process both need the event loop. Called on the main thread (not in a worker), it returns the
 * current taskio task's signal (see `currentSignal()`).
 *
 * asyncio has no counterpart: a thread in `run_in_executor` cannot be told to stop.
 *
 * @returns The item's signal.
 *
 * @example A CPU-bound task that stops early when cancelled
 * ```ts
 * export const countPrimes = defineTask(import.meta.url, "countPrimes", (limit: number) => {
 *   const signal = taskSignal();
 *   let count = 0;
 *   for (let n = 2; n < limit; n++) {
 *     if ((n & 0xffff) === 0 && signal.aborted) throw signal.reason;
 *     if (isPrime(n)) count++;
 *   }
 *   return count;
 * });
 * ```
 */
export function taskSignal(): AbortSignal {
  return source.get?.() ?? currentSignal();
}
