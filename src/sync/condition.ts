/**
 * @module
 */

import { InvalidStateError } from "../errors.js";
import { describe } from "../core/clock.js";
import { suspend, type Suspension } from "../core/suspend.js";
import { Lock } from "./lock.js";
import { inspectSymbol, signalOf, type Permit, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** A frozen snapshot of a {@link Condition}'s state. */
export interface ConditionStatistics {
  /** Whether the underlying lock is held. */
  readonly locked: boolean;
  /** Tasks waiting in `wait()` for a notification. */
  readonly waiters: number;
}

/**
 * A condition variable: tasks holding its lock wait until another task notifies them.
 * asyncio: `asyncio.Condition`.
 *
 * `wait()` releases the lock, waits for `notify()`/`notifyAll()`, and takes the lock again before
 * returning, even when it is cancelled (the cancellation is re-raised once the lock is held
 * again, as asyncio does), so the code after it always runs with the lock held. A waiter
 * cancelled in the tick it was notified passes the notification on to the next waiter.
 *
 * @example A bounded buffer
 * ```ts
 * const cond = new Condition();
 * const items: number[] = [];
 * async function consume() {
 *   using _held = await cond.acquire();
 *   await cond.waitFor(() => items.length > 0);
 *   return items.shift();
 * }
 * async function produce(item: number) {
 *   using _held = await cond.acquire();
 *   items.push(item);
 *   cond.notify();
 * }
 * ```
 */
export class Condition {
  readonly #lock: Lock;
  #waiters = new WaiterQueue<true>();
  #onAbandon = (): void => this.#waiters.abandoned();
  #label = (): string => `${this.toString()}.wait()`;

  /**
   * @param lock The lock to use; a new {@link Lock} by default. Share one lock between
   *   conditions to wait on several predicates of the same state.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Expected 'lock' to be a Lock: received ${describe(lock)}`);
    }
    this.#lock = lock ?? new Lock();
  }

  /** Takes the underlying lock. See {@link Lock.acquire}. */
  acquire(options?: WaitOptions): Promise<Permit> {
    return this.#lock.acquire(options);
  }

  /** Releases the underlying lock. @throws {InvalidStateError} when it is not held. */
  release(): void {
    this.#lock.release();
  }

  /** True while the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Releases the lock, waits to be notified, then takes the lock again.
   *
   * @param options `signal` to stop waiting for the notification (the lock is still re-taken
   *   before the signal's reason is thrown).
   * @returns `true`.
   * @throws {InvalidStateError} when the lock is not held.
   * @throws {CancelledError} when the task is cancelled (after the lock is held again).
   */
  async wait(options?: WaitOptions): Promise<true> {
    const signal = signalOf(options);
    if (!this.#lock.locked()) {
      throw new InvalidStateError("Condition.wait() needs the lock: acquire() it first");
    }
    const suspension: Suspension<true> = suspend(this.#label, this.#onAbandon, signal);
    this.#waiters.push(suspension);
    this.#lock.release();
    let failed = false;
    let failure: unknown = undefined;
    let notified = false;
    try {
      await suspension.promise;
      notified = true;
    } catch (error) {
      failed = true;
      failure = error;
    }
    // The lock must be held again whatever happened: retry through further cancellations and
    // re-raise the most recent one, as asyncio does.
    for (;;) {
      try {
        await this.#lock.acquire();
        break;
      } catch (error) {
        failed = true;
        failure = error;
      }
    }
    if (failed) {
      // Notified, then cancelled before taking the lock back: this task will not act on the
      // notification, so hand it to the next waiter (asyncio does the same since 3.13).
      if (notified) this.#wake(1);
      throw failure;
    }
    return true;
  }

  #wake(n: number): void {
    let woken = 0;
    while (woken < n) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) break;
      if (waiter.resume(true)) woken++;
    }
  }

  /**
   * Waits until `predicate()` is truthy, re-checking it after each notification.
   * @returns The predicate's last (truthy) value.
   * @throws as {@link Condition.wait}.
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== "function") {
      throw new TypeError(`Expected 'predicate' to be a function: received ${describe(predicate)}`);
    }
    let result = predicate();
    while (!result) {
      await this.wait(options);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiting tasks (the first in line).
   * @throws {InvalidStateError} when the lock is not held.
   */
  notify(n = 1): void {
    if (!this.#lock.locked()) {
      throw new InvalidStateError("Condition.notify() needs the lock: acquire() it first");
    }
    if (typeof n !== "number" || Number.isNaN(n) || n < 0) {
      throw new RangeError(`Expected 'n' to be a non-negative number: received ${describe(n)}`);
    }
    this.#wake(n);
  }

  /** Wakes every waiting task. @throws {InvalidStateError} when the lock is not held. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** A frozen snapshot: the lock's state and the waiting tasks. */
  statistics(): ConditionStatistics {
    return Object.freeze({ locked: this.#lock.locked(), waiters: this.#waiters.size });
  }

  /** `<Condition locked waiters=1>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Condition ${this.#lock.locked() ? "locked" : "unlocked"}${waiters > 0 ? ` waiters=${waiters}` : ""}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
