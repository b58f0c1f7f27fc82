import { CancelledError } from "../errors.js";
import { describe, realClock, validateDelay, type Clock, type TimerHandle } from "./clock.js";
import { validateSignal } from "./suspend.js";
import { als, Waiter, type Task } from "./task.js";

/** Options for {@link sleep}. */
export interface SleepOptions {
  /** Aborting it ends the sleep early with the signal's reason (the timer is cleared). */
  signal?: AbortSignal;
}

class SleepWaiter extends Waiter {
  timer: TimerHandle | undefined = undefined;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  signal: AbortSignal | undefined = undefined;
  constructor(
    readonly clock: Clock,
    readonly ms: number,
  ) {
    super();
  }
  fire = (): void => {
    this.timer = undefined;
    this.leave();
    if (this.signal !== undefined) this.signal.removeEventListener("abort", this);
    this.resolve();
  };
  onCancel(error: CancelledError): void {
    this.stop(error);
  }
  handleEvent(): void {
    this.leave();
    this.stop(this.signal?.reason);
  }
  stop(error: unknown): void {
    if (this.timer === undefined) return;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.signal !== undefined) this.signal.removeEventListener("abort", this);
    this.reject(error);
  }
  describe(): string {
    return `sleep(${this.ms} ms)`;
  }
}

/**
 * Waits `ms` milliseconds. asyncio: `asyncio.sleep()` (which takes seconds).
 *
 * Inside a task the sleep is cancellable: cancelling the task clears the timer at once and
 * rejects with `CancelledError`. `sleep(0)` yields one turn of the event loop. Delays beyond
 * Node's 24.8-day timer limit are honoured, and `Infinity` sleeps until cancelled. Under
 * `run(main, { clock: new MockClock() })` the time is virtual.
 *
 * @param ms Milliseconds, a non-negative number or `Infinity`.
 * @throws {RangeError} when `ms` is negative or not a number.
 * @throws {CancelledError} when the task is cancelled during the sleep.
 *
 * @example Sleeping in a task
 * ```ts
 * await run(async () => {
 *   await sleep(500);
 *   console.log("half a second later");
 * });
 * ```
 */
export function sleep(ms: number, options?: SleepOptions): Promise<void> {
  let signal: AbortSignal | undefined;
  try {
    validateDelay(ms, "ms");
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`Expected 'options' to be an object such as { signal }: received ${describe(options)}`);
      }
      signal = validateSignal(options.signal);
    }
  } catch (error) {
    // As waitFor, timeout and moveOnAfter: bad arguments reject, they do not throw.
    return Promise.reject(error);
  }
  const task: Task<unknown> | undefined = als.getStore();
  const run = task?._run;
  // sleep(0) is a checkpoint that yields one turn of the event loop, even under a virtual clock
  // (as trio's and asyncio's sleep(0)): it must not wait for a MockClock to be advanced.
  const clock = run === undefined || ms === 0 ? realClock : run.clock;
  if (task === undefined && signal === undefined) {
    if (ms === Infinity) return new Promise<void>(() => {});
    return new Promise<void>((resolve) => {
      clock.setTimer(resolve, ms);
    });
  }
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  const waiter = new SleepWaiter(clock, ms);
  try {
    task?._enter(waiter);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<void>((resolve, reject) => {
    waiter.resolve = resolve;
    waiter.reject = reject;
    if (signal !== undefined) {
      waiter.signal = signal;
      signal.addEventListener("abort", waiter);
    }
    waiter.timer = clock.setTimer(waiter.fire, ms);
  });
}
