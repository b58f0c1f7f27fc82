import type { TransferListItem } from "node:worker_threads";
import { markTransfer } from "./_internal/protocol.js";

/**
 * Marks an argument (or a task's result) to be sent with `transferList` moved rather than
 * copied: the buffers become unusable on the sending side and cost nothing to send, however large.
 * Only top-level arguments and results are looked at. Child processes cannot share memory, so a
 * {@link ProcessPoolExecutor} copies them anyway.
 *
 * asyncio has no counterpart (processes pickle everything); this is `postMessage`'s transfer list,
 * as Comlink's `transfer()` exposes it.
 *
 * @param value The object to send (an `ArrayBuffer`, a typed array, an object holding them).
 * @param transferList The `ArrayBuffer`s and `MessagePort`s inside `value` to move.
 * @returns `value` itself.
 * @throws {TypeError} When `value` is not an object or `transferList` not an array.
 *
 * @example Sending a large buffer to a thread without copying it
 * ```ts
 * const bytes = new Uint8Array(64 * 1024 * 1024);
 * const digest = await runInExecutor(pool, sha256, transfer(bytes, [bytes.buffer]));
 * ```
 */
export function transfer<T extends object>(value: T, transferList: readonly TransferListItem[]): T {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Expected 'value' to be an object: received ${value === null ? "null" : typeof value}`);
  }
  if (!Array.isArray(transferList)) {
    throw new TypeError(`Expected 'transferList' to be an array: received ${typeof transferList}`);
  }
  markTransfer(value, transferList);
  return value;
}
