/**
 * taskio: Python's asyncio, rebuilt for TypeScript on Node.js. This entry point is the core:
 * tasks, scopes, cancellation, timeouts, and debugging. Capabilities with heavier dependencies
 * live in subpath exports (`taskio/streams`, `taskio/http`, ...).
 *
 * @module
 */

export {
  TaskioError,
  CancelledError,
  TimeoutError,
  InvalidStateError,
  TaskGroupError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  BrokenBarrierError,
  ClosedResourceError,
  BrokenResourceError,
  IncompleteReadError,
  LimitOverrunError,
  isCancelled,
} from "./errors.js";
export type { TaskioErrorOptions } from "./errors.js";

export type { Clock, TimerHandle } from "./core/clock.js";
export {
  Task,
  createTask,
  currentTask,
  allTasks,
  currentSignal,
  setExceptionHandler,
} from "./core/task.js";
export type { CreateTaskOptions, ExceptionContext, ExceptionHandler } from "./core/task.js";
export { sleep } from "./core/sleep.js";
export type { SleepOptions } from "./core/sleep.js";
export { gather } from "./core/gather.js";
export type { GatherItem, GatherResult, GatherOptions } from "./core/gather.js";
export { asCompleted, AsCompleted } from "./core/as-completed.js";
export type { AsCompletedOptions } from "./core/as-completed.js";
export { TaskGroup } from "./core/task-group.js";
export { waitFor, timeout, moveOnAfter } from "./core/timeout.js";
export { shield, cancellable } from "./core/shield.js";
export { run } from "./core/run.js";
export type { RunOptions } from "./core/run.js";
export { dumpTasks } from "./debug/dump-tasks.js";
export type { DumpTasksOptions } from "./debug/dump-tasks.js";
export { onSlowCallback } from "./debug/debug-mode.js";
export type { SlowCallbackReport } from "./debug/debug-mode.js";
export { retry } from "./retry.js";
export type { RetryOptions, RetryInfo, RetryJitter } from "./retry.js";
export {
  Semaphore,
  BoundedSemaphore,
  Lock,
  Event,
  Condition,
  Barrier,
  Queue,
  PriorityQueue,
  LifoQueue,
} from "./sync/index.js";
export type {
  Permit,
  WaitOptions,
  SemaphoreStatistics,
  LockStatistics,
  EventStatistics,
  ConditionStatistics,
  BarrierStatistics,
  QueueOptions,
  QueueStatistics,
  PriorityQueueOptions,
} from "./sync/index.js";
export { mapConcurrent, iterConcurrent, batched } from "./map.js";
export type { MapConcurrentOptions, IterConcurrentOptions } from "./map.js";
export { AsyncExitStack, AsyncContextManager, asyncContextManager } from "./context.js";
