/**
 * Debugging tools: `import { dumpTasks } from "taskio/debug"` (also exported from `taskio`).
 * @module
 */
export { dumpTasks } from "./dump-tasks.js";
export type { DumpTasksOptions } from "./dump-tasks.js";
export { onSlowCallback } from "./debug-mode.js";
export type { SlowCallbackReport } from "./debug-mode.js";
export { allTasks, currentTask, setExceptionHandler } from "../core/task.js";
export type { ExceptionContext, ExceptionHandler } from "../core/task.js";
