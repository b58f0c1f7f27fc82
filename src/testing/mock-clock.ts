import type { Clock, TimerHandle } from "../core/clock.js";

class MockTimer {
  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly callback: () => void,
  ) {}
  cleared = false;
}

/** Options for {@link MockClock}. */
export interface MockClockOptions {
  /** The virtual time to start at, in milliseconds. @default 0 */
  start?: number;
  /**
   * Jump to the next deadline by itself whenever every task is waiting (nothing else is queued
   * on the event loop). trio: `MockClock(autojump_threshold=0)`. @default false
   */
  autojump?: boolean;
}

/**
 * Virtual time for tests: `run(main, { clock: new MockClock({ autojump: true }) })` makes every
 * `sleep`, `waitFor`, `timeout`, `moveOnAfter`, retry delay and the like use it. Tests then
 * assert exact virtual times and never depend on the machine's speed. trio: `trio.testing.MockClock`.
 *
 * Without `autojump`, time moves only when the test calls {@link MockClock.advance}. With it, the
 * clock leaps to the next deadline whenever the event loop has nothing else to do (checked with
 * `setImmediate`, after all promise callbacks have run). Real I/O still takes real time: while a
 * task waits on a real socket, an autojumping clock may run other tasks' timers ahead.
 *
 * @example A five-second timeout, tested in no time
 * ```ts
 * const clock = new MockClock({ autojump: true });
 * await run(async () => {
 *   await assert.rejects(waitFor(() => sleep(5000), 2000), TimeoutError);
 *   assert.equal(clock.now(), 2000);
 * }, { clock });
 * ```
 */
export class MockClock implements Clock {
  #now: number;
  #timers: MockTimer[] = [];
  #seq = 0;
  #autojump: boolean;
  #scheduled: ReturnType<typeof setImmediate> | undefined = undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(options: MockClockOptions = {}) {
    const start = options.start ?? 0;
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new RangeError(`Expected 'start' to be a finite number: received ${String(start)}`);
    }
    this.#now = start;
    this.#autojump = options.autojump ?? false;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Turns autojump on or off. */
  set autojump(value: boolean) {
    this.#autojump = value;
    if (value) this.#schedule();
  }

  get autojump(): boolean {
    return this.#autojump;
  }

  /** The number of timers waiting. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** The next deadline, or `undefined` when no timer is set. */
  nextDeadline(): number | undefined {
    return this.#timers[0]?.deadline;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer = new MockTimer(ms === Infinity ? Infinity : this.#now + Math.max(0, ms), this.#seq++, callback);
    if (timer.deadline === Infinity) return timer;
    this.#push(timer);
    this.#schedule();
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (!(handle instanceof MockTimer) || handle.cleared) return;
    handle.cleared = true;
    const index = this.#timers.indexOf(handle);
    if (index >= 0) this.#remove(index);
    if (this.#timers.length === 0) this.#release();
  }

  /**
   * Moves virtual time forward by `ms`, firing every timer that falls due, in deadline order.
   * Callbacks run synchronously; awaits they resume continue after the current microtask.
   */
  advance(ms: number): void {
    if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
      throw new RangeError(`Expected 'ms' to be a non-negative number: received ${String(ms)}`);
    }
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.deadline > target) break;
      this.#remove(0);
      this.#now = Math.max(this.#now, next.deadline);
      next.cleared = true;
      next.callback();
    }
    this.#now = target;
    if (this.#timers.length === 0) this.#release();
  }

  /** Advances to the next deadline and fires the timers due then. Returns false if none is set. */
  jump(): boolean {
    const next = this.#timers[0];
    if (next === undefined) return false;
    this.advance(next.deadline - this.#now);
    return true;
  }

  #schedule(): void {
    if (!this.#autojump || this.#scheduled !== undefined || this.#timers.length === 0) return;
    // A pending virtual timer stands for real waiting: keep the process alive while there is one.
    this.#keepAlive ??= setInterval(() => {}, 1 << 30);
    this.#scheduled = setImmediate(this.#tick);
  }

  #tick = (): void => {
    this.#scheduled = undefined;
    if (!this.#autojump) return;
    // Wait one more turn if the previous turn still had work queued behind it: only jump once
    // the loop is idle. setImmediate runs after every promise callback queued so far.
    this.jump();
    this.#schedule();
  };

  #release(): void {
    if (this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  // A binary min-heap on (deadline, sequence): timers with equal deadlines fire in the order set.
  #less(a: MockTimer, b: MockTimer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  #push(timer: MockTimer): void {
    const heap = this.#timers;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as MockTimer;
      if (!this.#less(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  #remove(index: number): void {
    const heap = this.#timers;
    const last = heap.pop() as MockTimer;
    if (index === heap.length) return;
    heap[index] = last;
    // Sift up, then down.
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as MockTimer;
      if (!this.#less(last, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = last;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#less(heap[left] as MockTimer, heap[smallest] as MockTimer)) smallest = left;
      if (right < heap.length && this.#less(heap[right] as MockTimer, heap[smallest] as MockTimer)) smallest = right;
      if (smallest === i) break;
      heap[i] = heap[smallest] as MockTimer;
      heap[smallest] = last;
      i = smallest;
    }
  }
}
