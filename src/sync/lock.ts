/**
 * @module
 */

import { InvalidStateError } from "../errors.js";
import { checkpoint, suspend, type Suspension } from "../core/suspend.js";
import { inspectSymbol, makePermit, signalOf, type Permit, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** A frozen snapshot of a {@link Lock}'s state. */
export interface LockStatistics {
  /** Whether the lock is held. */
  readonly locked: boolean;
  /** Tasks waiting in `acquire()`. */
  readonly waiters: number;
}

/**
 * A mutual-exclusion lock for tasks. asyncio: `asyncio.Lock`.
 *
 * `acquire()` returns a {@link Permit}, so `using _ = await lock.acquire()` plays the part of
 * `async with lock:`. Waiters are served in FIFO order and a released lock is handed straight to
 * the first waiter (no barging); a waiter cancelled in the tick it was woken passes the lock on,
 * so the lock is never lost. A free lock is taken without allocating a promise. Like asyncio's
 * Lock it has no owner: any code may release it, but releasing an unlocked lock throws.
 *
 * @example Guarding a read-modify-write
 * ```ts
 * const lock = new Lock();
 * async function increment() {
 *   using _held = await lock.acquire();
 *   const value = await db.read("counter");
 *   await db.write("counter", value + 1);
 * }
 * ```
 */
export class Lock {
  #locked = false;
  #waiters = new WaiterQueue<Permit>();
  #permit: Permit = makePermit(() => this.release());
  #ready: Promise<Permit> = Promise.resolve(this.#permit);
  #onAbandon = (): void => this.#waiters.abandoned();
  #label = (): string => `${this.toString()}.acquire()`;

  /**
   * Takes the lock, waiting in line while it is held.
   * @param options `signal` to give up waiting.
   * @returns A {@link Permit}: dispose it (or call `release()`) to release the lock.
   * @throws {CancelledError} when the task is cancelled while waiting (the lock is not taken).
   */
  acquire(options?: WaitOptions): Promise<Permit> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (!this.#locked) {
        checkpoint(signal);
        this.#locked = true;
        return this.#ready;
      }
      const suspension: Suspension<Permit> = suspend(this.#label, this.#onAbandon, signal);
      this.#waiters.push(suspension);
      return suspension.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Takes the lock if it is free, without waiting. @returns whether it was taken. */
  tryAcquire(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  }

  /**
   * Releases the lock: hands it to the first waiter, if any.
   * @throws {InvalidStateError} when the lock is not held.
   */
  release(): void {
    if (!this.#locked) {
      throw new InvalidStateError("Lock is not acquired: release() called without a matching acquire()");
    }
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      if (waiter.resume(this.#permit)) return;
    }
    this.#locked = false;
  }

  /** True while the lock is held. */
  locked(): boolean {
    return this.#locked;
  }

  /** A frozen snapshot: held or not, and the waiting tasks. */
  statistics(): LockStatistics {
    return Object.freeze({ locked: this.#locked, waiters: this.#waiters.size });
  }

  /** `<Lock locked waiters=2>` or `<Lock unlocked>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Lock ${this.#locked ? "locked" : "unlocked"}${waiters > 0 ? ` waiters=${waiters}` : ""}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
