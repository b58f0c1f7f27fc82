/**
 * @module
 */

import { InvalidStateError } from "../errors.js";
import { describe } from "../core/clock.js";
import { checkpoint, suspend, type Suspension } from "../core/suspend.js";
import { inspectSymbol, makePermit, signalOf, type Permit, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** A frozen snapshot of a {@link Semaphore}'s state (trio's `statistics()`). */
export interface SemaphoreStatistics {
  /** Permits free right now. */
  readonly value: number;
  /** Tasks waiting in `acquire()`. */
  readonly waiters: number;
}

/**
 * A counter of permits: `acquire()` takes one (waiting while none is free), `release()` gives
 * one back. asyncio: `asyncio.Semaphore`.
 *
 * - `acquire()` returns a {@link Permit} (a `Disposable`), so `using _ = await sem.acquire()`
 *   releases at the end of the block, as `async with semaphore:` does.
 * - Fair: waiters are served first come, first served. A released permit is handed straight to
 *   the first waiter, so a newcomer never overtakes a waiting task (asyncio lets it barge).
 * - Cancellation-safe: cancelling a waiting task (or aborting its `signal`) removes it from the
 *   queue; a waiter cancelled in the very tick it was handed a permit passes the permit on, so
 *   no permit is ever lost (cpython#90155) or duplicated.
 * - A free permit is taken without allocating a promise (the same resolved promise is returned).
 * - Like asyncio, a plain `Semaphore` lets `release()` raise the value above its initial value;
 *   {@link BoundedSemaphore} refuses that.
 *
 * @example At most three downloads at a time (seed section 10)
 * ```ts
 * const semaphore = new Semaphore(3);
 * async function limitedFetch(url: string) {
 *   using _permit = await semaphore.acquire();
 *   return fetchStatus(url);
 * }
 * const results = await gather(...urls.map((u) => () => limitedFetch(u)));
 * ```
 */
export class Semaphore {
  #value: number;
  #waiters = new WaiterQueue<Permit>();
  #permit: Permit;
  #ready: Promise<Permit>;
  #onAbandon = (): void => this.#waiters.abandoned();
  #label = (): string => `${this.toString()}.acquire()`;

  /**
   * @param value The number of permits, a non-negative integer. @default 1
   * @throws {RangeError} when `value` is not a non-negative integer.
   */
  constructor(value = 1) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`Expected 'value' to be a non-negative integer: received ${describe(value)}`);
    }
    this.#value = value;
    this.#permit = makePermit(() => this.release());
    this.#ready = Promise.resolve(this.#permit);
  }

  /**
   * Takes a permit, waiting in line while none is free.
   *
   * @param options `signal` to give up waiting.
   * @returns A {@link Permit}: dispose it (or call `release()`) to give the permit back.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   */
  acquire(options?: WaitOptions): Promise<Permit> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (this.#value > 0) {
        checkpoint(signal);
        this.#value--;
        return this.#ready;
      }
      const suspension: Suspension<Permit> = suspend(this.#label, this.#onAbandon, signal);
      this.#waiters.push(suspension);
      return suspension.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Takes a permit if one is free, without waiting. trio: `acquire_nowait` (which throws instead).
   * @returns `true` if a permit was taken (release it later), `false` otherwise.
   */
  tryAcquire(): boolean {
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    return false;
  }

  /** Gives a permit back: to the first waiter in line if there is one. */
  release(): void {
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      if (waiter.resume(this.#permit)) return;
    }
    this.#value++;
  }

  /** True when no permit is free (`acquire()` would wait). */
  locked(): boolean {
    return this.#value === 0;
  }

  /** Permits free right now. */
  get value(): number {
    return this.#value;
  }

  /** A frozen snapshot: free permits and waiting tasks. */
  statistics(): SemaphoreStatistics {
    return Object.freeze({ value: this.#value, waiters: this.#waiters.size });
  }

  /** @internal For subclasses: the number of waiting tasks. */
  protected get _waiting(): number {
    return this.#waiters.size;
  }

  /** `<Semaphore value=0 waiters=3>`. */
  toString(): string {
    return `<${this.constructor.name} value=${this.#value} waiters=${this.#waiters.size}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/**
 * A {@link Semaphore} that refuses to be released more often than it was acquired: `release()`
 * beyond the initial value throws. asyncio: `asyncio.BoundedSemaphore` (which raises
 * `ValueError`).
 *
 * @example Catching a double release
 * ```ts
 * const sem = new BoundedSemaphore(1);
 * sem.release(); // throws InvalidStateError: nothing was acquired
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  /** @param value The number of permits, and the most there can ever be. @default 1 */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /**
   * Gives a permit back.
   * @throws {InvalidStateError} when every permit is already free (released too many times).
   */
  override release(): void {
    if (this.value >= this.#bound && this._waiting === 0) {
      throw new InvalidStateError(
        `BoundedSemaphore released too many times: all ${this.#bound} permit(s) are already free`,
      );
    }
    super.release();
  }
}
