import { CancelledError, TimeoutError } from "../errors.js";
import { realClock, validateDelay, type Clock, type TimerHandle } from "./clock.js";
import { als, FULFILLED, CANCELLED, Task, Waiter, type TaskObserver } from "./task.js";

const RAISE = 0;
const MOVE_ON = 1;
type OnExpiry = typeof RAISE | typeof MOVE_ON;

/**
 * One deadline around one piece of work. When the work is a task (a function given to
 * `waitFor`/`timeout`/`moveOnAfter` runs as one), expiry cancels it and the outcome is decided
 * only once it has finished, so its `finally` blocks have run, and a result that arrives in the
 * same tick as the deadline is kept, never lost (the trap asyncio fixed in 3.12, cpython#86296).
 * The caller's own cancellation is kept apart from the deadline, so a `CancelledError` meant for
 * the caller is never turned into a `TimeoutError`, and an inner scope's `TimeoutError` passes
 * through an outer scope unchanged.
 */
class Deadline<T> extends Waiter implements TaskObserver {
  timer: TimerHandle | undefined = undefined;
  expired = false;
  cancelledWith: CancelledError | undefined = undefined;
  settled = false;
  task: Task<T> | undefined = undefined;
  resolve!: (value: T | undefined) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly clock: Clock,
    readonly ms: number,
    readonly onExpiry: OnExpiry,
    readonly what: string,
  ) {
    super();
  }

  expire = (): void => {
    this.timer = undefined;
    if (this.settled) return;
    this.expired = true;
    const task = this.task;
    if (task !== undefined) {
      task._cancelOnce(`${this.what} timed out after ${this.ms} ms`);
    } else {
      this.finish(false, undefined);
    }
  };

  /** The work settled. */
  _taskDone(task: Task<unknown>): void {
    this.finish(task._state === FULFILLED, task._value, task._state === CANCELLED);
  }

  finish(ok: boolean, value: unknown, cancelled = false): void {
    if (this.settled) return;
    this.settled = true;
    this.leave();
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (this.cancelledWith !== undefined) {
      this.reject(this.cancelledWith);
    } else if (ok) {
      this.resolve(value as T);
    } else if (this.expired && (cancelled || this.task === undefined)) {
      if (this.onExpiry === MOVE_ON) this.resolve(undefined);
      else {
        this.reject(
          new TimeoutError(`${this.what} timed out after ${this.ms} ms`, {
            timeout: this.ms,
            cause: value,
          }),
        );
      }
    } else {
      this.reject(value);
    }
  }

  onCancel(error: CancelledError): void {
    this.cancelledWith = error;
    const task = this.task;
    if (task === undefined) {
      this.finish(false, error);
    } else {
      task._cancelOnce();
    }
  }

  describe(): string {
    return `${this.what} (deadline ${this.ms} ms)`;
  }
}

function withDeadline<T>(
  work: PromiseLike<T> | (() => T | PromiseLike<T>),
  ms: number,
  onExpiry: OnExpiry,
  what: string,
): Promise<T | undefined> {
  const current = als.getStore();
  const run = current?._run;
  const clock = run === undefined ? realClock : run.clock;
  const deadline = new Deadline<T>(clock, ms, onExpiry, what);
  return new Promise<T | undefined>((resolve, reject) => {
    deadline.resolve = resolve;
    deadline.reject = reject;
    if (current !== undefined) {
      try {
        current._enter(deadline);
      } catch (error) {
        reject(error);
        return;
      }
    }
    if (typeof work === "function") {
      deadline.task = new Task(work, undefined, current, undefined, 0);
    } else if (work instanceof Task) {
      deadline.task = work as Task<T>;
    }
    if (deadline.task !== undefined) {
      if (!deadline.task.done() && ms !== Infinity) deadline.timer = clock.setTimer(deadline.expire, ms);
      deadline.task._observe(deadline, 0);
    } else {
      if (ms !== Infinity) deadline.timer = clock.setTimer(deadline.expire, ms);
      (work as PromiseLike<T>).then(
        (value) => deadline.finish(true, value),
        (error: unknown) => deadline.finish(false, error),
      );
    }
  });
}

function checkWork(work: unknown, name: string): void {
  if (typeof work === "function") return;
  if (work !== null && typeof work === "object" && typeof (work as PromiseLike<unknown>).then === "function") return;
  throw new TypeError(`Expected '${name}' to be a promise or a function returning one: received ${typeof work}`);
}

/**
 * Waits for `work` for at most `ms` milliseconds. asyncio: `asyncio.wait_for()`.
 *
 * When `work` is a function (or a task), it runs as a child task that is cancelled on expiry;
 * `waitFor` rejects with {@link TimeoutError} only after that task has finished, so its `finally`
 * blocks have run. A result that arrives in the same tick as the deadline wins. A plain promise
 * cannot be cancelled: on expiry `waitFor` rejects and the promise runs on. Cancelling the caller
 * cancels the work and rejects with `CancelledError`, never `TimeoutError`.
 *
 * @param work A promise, a task, or a function returning a promise.
 * @param ms The time limit in milliseconds (`Infinity` for none).
 * @throws {TimeoutError} when the time limit passed first.
 *
 * @example The seed's timeout
 * ```ts
 * try {
 *   const result = await waitFor(() => slowTask(), 2000);
 *   console.log("Result:", result);
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log("Task timed out");
 *   else throw error;
 * }
 * ```
 */
export function waitFor<T>(work: PromiseLike<T> | (() => T | PromiseLike<T>), ms: number): Promise<T> {
  try {
    checkWork(work, "work");
    validateDelay(ms, "ms");
  } catch (error) {
    return Promise.reject(error);
  }
  return withDeadline(work, ms, RAISE, "waitFor()") as Promise<T>;
}

/**
 * Runs `fn` as a scope with a time limit: if it has not finished after `ms` milliseconds it is
 * cancelled and `timeout` rejects with {@link TimeoutError}. asyncio: `async with asyncio.timeout()`.
 *
 * Scopes nest: the earliest deadline fires first, and the `TimeoutError` of an inner scope passes
 * through an outer one unchanged (`error.timeout` says which limit it was).
 *
 * @throws {TimeoutError} when the time limit passed first.
 *
 * @example A time limit for a block of work
 * ```ts
 * const page = await timeout(5000, async () => {
 *   const response = await session.get(url);
 *   return await response.text();
 * });
 * ```
 */
export function timeout<T>(ms: number, fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    validateDelay(ms, "ms");
    if (typeof fn !== "function") throw new TypeError(`Expected 'fn' to be a function: received ${typeof fn}`);
  } catch (error) {
    return Promise.reject(error);
  }
  return withDeadline(fn, ms, RAISE, "timeout()") as Promise<T>;
}

/**
 * Runs `fn` as a scope with a time limit, and gives up quietly: on expiry `fn` is cancelled and
 * `moveOnAfter` resolves to `undefined`. trio: `move_on_after()`.
 *
 * @example Best effort within a budget
 * ```ts
 * const extra = await moveOnAfter(200, () => fetchOptionalDetails());
 * if (extra === undefined) console.log("skipped the details");
 * ```
 */
export function moveOnAfter<T>(ms: number, fn: () => T | PromiseLike<T>): Promise<T | undefined> {
  try {
    validateDelay(ms, "ms");
    if (typeof fn !== "function") throw new TypeError(`Expected 'fn' to be a function: received ${typeof fn}`);
  } catch (error) {
    return Promise.reject(error);
  }
  return withDeadline(fn, ms, MOVE_ON, "moveOnAfter()");
}
