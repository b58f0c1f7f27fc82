/**
 * What `acquire()` hands back, and the options every waiting call of `sync/` takes.
 *
 * @module
 */

import { validateSignal } from "../core/suspend.js";

/** Options of every waiting call (`acquire`, `wait`, `get`, `put`, `join`). */
export interface WaitOptions {
  /** Aborting it ends the wait with the signal's reason (nothing is taken). */
  signal?: AbortSignal;
}

/**
 * A held lock or semaphore permit. Disposing it releases it, so `using _ = await sem.acquire()`
 * releases at the end of the block whatever happens in it.
 *
 * Each `release()` or dispose releases once, exactly like calling the primitive's `release()`:
 * the permit object is shared by every acquisition of its primitive (that is how a free
 * acquisition allocates nothing), so do not keep it to release it again later.
 */
export interface Permit extends Disposable {
  /** Releases the lock or permit (the same as the primitive's `release()`). */
  release(): void;
}

/** @internal */
export function makePermit(release: () => void): Permit {
  return Object.freeze({ release, [Symbol.dispose]: release });
}

/** @internal Validates `{ signal }`, cheaply when no options were given. */
export function signalOf(options: WaitOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
  }
  return validateSignal(options.signal);
}

/** @internal The key Node's `util.inspect` looks for. */
export const inspectSymbol: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;
