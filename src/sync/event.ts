/**
 * @module
 */

import { checkpoint, suspend, type Suspension } from "../core/suspend.js";
import { inspectSymbol, signalOf, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** A frozen snapshot of an {@link Event}'s state. */
export interface EventStatistics {
  /** Whether the flag is set. */
  readonly set: boolean;
  /** Tasks waiting in `wait()`. */
  readonly waiters: number;
}

const TRUE: Promise<true> = Promise.resolve(true);

/**
 * A flag that tasks can wait for. asyncio: `asyncio.Event`.
 *
 * `set()` wakes every waiting task; while set, `wait()` returns at once; `clear()` resets it.
 *
 * @example Waiting until a server is ready
 * ```ts
 * const ready = new Event();
 * createTask(async () => { await startListening(); ready.set(); });
 * await ready.wait();
 * ```
 */
export class Event {
  #set = false;
  #waiters = new WaiterQueue<true>();
  #onAbandon = (): void => this.#waiters.abandoned();
  #label = (): string => `${this.toString()}.wait()`;

  /**
   * Waits until the flag is set (returns at once if it is).
   * @param options `signal` to give up waiting.
   * @returns `true`, as asyncio does.
   * @throws {CancelledError} when the task is cancelled while waiting.
   */
  wait(options?: WaitOptions): Promise<true> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (this.#set) {
        checkpoint(signal);
        return TRUE;
      }
      const suspension: Suspension<true> = suspend(this.#label, this.#onAbandon, signal);
      this.#waiters.push(suspension);
      return suspension.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sets the flag and wakes every waiting task. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    for (const waiter of this.#waiters.drain()) waiter.resume(true);
  }

  /** Clears the flag: later `wait()` calls wait again. */
  clear(): void {
    this.#set = false;
  }

  /** True while the flag is set. asyncio: `is_set()`. */
  isSet(): boolean {
    return this.#set;
  }

  /** A frozen snapshot: set or not, and the waiting tasks. */
  statistics(): EventStatistics {
    return Object.freeze({ set: this.#set, waiters: this.#waiters.size });
  }

  /** `<Event set>` or `<Event unset waiters=2>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Event ${this.#set ? "set" : "unset"}${waiters > 0 ? ` waiters=${waiters}` : ""}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
