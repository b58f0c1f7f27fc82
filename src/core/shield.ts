import { CancelledError } from "../errors.js";
import { als, FULFILLED, SHIELDED, Task, Waiter, type TaskObserver } from "./task.js";

class ShieldWaiter<T> extends Waiter implements TaskObserver {
  settled = false;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  task: Task<T> | undefined = undefined;

  _taskDone(task: Task<unknown>): void {
    if (task._state === FULFILLED) this.settle(true, task._value);
    else this.settle(false, task._value);
  }

  settle(ok: boolean, value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.leave();
    if (ok) this.resolve(value as T);
    else this.reject(value);
  }

  onCancel(error: CancelledError): void {
    if (this.settled) return;
    this.settled = true;
    const task = this.task;
    if (task !== undefined) {
      // Nobody will look at the shielded work's outcome through us any more: if it fails later
      // and nobody else retrieves the error, it must be reported, not silently dropped.
      task._unobserve(this);
      if (task._observer === undefined) task._retrieved = false;
    }
    this.reject(error);
  }

  describe(): string {
    return this.task === undefined ? "shield(promise)" : `shield(task '${this.task.name}')`;
  }
}

/**
 * Protects work from the caller's cancellation. asyncio: `asyncio.shield()`.
 *
 * When `work` is a function it runs as a task that cancelling the caller does not reach: the
 * caller's `await` rejects with `CancelledError` at once, and the work runs on to completion
 * (an error it raises then is reported through the exception handler, since nobody awaits it).
 * `run()` still cancels and awaits it when it ends, so nothing outlives its run.
 *
 * @example Finishing a write even when the caller is cancelled
 * ```ts
 * await shield(() => saveCheckpoint(state));
 * ```
 */
export function shield<T>(work: PromiseLike<T> | (() => T | PromiseLike<T>)): Promise<T> {
  const isFn = typeof work === "function";
  if (!isFn && (work === null || typeof work !== "object" || typeof work.then !== "function")) {
    return Promise.reject(
      new TypeError(`Expected 'work' to be a promise or a function returning one: received ${typeof work}`),
    );
  }
  const current = als.getStore();
  let task: Task<T> | undefined;
  if (isFn) {
    task = new Task(work, undefined, current, undefined, SHIELDED);
  } else if (work instanceof Task) {
    task = work as Task<T>;
  }
  if (current === undefined) {
    return task === undefined ? Promise.resolve(work as PromiseLike<T>) : task._outcome();
  }
  const waiter = new ShieldWaiter<T>();
  waiter.task = task;
  return new Promise<T>((resolve, reject) => {
    waiter.resolve = resolve;
    waiter.reject = reject;
    try {
      current._enter(waiter);
    } catch (error) {
      if (task !== undefined && task._observer === undefined) task._retrieved = false;
      reject(error);
      return;
    }
    if (task !== undefined) task._observe(waiter, 0);
    else {
      (work as PromiseLike<T>).then(
        (value) => waiter.settle(true, value),
        (error: unknown) => waiter.settle(false, error),
      );
    }
  });
}

/**
 * Races a promise that taskio does not control (a foreign library's) against the current task's
 * cancellation and an optional `signal`: cancelling the task rejects the `await` with
 * `CancelledError` at once. The foreign work itself cannot be stopped this way: hand it
 * `currentSignal()` when it takes a signal.
 *
 * @example Making a foreign await a cancellation point
 * ```ts
 * const rows = await cancellable(legacyDb.query(sql));
 * ```
 */
export function cancellable<T>(promise: PromiseLike<T>, options?: { signal?: AbortSignal }): Promise<T> {
  if (promise === null || typeof promise !== "object" || typeof promise.then !== "function") {
    return Promise.reject(new TypeError(`Expected 'promise' to be a promise: received ${typeof promise}`));
  }
  const current = als.getStore();
  const signal = options?.signal;
  if (current === undefined && signal === undefined) return Promise.resolve(promise);
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  const waiter = new CancellableWaiter<T>();
  return new Promise<T>((resolve, reject) => {
    waiter.resolve = resolve;
    waiter.reject = reject;
    try {
      current?._enter(waiter);
    } catch (error) {
      reject(error);
      return;
    }
    if (signal !== undefined) {
      waiter.signal = signal;
      signal.addEventListener("abort", waiter);
    }
    promise.then(
      (value) => waiter.settle(true, value),
      (error: unknown) => waiter.settle(false, error),
    );
  });
}

class CancellableWaiter<T> extends Waiter {
  settled = false;
  signal: AbortSignal | undefined = undefined;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  settle(ok: boolean, value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.leave();
    this.signal?.removeEventListener("abort", this);
    if (ok) this.resolve(value as T);
    else this.reject(value);
  }
  onCancel(error: CancelledError): void {
    this.settle(false, error);
  }
  handleEvent(): void {
    this.settle(false, this.signal?.reason);
  }
  describe(): string {
    return "cancellable(promise)";
  }
}
