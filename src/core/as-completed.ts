import { TimeoutError } from "../errors.js";
import { realClock, validateDelay, type Clock, type TimerHandle } from "./clock.js";
import type { GatherItem, GatherResult } from "./gather.js";
import { suspend, type Suspension } from "./suspend.js";
import { als, FULFILLED, Task, type TaskObserver } from "./task.js";

/** Options for {@link asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Milliseconds after which the items not yet finished fail with `TimeoutError` (and the tasks
   * among them are cancelled). @default Infinity
   */
  timeout?: number;
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

/**
 * The results of {@link asCompleted}, in completion order. Iterate it either way:
 * `for (const next of it) await next` (asyncio's form) or `for await (const value of it)`.
 */
export class AsCompleted<T> implements Iterable<Promise<T>>, AsyncIterable<T>, TaskObserver {
  #outcomes: Outcome[] = [];
  #outcomeHead = 0;
  #consumers: Suspension<Outcome>[] = [];
  #consumerHead = 0;
  #tasks: Task<unknown>[] = [];
  #total: number;
  #handedOut = 0;
  #arrived = 0;
  #timedOut = false;
  #timeout: number;
  #timer: TimerHandle | undefined = undefined;
  #clock: Clock;

  /** @internal */
  constructor(items: readonly unknown[], timeout: number) {
    this.#total = items.length;
    this.#timeout = timeout;
    const current = als.getStore();
    const run = current?._run;
    this.#clock = run === undefined ? realClock : run.clock;
    for (const item of items) {
      if (typeof item === "function") {
        const task = new Task(item as () => unknown, undefined, current, undefined, 0);
        this.#tasks.push(task);
        task._observe(this, 0);
      } else if (item instanceof Task) {
        this.#tasks.push(item);
        item._observe(this, 0);
      } else {
        (item as PromiseLike<unknown>).then(
          (value) => this.#arrive(true, value),
          (error: unknown) => this.#arrive(false, error),
        );
      }
    }
    if (timeout !== Infinity && this.#arrived < this.#total) {
      this.#timer = this.#clock.setTimer(this.#expire, timeout);
    }
  }

  /** @internal */
  _taskDone(task: Task<unknown>): void {
    this.#arrive(task._state === FULFILLED, task._value);
  }

  #arrive(ok: boolean, value: unknown): void {
    if (this.#timedOut) return;
    this.#arrived++;
    if (this.#arrived === this.#total && this.#timer !== undefined) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    const outcome: Outcome = { ok, value };
    while (this.#consumerHead < this.#consumers.length) {
      const consumer = this.#consumers[this.#consumerHead] as Suspension<Outcome>;
      this.#consumers[this.#consumerHead++] = undefined as never;
      // A consumer cancelled in this very tick passes the outcome on: nothing is lost.
      if (consumer.resume(outcome)) return;
    }
    this.#outcomes.push(outcome);
  }

  #expire = (): void => {
    this.#timer = undefined;
    this.#timedOut = true;
    this.#cancelRunning();
    const error = new TimeoutError(`asCompleted() timed out after ${this.#timeout} ms`, { timeout: this.#timeout });
    while (this.#consumerHead < this.#consumers.length) {
      const consumer = this.#consumers[this.#consumerHead] as Suspension<Outcome>;
      this.#consumers[this.#consumerHead++] = undefined as never;
      consumer.resume({ ok: false, value: error });
    }
  };

  #cancelRunning(): void {
    for (const task of this.#tasks) task._cancelOnce();
  }

  /** The next result to finish (or its error). */
  #take(): Promise<T> {
    if (this.#outcomeHead < this.#outcomes.length) {
      const outcome = this.#outcomes[this.#outcomeHead] as Outcome;
      this.#outcomes[this.#outcomeHead++] = undefined as never;
      return outcome.ok ? Promise.resolve(outcome.value as T) : Promise.reject(outcome.value);
    }
    if (this.#timedOut) {
      return Promise.reject(
        new TimeoutError(`asCompleted() timed out after ${this.#timeout} ms`, { timeout: this.#timeout }),
      );
    }
    let suspension: Suspension<Outcome>;
    try {
      suspension = suspend<Outcome>("asCompleted()", this.#forget, undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#consumers.push(suspension);
    return suspension.promise.then(unwrap) as Promise<T>;
  }

  #forget = (suspension: Suspension<Outcome>): void => {
    const index = this.#consumers.indexOf(suspension, this.#consumerHead);
    if (index >= 0) this.#consumers.splice(index, 1);
  };

  /** Stops early: cancels the tasks still running and clears the timer. */
  close(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    this.#handedOut = this.#total;
    this.#cancelRunning();
  }

  /** asyncio's form: `for (const next of asCompleted(items)) { const value = await next; }` */
  [Symbol.iterator](): Iterator<Promise<T>> {
    return {
      next: (): IteratorResult<Promise<T>> => {
        if (this.#handedOut >= this.#total) return { done: true, value: undefined };
        this.#handedOut++;
        return { done: false, value: this.#take() };
      },
      return: (): IteratorResult<Promise<T>> => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** `for await (const value of asCompleted(items))`; leaving the loop early cancels the rest. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        if (this.#handedOut >= this.#total) return { done: true, value: undefined };
        this.#handedOut++;
        try {
          return { done: false, value: await this.#take() };
        } catch (error) {
          this.close();
          throw error;
        }
      },
      return: (): Promise<IteratorResult<T>> => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

function unwrap(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.value;
  throw outcome.value;
}

/**
 * Runs items concurrently and gives their results in the order they finish.
 * asyncio: `asyncio.as_completed()`.
 *
 * Functions start at once as child tasks. Both iteration forms work: asyncio's
 * `for (const next of asCompleted(items)) { await next }`, and
 * `for await (const value of asCompleted(items))`. Leaving the loop early (or an error thrown out
 * of it) cancels the tasks still running. With `timeout`, items not finished in time fail with
 * `TimeoutError` and the tasks among them are cancelled.
 *
 * @example Printing results as they arrive
 * ```ts
 * for await (const [url, status] of asCompleted(urls.map((u) => () => fetchStatus(u)))) {
 *   console.log(`${url} -> ${status}`);
 * }
 * ```
 */
export function asCompleted<const I extends readonly GatherItem[]>(
  items: I | Iterable<I[number]>,
  options?: AsCompletedOptions,
): AsCompleted<GatherResult<I[number]>> {
  if (items === null || typeof items !== "object" || typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`Expected 'items' to be an iterable of promises or functions: received ${typeof items}`);
  }
  const list = Array.from(items as Iterable<unknown>);
  list.forEach((item, index) => {
    if (typeof item === "function") return;
    if (item !== null && typeof item === "object" && typeof (item as PromiseLike<unknown>).then === "function") return;
    throw new TypeError(
      `Expected each item of asCompleted() to be a promise or a function returning one: received ${typeof item} at index ${index}`,
    );
  });
  const ms = options?.timeout === undefined ? Infinity : validateDelay(options.timeout, "timeout");
  return new AsCompleted(list, ms);
}
