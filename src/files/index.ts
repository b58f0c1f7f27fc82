/**
 * `taskio/files`: async files with cancellable reads and writes, text or binary, line iteration
 * in constant memory, and `await using`. aiofiles, rebuilt on Node's callback `fs` API.
 *
 * For `stat`, `rename`, `mkdir`, `readdir` and the like, use `node:fs/promises` directly: taskio
 * wraps only what gains from it.
 *
 * @module
 */
export { open } from "./open.js";
export type { OpenOptions } from "./open.js";
export { AsyncFile } from "./async-file.js";
export type { FileOperationOptions, Whence } from "./async-file.js";
export type { OpenMode, TextMode, BinaryMode } from "./mode.js";
export { readFile, writeFile } from "./read-file.js";
export type { ReadFileOptions, WriteFileOptions } from "./read-file.js";
