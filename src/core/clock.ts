/**
 * Time for taskio: every sleep, deadline and timeout reads its time and sets its timers through
 * a {@link Clock}, so tests can swap in a virtual clock (`MockClock` from `taskio/testing`).
 *
 * @module
 */

/** An opaque timer handle returned by {@link Clock.setTimer}. */
export type TimerHandle = object;

/**
 * A source of time and timers. The real clock uses `performance.now()` and `setTimeout`;
 * `MockClock` from `taskio/testing` is virtual.
 */
export interface Clock {
  /** The current time in milliseconds, on a monotonic scale (not the Unix epoch). */
  now(): number;
  /**
   * Calls `callback` once, `ms` milliseconds from now. `Infinity` means never (no timer is set).
   * Delays beyond Node's 2^31-1 ms limit are honoured (the real clock chains its timers).
   */
  setTimer(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** Node's setTimeout turns any delay above this into 1 ms; longer delays are chained. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

class RealTimer {
  timeout: ReturnType<typeof setTimeout> | undefined = undefined;
  constructor(
    readonly callback: () => void,
    readonly deadline: number,
  ) {}
}

const NEVER: TimerHandle = Object.freeze({});

class ImmediateTimer {
  constructor(readonly immediate: ReturnType<typeof setImmediate>) {}
}

function armReal(timer: RealTimer): void {
  const left = timer.deadline - performance.now();
  if (left > MAX_TIMER_DELAY) {
    timer.timeout = setTimeout(armReal, MAX_TIMER_DELAY, timer);
  } else {
    timer.timeout = setTimeout(timer.callback, left > 0 ? left : 0);
  }
}

/** The wall clock: `performance.now()` and Node's timers, with delays beyond 24.8 days chained. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, ms) {
    if (ms === Infinity) return NEVER;
    // A zero delay yields one turn of the event loop (asyncio's sleep(0)), not setTimeout's 1 ms.
    if (ms <= 0) return new ImmediateTimer(setImmediate(callback));
    if (ms <= MAX_TIMER_DELAY) {
      // The common case allocates nothing but the Node timer itself.
      return setTimeout(callback, ms);
    }
    const timer = new RealTimer(callback, performance.now() + ms);
    armReal(timer);
    return timer;
  },
  clearTimer(handle) {
    if (handle === NEVER) return;
    if (handle instanceof ImmediateTimer) {
      clearImmediate(handle.immediate);
      return;
    }
    if (handle instanceof RealTimer) {
      clearTimeout(handle.timeout);
      return;
    }
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Checks a duration argument: a finite non-negative number of milliseconds, or `Infinity`.
 * @internal
 */
export function validateDelay(ms: unknown, name: string): number {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(
      `Expected '${name}' to be a non-negative number of milliseconds or Infinity: received ${describe(ms)}`,
    );
  }
  return ms;
}

/** @internal */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value)})`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- primitives only here
  return `${String(value)} (${typeof value})`;
}
