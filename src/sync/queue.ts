/**
 * @module
 */

import { InvalidStateError, QueueEmpty, QueueFull, QueueShutDown } from "../errors.js";
import { describe } from "../core/clock.js";
import { checkpoint, suspend, type Suspension } from "../core/suspend.js";
import { inspectSymbol, signalOf, type WaitOptions } from "./permit.js";
import { WaiterQueue } from "./waiter-queue.js";

/** Options for {@link Queue} (and its subclasses). */
export interface QueueOptions {
  /** The most items the queue holds; `put()` waits while it is full. `0` (or less) or `Infinity`: unbounded. @default 0 */
  maxsize?: number;
}

/** A frozen snapshot of a {@link Queue}'s state. */
export interface QueueStatistics {
  /** Items in the queue. */
  readonly size: number;
  /** The bound (`Infinity` when unbounded). */
  readonly maxsize: number;
  /** Tasks waiting in `get()`. */
  readonly getters: number;
  /** Tasks waiting in `put()`. */
  readonly putters: number;
  /** Items put and not yet marked done with `taskDone()`. */
  readonly unfinishedTasks: number;
  /** Whether `shutdown()` was called. */
  readonly shutdown: boolean;
}

/** @internal What a waiting getter is woken with. */
const SHUT: unique symbol = Symbol("shutdown");

/**
 * A first-in, first-out queue for tasks, optionally bounded. asyncio: `asyncio.Queue`, with
 * Python 3.13's `shutdown()`.
 *
 * - `put()` waits while the queue is full, `get()` while it is empty; `putNowait()` /
 *   `getNowait()` throw {@link QueueFull} / {@link QueueEmpty} instead of waiting.
 * - `taskDone()` / `join()` track the items put and not yet processed.
 * - `shutdown()` makes `put()` throw {@link QueueShutDown}; `get()` drains the items left, then
 *   throws it. `shutdown(true)` drops the items left (counting them done) at once.
 * - Nothing is ever lost or duplicated under cancellation: an item is handed straight to the
 *   first waiting getter (or a waiting putter's item straight into the freed room), a waiter
 *   cancelled in the tick it was served passes its turn on, and a served waiter always gets its
 *   item even if it is cancelled right after (the cancellation then hits its next await).
 * - Waiters are served in FIFO order.
 *
 * @example A producer and consumers (seed section 10)
 * ```ts
 * const queue = new Queue<string>({ maxsize: 100 });
 * await TaskGroup.run(async (tg) => {
 *   for (let i = 0; i < 3; i++) {
 *     tg.createTask(async () => {
 *       for (;;) {
 *         const url = await queue.get();
 *         try { await download(url); } finally { queue.taskDone(); }
 *       }
 *     });
 *   }
 *   for (const url of urls) await queue.put(url);
 *   await queue.join();
 *   queue.shutdown(true); // ends the consumers (get() throws QueueShutDown)
 * }).catch((error) => { if (!(error instanceof TaskGroupError)) throw error; });
 * ```
 */
export class Queue<T> {
  readonly #maxsize: number;
  #getters = new WaiterQueue<T | typeof SHUT>();
  #putters = new WaiterQueue<boolean>();
  #joiners = new WaiterQueue<true>();
  #unfinished = 0;
  #shutdown = false;
  #onGetterAbandon = (): void => this.#getters.abandoned();
  #onPutterAbandon = (): void => this.#putters.abandoned();
  #onJoinerAbandon = (): void => this.#joiners.abandoned();
  #getLabel = (): string => `${this.toString()}.get()`;
  #putLabel = (): string => `${this.toString()}.put()`;
  #joinLabel = (): string => `${this.toString()}.join()`;

  /**
   * @param options `{ maxsize }`, or the maxsize itself as asyncio's `Queue(maxsize)`.
   * @throws {RangeError} when `maxsize` is not an integer (or Infinity).
   * @throws {TypeError} when `options` is neither an object nor a number.
   */
  constructor(options?: QueueOptions | number) {
    if (options !== undefined && typeof options !== "number" && (options === null || typeof options !== "object")) {
      throw new TypeError(`Expected 'options' to be { maxsize } or the maxsize itself: received ${describe(options)}`);
    }
    const maxsize = typeof options === "number" ? options : (options?.maxsize ?? 0);
    if (typeof maxsize !== "number" || !(Number.isInteger(maxsize) || maxsize === Infinity)) {
      throw new RangeError(`Expected 'maxsize' to be an integer or Infinity: received ${describe(maxsize)}`);
    }
    this.#maxsize = maxsize <= 0 ? Infinity : maxsize;
  }

  // ----- storage hooks (as in asyncio: subclasses change the order) --------------------------
  // Subclasses keep their own storage in their own fields and override all three hooks.
  /** @internal Adds an item. */
  protected _put(item: T): void {
    this.#items.push(item);
  }
  /** @internal Removes the next item (the queue is not empty). */
  protected _get(): T {
    const items = this.#items;
    const head = this.#head;
    const item = items[head] as T;
    items[head] = undefined as T;
    if (head + 1 === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= items.length) {
      this.#items = items.slice(head + 1);
      this.#head = 0;
    } else {
      this.#head = head + 1;
    }
    return item;
  }
  /** @internal The number of items stored. */
  protected _qsize(): number {
    return this.#items.length - this.#head;
  }
  #items: T[] = [];
  #head = 0;

  // ----- public API --------------------------------------------------------------------------

  /** The number of items in the queue. */
  qsize(): number {
    return this._qsize();
  }

  /** The bound given at construction (`Infinity` when unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this._qsize() === 0;
  }

  /** True when the queue holds `maxsize` items (never for an unbounded queue). */
  full(): boolean {
    return this._qsize() >= this.#maxsize;
  }

  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Puts an item without waiting.
   * @throws {QueueFull} when the queue is full.
   * @throws {QueueShutDown} after `shutdown()`.
   */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDown("The queue was shut down: put() is refused");
    if (this._qsize() >= this.#maxsize) throw new QueueFull();
    this.#accept(item);
  }

  /** Adds an accepted item: straight to the first waiting getter, else into the storage. */
  #accept(item: T): void {
    for (let getter = this.#getters.shift(); getter !== undefined; getter = this.#getters.shift()) {
      if (getter.resume(item)) {
        this.#unfinished++;
        return;
      }
    }
    this._put(item); // may throw (a PriorityQueue that cannot order the item): nothing changed then
    this.#unfinished++;
  }

  /**
   * Puts an item, waiting for room while the queue is full.
   * @param options `signal` to give up waiting (the item is then not put).
   * @throws {QueueShutDown} after `shutdown()` (also while waiting).
   * @throws {CancelledError} when the task is cancelled while waiting (the item is not put).
   */
  put(item: T, options?: WaitOptions): Promise<void> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (this.#shutdown) throw new QueueShutDown("The queue was shut down: put() is refused");
      if (this._qsize() < this.#maxsize) {
        checkpoint(signal);
        this.#accept(item);
        return Promise.resolve();
      }
      const suspension: Suspension<boolean> = suspend(this.#putLabel, this.#onPutterAbandon, signal);
      suspension.data = item;
      this.#putters.push(suspension);
      return suspension.promise.then(putOutcome);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes and returns the next item without waiting.
   * @throws {QueueEmpty} when the queue is empty.
   * @throws {QueueShutDown} when the queue is empty and shut down.
   */
  getNowait(): T {
    if (this._qsize() === 0) {
      if (this.#shutdown) throw new QueueShutDown("The queue was shut down and is empty: no more items");
      throw new QueueEmpty();
    }
    return this.#take();
  }

  /** Takes the next stored item; lets the first waiting putter's item into the freed room. */
  #take(): T {
    const item = this._get();
    for (let putter = this.#putters.shift(); putter !== undefined; putter = this.#putters.shift()) {
      const waiting = putter.data as T;
      putter.data = undefined;
      try {
        this._put(waiting);
      } catch (error) {
        putter.fail(error); // its item cannot be stored: that put() fails, the next putter may go
        continue;
      }
      this.#unfinished++;
      putter.resume(true);
      break;
    }
    return item;
  }

  /**
   * Removes and returns the next item, waiting while the queue is empty.
   * @param options `signal` to give up waiting (nothing is taken).
   * @throws {QueueShutDown} when the queue is shut down and empty (also while waiting).
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   */
  get(options?: WaitOptions): Promise<T> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (this._qsize() > 0) {
        checkpoint(signal);
        return Promise.resolve(this.#take());
      }
      if (this.#shutdown) throw new QueueShutDown("The queue was shut down and is empty: no more items");
      const suspension: Suspension<T | typeof SHUT> = suspend(this.#getLabel, this.#onGetterAbandon, signal);
      this.#getters.push(suspension);
      return suspension.promise.then<T>(getOutcome);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Marks one item taken with `get()` as processed; `join()` returns once every item is.
   * @throws {InvalidStateError} when called more often than items were put.
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new InvalidStateError("taskDone() called too many times: every item put is already marked done");
    }
    if (--this.#unfinished === 0) this.#finished();
  }

  #finished(): void {
    for (const joiner of this.#joiners.drain()) joiner.resume(true);
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * @param options `signal` to give up waiting.
   * @throws {CancelledError} when the task is cancelled while waiting.
   */
  join(options?: WaitOptions): Promise<void> {
    try {
      const signal = options === undefined ? undefined : signalOf(options);
      if (this.#unfinished === 0) {
        checkpoint(signal);
        return Promise.resolve();
      }
      const suspension: Suspension<true> = suspend(this.#joinLabel, this.#onJoinerAbandon, signal);
      this.#joiners.push(suspension);
      return suspension.promise.then(noop);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Shuts the queue down (Python 3.13): `put()` throws {@link QueueShutDown} from now on, and so
   * does `get()` once the queue is empty; every waiting putter and (empty-queue) getter is woken
   * with it. With `immediate`, the items left are dropped and counted done, so `join()` returns.
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (this._qsize() > 0) {
        this._get();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) this.#finished();
    }
    for (const getter of this.#getters.drain()) getter.resume(SHUT);
    for (const putter of this.#putters.drain()) {
      putter.data = undefined;
      putter.resume(false);
    }
  }

  /** A frozen snapshot of sizes and waiters. */
  statistics(): QueueStatistics {
    return Object.freeze({
      size: this._qsize(),
      maxsize: this.#maxsize,
      getters: this.#getters.size,
      putters: this.#putters.size,
      unfinishedTasks: this.#unfinished,
      shutdown: this.#shutdown,
    });
  }

  /** `<Queue size=2 maxsize=10 getters=0 putters=0 unfinished=2>`. */
  toString(): string {
    let text = `<${this.constructor.name} size=${this._qsize()}`;
    if (this.#maxsize !== Infinity) text += ` maxsize=${this.#maxsize}`;
    if (this.#getters.size > 0) text += ` getters=${this.#getters.size}`;
    if (this.#putters.size > 0) text += ` putters=${this.#putters.size}`;
    if (this.#unfinished > 0) text += ` unfinished=${this.#unfinished}`;
    if (this.#shutdown) text += " shutdown";
    return `${text}>`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }

  /** Async iteration: `for await (const item of queue)` gets items until the queue is shut down and empty. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      yield item;
    }
  }
}

function noop(): void {}

function putOutcome(accepted: boolean): void {
  if (!accepted) throw new QueueShutDown("The queue was shut down: put() is refused");
}

function getOutcome<T>(value: T | typeof SHUT): T {
  if (value === SHUT) throw new QueueShutDown("The queue was shut down and is empty: no more items");
  return value;
}
