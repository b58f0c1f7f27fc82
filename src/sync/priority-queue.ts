/**
 * @module
 */

import { describe } from "../core/clock.js";
import { Queue, type QueueOptions } from "./queue.js";

/** Options for {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders items: negative when `a` comes out first. The default compares numbers, bigints and
   * strings with `<`, and arrays element by element (like Python's tuples), so
   * `[priority, item]` entries work as in asyncio.
   */
  compare?: (a: T, b: T) => number;
}

/** Python's ordering: numbers/strings/bigints by `<`, arrays lexicographically. */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string" && typeof a !== "bigint")) {
    throw new TypeError(
      `PriorityQueue cannot order ${describe(a)} and ${describe(b)}: pass a 'compare' option or use [priority, item] entries`,
    );
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A {@link Queue} that returns the smallest item first (a binary heap). asyncio:
 * `asyncio.PriorityQueue`. Entries are typically `[priority, data]` pairs, compared like Python
 * tuples; or pass `compare`. Items of equal priority come out in no guaranteed order (as in asyncio).
 *
 * @example Lowest number first
 * ```ts
 * const jobs = new PriorityQueue<[number, string]>();
 * jobs.putNowait([2, "later"]);
 * jobs.putNowait([1, "first"]);
 * (await jobs.get())[1]; // "first"
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  #heap: T[] = [];
  readonly #compare: (a: T, b: T) => number;

  /**
   * @param options `{ maxsize, compare }`, or the maxsize itself.
   * @throws {TypeError} when `compare` is not a function.
   */
  constructor(options?: PriorityQueueOptions<T> | number) {
    super(options);
    const compare = typeof options === "object" ? options.compare : undefined;
    if (compare !== undefined && typeof compare !== "function") {
      throw new TypeError(`Expected 'compare' to be a function: received ${describe(compare)}`);
    }
    this.#compare = compare ?? defaultCompare;
  }

  /** @internal */
  protected override _put(item: T): void {
    const heap = this.#heap;
    const compare = this.#compare;
    // Every comparison happens before the heap changes, so a compare that throws (items that
    // cannot be ordered) leaves the queue as it was.
    let target = heap.length;
    while (target > 0) {
      const parent = (target - 1) >> 1;
      if (compare(item, heap[parent] as T) >= 0) break;
      target = parent;
    }
    let i = heap.length;
    heap.push(item);
    while (i > target) {
      const parent = (i - 1) >> 1;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[target] = item;
  }

  /** @internal */
  protected override _get(): T {
    const heap = this.#heap;
    const top = heap[0] as T;
    const last = heap.pop() as T;
    const n = heap.length;
    if (n > 0) {
      const compare = this.#compare;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        let child = left;
        if (right < n && compare(heap[right] as T, heap[left] as T) < 0) child = right;
        if (compare(heap[child] as T, last) >= 0) break;
        heap[i] = heap[child] as T;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  /** @internal */
  protected override _qsize(): number {
    return this.#heap.length;
  }
}
