/**
 * @module
 */

import { Queue } from "./queue.js";

/**
 * A last-in, first-out {@link Queue}: `get()` returns the item put most recently.
 * asyncio: `asyncio.LifoQueue`. Everything else (bounds, `join`, `shutdown`, cancellation
 * safety) is the same as {@link Queue}.
 *
 * @example
 * ```ts
 * const stack = new LifoQueue<number>();
 * stack.putNowait(1);
 * stack.putNowait(2);
 * stack.getNowait(); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];

  /** @internal */
  protected override _put(item: T): void {
    this.#stack.push(item);
  }
  /** @internal */
  protected override _get(): T {
    return this.#stack.pop() as T;
  }
  /** @internal */
  protected override _qsize(): number {
    return this.#stack.length;
  }
}
