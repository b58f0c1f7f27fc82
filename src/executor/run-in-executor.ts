import { onRunExit } from "../core/run.js";
import { getCurrentTask } from "../core/task.js";
import type { TaskHandle } from "./define-task.js";
import type { Executor } from "./executor.js";
import { ThreadPoolExecutor } from "./thread-pool-executor.js";

/** One default thread pool per `run()` (closed when it ends), and one for code outside any run. */
const perRun = new WeakMap<object, ThreadPoolExecutor>();
let outsideRun: ThreadPoolExecutor | undefined;

/**
 * The default executor of the current `run()` (created on first use and shut down when the run
 * ends), or, outside any run, a process-wide pool whose idle threads never keep the process alive.
 * asyncio: the loop's default executor, used when `run_in_executor` is given `None`.
 *
 * @returns The default {@link ThreadPoolExecutor}.
 *
 * @example
 * ```ts
 * console.log(getDefaultExecutor().statistics().workers);
 * ```
 */
export function getDefaultExecutor(): ThreadPoolExecutor {
  const run = getCurrentTask()?._run;
  if (run === undefined) {
    if (outsideRun === undefined || outsideRun.statistics().closed) outsideRun = new ThreadPoolExecutor();
    return outsideRun;
  }
  let executor = perRun.get(run);
  if (executor === undefined || executor.statistics().closed) {
    const created = (executor = new ThreadPoolExecutor());
    perRun.set(run, created);
    onRunExit(() => created.shutdown());
  }
  return executor;
}

/**
 * Runs `task(...args)` on `executor` (or the default thread pool when `executor` is `undefined`)
 * and returns its result, typed from the task's function. asyncio: `loop.run_in_executor(executor,
 * func, *args)`.
 *
 * Cancelling the awaiting task stops the work: a queued item is dropped; a running one sees its
 * `taskSignal()` abort and, if it does not stop within the pool's `cancelGracePeriod`, its worker
 * is terminated and replaced. The `CancelledError` arrives once the work has stopped.
 *
 * @param executor A {@link ThreadPoolExecutor}, a {@link ProcessPoolExecutor}, or `undefined`.
 * @param task A handle from `defineTask`.
 * @param args The task's arguments (structured-cloned; see `transfer()` to move buffers).
 * @returns The task's result.
 * @throws {TaskNotFoundError} When the worker cannot load the module or find the task.
 * @throws {BrokenWorkerError} When the worker crashed or exited while running the task.
 * @throws {ClosedResourceError} When the executor was shut down.
 * @throws {CancelledError} When the awaiting task was cancelled.
 * @throws The task's own error, with its name, message and stack.
 *
 * @example The seed's section 5
 * ```ts
 * await using pool = new ThreadPoolExecutor();
 * const results = await gather(runInExecutor(pool, blockingIo, 1), runInExecutor(pool, blockingIo, 2));
 * console.log("Blocking results:", results); // after about 2 s, not 3
 * ```
 */
export function runInExecutor<A extends unknown[], R>(
  executor: Executor | undefined,
  task: TaskHandle<A, R>,
  ...args: A
): Promise<R> {
  return (executor ?? getDefaultExecutor()).run(task, args);
}

/**
 * Runs `task(...args)` on the default thread pool. asyncio: `asyncio.to_thread(func, *args)`.
 *
 * Inside `run()` the default pool is closed when the run ends; outside, its idle threads never
 * keep the process alive.
 *
 * @param task A handle from `defineTask`.
 * @param args The task's arguments.
 * @returns The task's result.
 * @throws Same as {@link runInExecutor}.
 *
 * @example
 * ```ts
 * const digest = await toThread(hashFile, "/tmp/big.iso");
 * ```
 */
export function toThread<A extends unknown[], R>(task: TaskHandle<A, R>, ...args: A): Promise<R> {
  return getDefaultExecutor().run(task, args);
}
