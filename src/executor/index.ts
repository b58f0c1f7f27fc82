/**
 * `taskio/executor`: blocking and CPU-bound work on worker threads and child processes.
 * asyncio: `loop.run_in_executor`, `asyncio.to_thread`, `concurrent.futures`.
 *
 * @module
 */

export { defineTask } from "./define-task.js";
export type { TaskHandle, TaskArgs, TaskResult } from "./define-task.js";
export { taskSignal } from "./task-signal.js";
export { transfer } from "./transfer.js";
export { Executor } from "./executor.js";
export type { ExecutorOptions, ExecutorRunOptions, ExecutorStatistics, ShutdownOptions } from "./executor-options.js";
export { ThreadPoolExecutor } from "./thread-pool-executor.js";
export type { ThreadPoolExecutorOptions } from "./thread-pool-executor.js";
export { ProcessPoolExecutor } from "./process-pool-executor.js";
export type { ProcessPoolExecutorOptions } from "./process-pool-executor.js";
export { runInExecutor, toThread, getDefaultExecutor } from "./run-in-executor.js";
export { BrokenWorkerError, TaskNotFoundError } from "../errors.js";
