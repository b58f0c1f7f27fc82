/**
 * The messages between an executor and its workers (threads and child processes alike), and how
 * errors and transfer lists cross the boundary.
 *
 * Messages are small arrays rather than objects: they are structured-cloned on every call, and
 * an array of five slots clones faster than an object with five keys.
 *
 * @module
 */

import type { TransferListItem } from "node:worker_threads";
import { TaskNotFoundError } from "../../errors.js";

/**
 * Main → worker: run `[CALL, id, moduleUrl, name, args, cell]`. `cell` (threads; -1 for
 * processes) is the shared claim cell the worker must win before it starts the item.
 */
export const CALL = 0;
/** Main → worker: `[ABORT, id]`, abort the signal of item `id` if it is still running. */
export const ABORT = 1;
/** Worker → main: `[OK, id, value]`. */
export const OK = 2;
/** Worker → main: `[ERR, id, SerializedError]`. */
export const ERR = 3;
/** Worker → main: `[CRASH, SerializedError]`, an uncaught error just before a child exits. */
export const CRASH = 4;
/** Worker → main: `[SKIP, id]`, the item was taken back before it started. */
export const SKIP = 5;

export type ToWorker = [typeof CALL, number, string, string, unknown[], number] | [typeof ABORT, number];
export type FromWorker =
  | [typeof OK, number, unknown]
  | [typeof ERR, number, SerializedError]
  | [typeof CRASH, SerializedError]
  | [typeof SKIP, number];

/** An error as it crosses the boundary: its name, message and stack survive, and its data. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** Own enumerable properties that could be cloned (`code`, `errno`...). */
  props: Record<string, unknown> | undefined;
  cause: SerializedError | { value: unknown } | undefined;
  /** True when the thrown value was not an Error at all. */
  notError?: unknown;
}

/** Turns anything thrown into something structured clone can carry. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { name: "Error", message: safeString(error), stack: undefined, props: undefined, cause: undefined, notError: cloneable(error) ? error : safeString(error) };
  }
  let props: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "stack" || key === "message" || key === "name") continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (!cloneable(value)) continue;
    (props ??= {})[key] = value;
  }
  let cause: SerializedError["cause"];
  if ("cause" in error && error.cause !== undefined && depth < 5) {
    cause = error.cause instanceof Error ? serializeError(error.cause, depth + 1) : { value: cloneable(error.cause) ? error.cause : safeString(error.cause) };
  }
  return { name: error.name, message: error.message, stack: error.stack, props, cause };
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error thrown in a worker: same name, message, stack and data. */
export function deserializeError(data: SerializedError): Error {
  if ("notError" in data && data.notError !== undefined) {
    const error = new Error(`A worker task threw a non-Error value: ${data.message}`);
    (error as Error & { value?: unknown }).value = data.notError;
    return error;
  }
  let error: Error;
  if (data.name === "TaskNotFoundError") {
    // taskio's own error, raised by the worker's runner: rebuild the real class for `instanceof`.
    const props = data.props ?? {};
    error = new TaskNotFoundError(data.message, { moduleUrl: String(props["moduleUrl"]), taskName: String(props["taskName"]) });
  } else {
    const Ctor = BUILTIN[data.name] ?? Error;
    error = new Ctor(data.message);
  }
  if (error.name !== data.name) {
    Object.defineProperty(error, "name", { value: data.name, configurable: true, writable: true, enumerable: false });
  }
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.props !== undefined) Object.assign(error, data.props);
  const cause = data.cause;
  if (cause !== undefined) {
    const value = "value" in cause ? cause.value : deserializeError(cause);
    Object.defineProperty(error, "cause", { value, configurable: true, writable: true, enumerable: false });
  }
  return error;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function cloneable(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === "function" || type === "symbol") return false;
  if (type !== "object") return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

// ----- transfer lists -----------------------------------------------------------------------------

const kTransfers = Symbol.for("taskio.executor.transfers");
type TransferMap = WeakMap<object, readonly TransferListItem[]>;
const holder = globalThis as { [kTransfers]?: TransferMap };
/** Shared through `globalThis` so duplicate copies of taskio in one thread agree. */
const transfers: TransferMap = (holder[kTransfers] ??= new WeakMap());

/** Marks `value` to be sent with `list` moved, not copied. @internal */
export function markTransfer(value: object, list: readonly TransferListItem[]): void {
  transfers.set(value, list);
}

/** Collects the transfer lists of marked values among `values` (top level only). */
export function transferListOf(values: readonly unknown[]): TransferListItem[] | undefined {
  let list: TransferListItem[] | undefined;
  for (const value of values) {
    if (typeof value !== "object" || value === null) continue;
    const marked = transfers.get(value);
    if (marked !== undefined) {
      transfers.delete(value);
      (list ??= []).push(...marked);
    }
  }
  return list;
}
