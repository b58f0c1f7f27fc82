/**
 * The FIFO of suspended waiters that every primitive in `sync/` keeps.
 *
 * Why an intrusive singly-linked list with lazy deletion: a waiter is queued and dequeued in
 * O(1) without allocating a node (the {@link Suspension} carries its own `nextInQueue` link), and
 * never with `Array#shift` (28x slower with 100k waiters, see DESIGN.md). A cancelled waiter is
 * not unlinked at once (that would need a doubly-linked list or a search): it is marked dead by
 * the core (`pending === false`) and skipped when it reaches the head. So that a primitive whose
 * waiters keep timing out (`moveOnAfter(100, () => queue.get())` in a loop) does not grow without
 * bound, the list is compacted once dead nodes outnumber live ones.
 *
 * @module
 * @internal
 */

import type { Suspension } from "../core/suspend.js";

const COMPACT_AT = 32;

/** @internal */
export class WaiterQueue<T> {
  #head: Suspension<T> | undefined = undefined;
  #tail: Suspension<T> | undefined = undefined;
  #live = 0;
  #dead = 0;

  /** The number of waiters still waiting. */
  get size(): number {
    return this.#live;
  }

  push(suspension: Suspension<T>): void {
    suspension.nextInQueue = undefined;
    const tail = this.#tail;
    if (tail === undefined) this.#head = suspension;
    else tail.nextInQueue = suspension;
    this.#tail = suspension;
    this.#live++;
  }

  /** Removes and returns the first waiter still waiting, skipping cancelled ones. */
  shift(): Suspension<T> | undefined {
    let node = this.#head;
    while (node !== undefined) {
      const next = node.nextInQueue;
      node.nextInQueue = undefined;
      if (node.pending) {
        this.#head = next;
        if (next === undefined) this.#tail = undefined;
        this.#live--;
        return node;
      }
      this.#dead--;
      node = next;
    }
    this.#head = this.#tail = undefined;
    return undefined;
  }

  /** The first waiter still waiting, left in place. */
  peek(): Suspension<T> | undefined {
    let node = this.#head;
    while (node !== undefined && !node.pending) {
      const next = node.nextInQueue;
      node.nextInQueue = undefined;
      this.#dead--;
      node = next;
    }
    this.#head = node;
    if (node === undefined) this.#tail = undefined;
    return node;
  }

  /** Called from a suspension's `onAbandon`: one queued waiter is dead now. */
  abandoned(): void {
    this.#live--;
    this.#dead++;
    if (this.#dead > COMPACT_AT && this.#dead > this.#live) this.#compact();
  }

  /** Removes every waiter still waiting and returns them in FIFO order. */
  drain(): Suspension<T>[] {
    const out: Suspension<T>[] = [];
    for (let node = this.shift(); node !== undefined; node = this.shift()) out.push(node);
    return out;
  }

  #compact(): void {
    let head: Suspension<T> | undefined = undefined;
    let tail: Suspension<T> | undefined = undefined;
    let node = this.#head;
    while (node !== undefined) {
      const next = node.nextInQueue;
      node.nextInQueue = undefined;
      if (node.pending) {
        if (tail === undefined) head = node;
        else tail.nextInQueue = node;
        tail = node;
      }
      node = next;
    }
    this.#head = head;
    this.#tail = tail;
    this.#dead = 0;
  }
}
