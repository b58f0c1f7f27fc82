import { CancelledError } from "../errors.js";
import { describe } from "./clock.js";
import { als, FULFILLED, Task, Waiter, type TaskObserver } from "./task.js";

/** Something `gather` accepts: a promise (or task), or a function that returns one. */
export type GatherItem = PromiseLike<unknown> | (() => unknown);

/** The value an item resolves to: a function's awaited return value, or the awaited promise. */
export type GatherResult<I> = I extends () => infer R ? Awaited<R> : Awaited<I>;

/** Options for the array form of {@link gather}. */
export interface GatherOptions {
  /**
   * Resolve with each item's value or error in order instead of rejecting on the first failure
   * (asyncio's `return_exceptions=True`). Nothing is cancelled on failure in this mode.
   * @default false
   */
  returnExceptions?: boolean;
}

const FN = 0;
const TASK = 1;
const PROMISE = 2;

/**
 * The shared state of one `gather` call. It observes its tasks directly (no promise per child)
 * and is linked to the calling task as a waiter, so cancelling the caller cancels the children
 * and `gather` rejects once they have all finished.
 */
class Gathering extends Waiter implements TaskObserver {
  readonly results: unknown[];
  readonly tasks: (Task<unknown> | undefined)[];
  remaining: number;
  runningTasks = 0;
  failed = false;
  firstError: unknown = undefined;
  cancelledWith: CancelledError | undefined = undefined;
  settled = false;
  resolve!: (values: unknown[]) => void;
  reject!: (error: unknown) => void;

  constructor(
    count: number,
    readonly returnExceptions: boolean,
  ) {
    super();
    this.results = new Array<unknown>(count);
    this.tasks = new Array<Task<unknown> | undefined>(count);
    this.remaining = count;
  }

  _taskDone(task: Task<unknown>, slot: number): void {
    this.runningTasks--;
    // Let a finished child be collected now rather than when the whole gather ends: 100,000
    // finished tasks kept alive survive young-generation GCs and get promoted, which is slow.
    this.tasks[slot] = undefined;
    if (task._state === FULFILLED) this.itemDone(slot, true, task._value);
    else this.itemDone(slot, false, task._value);
  }

  itemDone(slot: number, ok: boolean, value: unknown): void {
    this.remaining--;
    if (ok || this.returnExceptions) {
      this.results[slot] = value;
    } else if (!this.failed) {
      this.failed = true;
      this.firstError = value;
      this.cancelRest();
    }
    this.maybeSettle();
  }

  cancelRest(): void {
    for (const task of this.tasks) task?._cancelOnce();
  }

  maybeSettle(): void {
    if (this.settled) return;
    // A failure (or the caller's cancellation) waits only for the tasks: plain promises cannot be
    // cancelled, so they are not waited for once the outcome is decided.
    const decided = this.failed || this.cancelledWith !== undefined;
    if (decided ? this.runningTasks > 0 : this.remaining > 0) return;
    this.settled = true;
    this.leave();
    if (this.cancelledWith !== undefined) this.reject(this.cancelledWith);
    else if (this.failed) this.reject(this.firstError);
    else this.resolve(this.results);
  }

  onCancel(error: CancelledError): void {
    this.cancelledWith = error;
    this.cancelRest();
    this.maybeSettle();
  }

  describe(): string {
    return `gather(${this.remaining} of ${this.results.length} pending)`;
  }
}

/**
 * Runs items concurrently and resolves to their results as a typed tuple, in argument order.
 * asyncio: `asyncio.gather()`.
 *
 * Each item is a promise (or task), or a function returning one; functions start at once as
 * child tasks of the caller. **Unlike asyncio**, `gather` is structured: on the first failure the
 * remaining tasks (those it started, and tasks passed in) are cancelled and awaited, and only then
 * does `gather` reject with that first error. asyncio's `gather` leaves the siblings running.
 * Cancelling the caller cancels the children, waits for them, then rejects with `CancelledError`.
 *
 * With `gather(items, { returnExceptions: true })`, it resolves to each value or error in order
 * and cancels nothing.
 *
 * @throws {TypeError} when an item is neither a promise nor a function.
 *
 * @example Three workers at once
 * ```ts
 * const [a, b] = await gather(() => fetchUser(1), () => fetchOrders(1));
 * //     ^? [User, Order[]]
 * ```
 */
export function gather<const I extends readonly GatherItem[]>(
  ...items: I
): Promise<{ -readonly [K in keyof I]: GatherResult<I[K]> }>;
export function gather<const I extends readonly GatherItem[]>(
  items: I,
  options: GatherOptions & { returnExceptions: true },
): Promise<{ -readonly [K in keyof I]: GatherResult<I[K]> | Error }>;
export function gather<const I extends readonly GatherItem[]>(
  items: I,
  options: GatherOptions,
): Promise<{ -readonly [K in keyof I]: GatherResult<I[K]> }>;
export function gather(...args: unknown[]): Promise<unknown[]> {
  let items: readonly unknown[] = args;
  let returnExceptions = false;
  if (args.length === 2 && Array.isArray(args[0]) && isOptions(args[1])) {
    items = args[0] as unknown[];
    const flag = (args[1] as GatherOptions).returnExceptions;
    if (flag !== undefined && typeof flag !== "boolean") {
      return Promise.reject(
        new TypeError(`Expected 'returnExceptions' to be a boolean: received ${describe(flag)}`),
      );
    }
    returnExceptions = flag === true;
  }
  const count = items.length;
  // Validate everything before starting anything: bad input starts no work.
  const kinds = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const item = items[i];
    if (typeof item === "function") kinds[i] = FN;
    else if (item instanceof Task) kinds[i] = TASK;
    else if (item !== null && typeof item === "object" && typeof (item as PromiseLike<unknown>).then === "function") {
      kinds[i] = PROMISE;
    } else {
      return Promise.reject(
        new TypeError(
          `Expected each item of gather() to be a promise or a function returning one: received ${describe(item)} at index ${i}` +
            (Array.isArray(item) ? " (spread an array: gather(...items), or pass options: gather(items, {}))" : ""),
        ),
      );
    }
  }
  if (count === 0) return Promise.resolve([]);
  const state = new Gathering(count, returnExceptions);
  const parent = als.getStore();
  return new Promise<unknown[]>((resolve, reject) => {
    state.resolve = resolve;
    state.reject = reject;
    if (parent !== undefined) {
      try {
        parent._enter(state);
      } catch (error) {
        reject(error);
        return;
      }
    }
    const tasks = state.tasks;
    for (let i = 0; i < count; i++) {
      if (state.settled) break;
      const kind = kinds[i];
      const item = items[i];
      if (kind === FN) {
        if (state.failed && !returnExceptions) {
          // Something already failed synchronously: do not start the rest.
          state.remaining--;
          continue;
        }
        const task = new Task(item as () => unknown, undefined, parent, undefined, 0);
        tasks[i] = task;
        state.runningTasks++;
        task._observe(state, i);
      } else if (kind === TASK) {
        const task = item as Task<unknown>;
        tasks[i] = task;
        state.runningTasks++;
        task._observe(state, i);
      } else {
        (item as PromiseLike<unknown>).then(
          (value) => state.itemDone(i, true, value),
          (error: unknown) => state.itemDone(i, false, error),
        );
      }
    }
    state.maybeSettle();
  });
}

function isOptions(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as { then?: unknown }).then !== "function" &&
    !(value instanceof Task)
  );
}
