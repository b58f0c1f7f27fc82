/**
 * @module
 */

import { BrokenBarrierError } from "../errors.js";
import { describe } from "../core/clock.js";
import { checkpoint, suspend, type Suspension } from "../core/suspend.js";
import { inspectSymbol, signalOf, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** A frozen snapshot of a {@link Barrier}'s state. */
export interface BarrierStatistics {
  /** The number of tasks that must call `wait()` to pass. */
  readonly parties: number;
  /** Tasks waiting at the barrier now. */
  readonly waiting: number;
  /** Whether the barrier is broken. */
  readonly broken: boolean;
}

/**
 * A meeting point: `wait()` returns once `parties` tasks are waiting, then the barrier is ready
 * for the next round. asyncio: `asyncio.Barrier`.
 *
 * Each `wait()` returns the task's arrival index in the round, from 0 to `parties - 1` (the task
 * that completes the round gets `parties - 1`). A task cancelled while waiting leaves the round
 * (the barrier then needs one more arrival), as in asyncio. `abort()` breaks the barrier: every
 * waiting and future `wait()` throws {@link BrokenBarrierError} until `reset()`.
 *
 * @example Three workers start phase two together
 * ```ts
 * const barrier = new Barrier(3);
 * async function worker() {
 *   await phaseOne();
 *   await barrier.wait();
 *   await phaseTwo();
 * }
 * ```
 */
export class Barrier {
  readonly #parties: number;
  #waiters = new WaiterQueue<number>();
  #broken = false;
  #onAbandon = (): void => this.#waiters.abandoned();
  #label = (): string => `${this.toString()}.wait()`;

  /**
   * @param parties How many tasks must wait before all pass: a positive integer.
   * @throws {RangeError} when `parties` is not a positive integer.
   */
  constructor(parties: number) {
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Expected 'parties' to be a positive integer: received ${describe(parties)}`);
    }
    this.#parties = parties;
  }

  /**
   * Waits until `parties` tasks wait.
   * @param options `signal` to leave the round.
   * @returns The arrival index in the round, `0` to `parties - 1`.
   * @throws {BrokenBarrierError} when the barrier is (or becomes) broken or is reset meanwhile.
   * @throws {CancelledError} when the task is cancelled while waiting (it leaves the round).
   */
  wait(options?: WaitOptions): Promise<number> {
    try {
      const signal = signalOf(options);
      if (this.#broken) throw new BrokenBarrierError();
      if (this.#waiters.size + 1 >= this.#parties) {
        checkpoint(signal);
        let index = 0;
        for (const waiter of this.#waiters.drain()) waiter.resume(index++);
        return Promise.resolve(index);
      }
      const suspension: Suspension<number> = suspend(this.#label, this.#onAbandon, signal);
      this.#waiters.push(suspension);
      return suspension.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Breaks the barrier: waiting and future `wait()` calls throw {@link BrokenBarrierError}. */
  abort(): void {
    this.#broken = true;
    this.#failAll();
  }

  /** Returns the barrier to its empty, unbroken state; tasks waiting now get {@link BrokenBarrierError}. */
  reset(): void {
    this.#failAll();
    this.#broken = false;
  }

  #failAll(): void {
    for (const waiter of this.#waiters.drain()) {
      waiter.fail(new BrokenBarrierError("The barrier was broken or reset while this task waited at it"));
    }
  }

  /** The number of tasks needed to pass. */
  get parties(): number {
    return this.#parties;
  }

  /** Tasks waiting now. asyncio: `n_waiting`. */
  get nWaiting(): number {
    return this.#waiters.size;
  }

  /** True once `abort()` broke the barrier (until `reset()`). */
  get broken(): boolean {
    return this.#broken;
  }

  /** A frozen snapshot. */
  statistics(): BarrierStatistics {
    return Object.freeze({ parties: this.#parties, waiting: this.#waiters.size, broken: this.#broken });
  }

  /** `<Barrier waiting=1/3>` or `<Barrier broken waiting=0/3>`. */
  toString(): string {
    return `<Barrier ${this.#broken ? "broken " : ""}waiting=${this.#waiters.size}/${this.#parties}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
