/**
 * The callback `fs` API as promises, with errors that name the file.
 *
 * Why not `fs/promises`: its `FileHandle` round trips cost about four times what the callback API
 * costs for many small files (280 vs 67 ms for 5,000 x 4 KiB here). A raw fd and one closure per
 * call is all a file needs.
 *
 * @module
 */
import * as fs from "node:fs";

/** A Node system error with the usual fields. @internal */
export interface SystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/**
 * Node's errors from fd calls (`read`, `write`, `fstat`) do not say which file: this puts the
 * path in the message, keeps `code`/`errno`/`syscall` and chains the original as `cause`.
 * @internal
 */
export function namePath(error: unknown, path: string): unknown {
  const original = error as SystemError;
  if (typeof original !== "object" || original === null || typeof original.message !== "string") return error;
  if (original.path !== undefined) return error; // open() errors already name it
  const named: SystemError = new Error(`${original.message} '${path}'`, { cause: error });
  if (original.code !== undefined) named.code = original.code;
  if (original.errno !== undefined) named.errno = original.errno;
  if (original.syscall !== undefined) named.syscall = original.syscall;
  named.path = path;
  return named;
}

/** A Node-style system error created by taskio (EISDIR on open for reading). @internal */
export function systemError(code: string, description: string, syscall: string, path: string): SystemError {
  const error: SystemError = new Error(`${code}: ${description}, ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

/** @internal */
export function fsOpen(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, 0o666, (error, fd) => (error === null ? resolve(fd) : reject(error)));
  });
}

/** @internal */
export function fsFstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => {
    fs.fstat(fd, (error, stats) => (error === null ? resolve(stats) : reject(error)));
  });
}

/** @internal */
export function fsRead(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error === null ? resolve(bytesRead) : reject(error)));
  });
}

/** Writes at `position` (or at the end for append mode, `null`). @internal */
export function fsWrite(
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, offset, length, position, (error, written) => (error === null ? resolve(written) : reject(error)));
  });
}

/** @internal */
export function fsClose(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.close(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}

/** @internal */
export function fsFtruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.ftruncate(fd, length, (error) => (error === null ? resolve() : reject(error)));
  });
}

/** @internal */
export function fsFsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fsync(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}
