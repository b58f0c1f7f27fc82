/**
 * `taskio/subprocess`: child processes with stream pipes, cancellation that stops the whole
 * process tree (on Node 20 too), and `await using`. asyncio's subprocess API, rebuilt on
 * `node:child_process` and taskio's `StreamReader`/`StreamWriter`.
 *
 * @module
 */
export { createSubprocessExec, createSubprocessShell } from "./create.js";
export type { SubprocessOptions } from "./create.js";
export { Process } from "./process.js";
export type { CommunicateResult, ProcessWaitOptions } from "./process.js";
export { PIPE, DEVNULL, STDOUT, INHERIT } from "./constants.js";
export type { StdioOption, StderrOption } from "./constants.js";
export type { StreamReader } from "../streams/reader.js";
export type { StreamWriter } from "../streams/writer.js";
