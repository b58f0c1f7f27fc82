/**
 * The one way a taskio primitive waits: a {@link Suspension} is a pending promise linked to the
 * current task as a waiter, so that cancelling the task (or aborting a caller's `signal`) rejects
 * it with `CancelledError` and lets the primitive forget the waiter.
 *
 * A primitive (semaphore, queue, stream reader...) keeps suspensions in its own FIFO and wakes
 * one with {@link Suspension.resume}. `resume` reports whether the waiter was still there: a
 * suspension cancelled in the same tick returns `false`, and the primitive passes the wake-up
 * on to the next waiter (the trap of cpython#90155). A suspension that was resumed is never
 * rejected afterwards: its task gets the value, and the cancellation at its next await.
 *
 * @module
 */

import { CancelledError } from "../errors.js";
import { als, Waiter, type Task } from "./task.js";

/** Marks a suspension whose cancellation waits for its owner (see `deferCancellation`). */
const DEFER = Symbol("defer");

/** @internal */
export class Suspension<T> extends Waiter {
  /** The promise the awaiting code waits on. */
  readonly promise: Promise<T>;
  /** False once resumed, failed or cancelled. */
  pending = true;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #signal: AbortSignal | undefined = undefined;
  #onAbandon: ((suspension: Suspension<T>) => void) | undefined;
  #label: string | (() => string);
  /** Free for the primitive's own use (an item, a requested size...). */
  data: unknown = undefined;
  /** Next in a primitive's intrusive FIFO. */
  nextInQueue: Suspension<T> | undefined = undefined;
  /**
   * `undefined`: a cancellation rejects at once; `DEFER`: it waits (see deferCancellation); a
   * box: cancelled, the rejection with its reason is owed. One field, as every wait has one.
   */
  #deferred: typeof DEFER | { readonly reason: unknown } | undefined = undefined;

  constructor(label: string | (() => string), onAbandon: ((suspension: Suspension<T>) => void) | undefined) {
    super();
    this.#label = label;
    this.#onAbandon = onAbandon;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Makes a cancellation wait for the operation in flight: the waiter leaves its task at once
   * (`pending` turns false, so the owner's next step sees it), but the promise is rejected with
   * the cancellation only when the owner next calls {@link resume} or {@link fail}, after it has
   * released what the operation holds (an fd being opened, say). Use it only when that next call
   * is certain and near: an fs callback, not a peer that may never answer.
   */
  deferCancellation(): this {
    this.#deferred = DEFER;
    return this;
  }

  /** Wakes the waiter with `value`. Returns false if it had already been cancelled or settled. */
  resume(value: T): boolean {
    if (!this.pending) return this.#settleDeferred();
    this.pending = false;
    this.leave();
    this.#unlisten();
    this.#resolve(value);
    return true;
  }

  /** Fails the waiter with `error`. Returns false if it had already been cancelled or settled. */
  fail(error: unknown): boolean {
    if (!this.pending) return this.#settleDeferred();
    this.pending = false;
    this.leave();
    this.#unlisten();
    this.#reject(error);
    return true;
  }

  /** @internal Task cancellation. */
  onCancel(error: CancelledError): void {
    this.#abandon(error);
  }

  /** @internal The caller's AbortSignal fired. */
  handleEvent(): void {
    const signal = this.#signal;
    this.#abandon(signal?.reason ?? new CancelledError("The operation was aborted"));
  }

  #abandon(error: unknown): void {
    if (!this.pending) return;
    this.pending = false;
    this.leave();
    this.#unlisten();
    this.#onAbandon?.(this);
    if (this.#deferred === DEFER) {
      this.#deferred = { reason: error };
      return;
    }
    this.#reject(error);
  }

  /** A deferred cancellation is delivered by the owner's first resume/fail after it. */
  #settleDeferred(): false {
    const owed = this.#deferred;
    if (owed !== undefined && owed !== DEFER) {
      this.#deferred = undefined;
      this.#reject(owed.reason);
    }
    return false;
  }

  #unlisten(): void {
    const signal = this.#signal;
    if (signal !== undefined) {
      this.#signal = undefined;
      signal.removeEventListener("abort", this);
    }
  }

  /** @internal */
  _listen(signal: AbortSignal): void {
    this.#signal = signal;
    signal.addEventListener("abort", this);
  }

  describe(): string {
    const label = this.#label;
    return typeof label === "string" ? label : label();
  }
}

/**
 * Starts waiting: returns a {@link Suspension} linked to the current task (and to `signal`), or
 * throws at once when the task has a cancellation to deliver or `signal` is already aborted.
 *
 * @param label What is awaited, for `dumpTasks()`.
 * @param onAbandon Called when the wait is cancelled or aborted, to forget the waiter.
 * @internal
 */
export function suspend<T>(
  label: string | (() => string),
  onAbandon: ((suspension: Suspension<T>) => void) | undefined,
  signal: AbortSignal | undefined,
): Suspension<T> {
  if (signal !== undefined && signal.aborted) throw signal.reason;
  const task = als.getStore();
  const suspension = new Suspension<T>(label, onAbandon);
  if (task !== undefined) task._enter(suspension);
  if (signal !== undefined) suspension._listen(signal);
  return suspension;
}

/**
 * Raises the current task's pending cancellation, if any (and `signal`'s abort reason), without
 * waiting. A cheap "checkpoint" for fast paths that complete without suspending.
 * @internal
 */
export function checkpoint(signal?: AbortSignal): void {
  if (signal !== undefined && signal.aborted) throw signal.reason;
  const task: Task<unknown> | undefined = als.getStore();
  if (task !== undefined) task._checkpoint();
}

/** Validates an optional `signal` option. @internal */
export function validateSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected 'signal' to be an AbortSignal: received ${typeof signal}`);
  }
  return signal;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Tasks waiting for one condition and woken all together: a writer drained, a stream or a
 * server closed. `wait(ready)` is a cancellation point even when the condition already holds.
 * @internal
 */
export class WaiterSet {
  #waiters = new Set<Suspension<void>>();
  readonly #label: string | (() => string);
  readonly #forget = (abandoned: Suspension<void>): void => {
    this.#waiters.delete(abandoned);
  };

  /** @param label What the waiters wait on, for `dumpTasks()`. */
  constructor(label: string | (() => string)) {
    this.#label = label;
  }

  /** The number of tasks waiting. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves at once when `ready` (after a cancellation checkpoint), else when `wakeAll()` or
   * `failAll()` is called. Never throws: errors come as a rejected promise.
   */
  wait(ready: boolean, signal: unknown): Promise<void> {
    try {
      const checked = validateSignal(signal);
      if (ready) {
        checkpoint(checked);
        return RESOLVED;
      }
      const waiter = suspend<void>(this.#label, this.#forget, checked);
      this.#waiters.add(waiter);
      return waiter.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Wakes every waiting task. */
  wakeAll(): void {
    const waiters = this.#take();
    if (waiters !== undefined) for (const waiter of waiters) waiter.resume(undefined);
  }

  /** Fails every waiting task with `error`. */
  failAll(error: unknown): void {
    const waiters = this.#take();
    if (waiters !== undefined) for (const waiter of waiters) waiter.fail(error);
  }

  #take(): Set<Suspension<void>> | undefined {
    const waiters = this.#waiters;
    if (waiters.size === 0) return undefined;
    this.#waiters = new Set();
    return waiters;
  }
}
