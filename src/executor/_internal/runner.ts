import type { TransferListItem } from "node:worker_threads";
/**
 * The worker side of an executor, shared by worker threads and child processes: it finds the
 * task by module URL and name, runs one item at a time, gives the item an AbortSignal, and
 * posts back the result or the error.
 *
 * @module
 */

import { CancelledError, TaskNotFoundError } from "../../errors.js";
import { lookupTask, taskNamesOf } from "../define-task.js";
import { setTaskSignalSource } from "../task-signal.js";
import { ABORT, CALL, ERR, OK, SKIP, serializeError, transferListOf, type FromWorker, type ToWorker } from "./protocol.js";

/** Sends a message to the executor. */
export type Post = (message: FromWorker, transfer: TransferListItem[] | undefined) => void;

class Item {
  controller: AbortController | undefined = undefined;
  aborted = false;
  constructor(readonly id: number) {}
}

/** @internal */
export class Runner {
  readonly #post: Post;
  /**
   * Shared with the executor (threads only): `[0]` holds the id of the running item it
   * cancelled; then one claim cell per item that may be sent ahead.
   */
  readonly #flag: Int32Array | undefined;
  #current: Item | undefined = undefined;
  /** Items sent ahead while one runs (an async one lets their messages in). */
  readonly #waiting: ToWorker[] = [];

  /** Takes the next message if one is already there, without a turn of the event loop. */
  readonly #pull: (() => ToWorker | undefined) | undefined;

  constructor(post: Post, flag: Int32Array | undefined, pull?: () => ToWorker | undefined) {
    this.#post = post;
    this.#pull = pull;
    this.#flag = flag;
    setTaskSignalSource(() => this.#signal());
  }

  handle(message: ToWorker): void {
    if (message[0] === CALL) {
      if (this.#current !== undefined) this.#waiting.push(message);
      else this.#call(message[1], message[2], message[3], message[4], message[5]);
    } else if (message[0] === ABORT) {
      this.#abort(message[1]);
    }
  }

  #startWaiting(): void {
    while (this.#current === undefined && this.#waiting.length > 0) {
      const message = this.#waiting.shift()!;
      if (message[0] === CALL) this.#call(message[1], message[2], message[3], message[4], message[5]);
    }
  }

  #call(id: number, moduleUrl: string, name: string, args: unknown[], cell: number): void {
    const flag = this.#flag;
    if (flag !== undefined && cell >= 0 && Atomics.compareExchange(flag, 1 + cell, id, 0) !== id) {
      // The executor took it back (cancelled, or given to an idle worker) before it started.
      this.#post([SKIP, id], undefined);
      return;
    }
    const item = new Item(id);
    this.#current = item;
    const fn = lookupTask(moduleUrl, name);
    if (fn !== undefined) {
      this.#invoke(item, fn, args);
      return;
    }
    import(moduleUrl).then(
      () => {
        const loaded = lookupTask(moduleUrl, name);
        if (loaded !== undefined) {
          this.#invoke(item, loaded, args);
          return;
        }
        const names = taskNamesOf(moduleUrl);
        const known = names.length === 0 ? "it defines no task" : `it defines ${names.map((n) => `'${n}'`).join(", ")}`;
        this.#fail(
          item,
          new TaskNotFoundError(
            `Task not found in the worker: '${name}' in ${moduleUrl} (${known}): call defineTask(import.meta.url, '${name}', fn) at the top level of that module`,
            { moduleUrl, taskName: name },
          ),
        );
      },
      (error: unknown) => {
        this.#fail(
          item,
          new TaskNotFoundError(
            `Task module failed to load in the worker: ${moduleUrl}: ${error instanceof Error ? error.message : String(error)}: define task '${name}' in a module that exists and imports without error (pass its import.meta.url to defineTask)`,
            { moduleUrl, taskName: name, cause: error },
          ),
        );
      },
    );
  }

  #invoke(item: Item, fn: (...args: unknown[]) => unknown, args: unknown[]): void {
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      this.#fail(item, error);
      return;
    }
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<unknown>).then(
        (value) => this.#succeed(item, value),
        (error: unknown) => this.#fail(item, error),
      );
    } else {
      this.#succeed(item, result);
    }
  }

  #succeed(item: Item, value: unknown): void {
    try {
      this.#post([OK, item.id, value], transferListOf([value]));
    } catch (error) {
      this.#fail(item, new TypeError(`The task's result cannot be sent back (structured clone failed): ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      return;
    }
    this.#done(item);
  }

  #fail(item: Item, error: unknown): void {
    this.#post([ERR, item.id, serializeError(error)], undefined);
    this.#done(item);
  }

  #done(item: Item): void {
    if (this.#current !== item) return;
    this.#current = undefined;
    if (this.#waiting.length > 0) this.#startWaiting();
    const pull = this.#pull;
    if (pull === undefined) return;
    // The next item was sent ahead: start it now rather than after an event-loop turn, which on
    // a busy machine can put the thread to sleep and cost milliseconds to wake it (piscina does
    // the same with receiveMessageOnPort).
    while (this.#current === undefined) {
      const message = pull();
      if (message === undefined) break;
      this.handle(message);
    }
  }

  #abort(id: number): void {
    const item = this.#current;
    if (item === undefined || item.id !== id || item.aborted) return;
    item.aborted = true;
    item.controller?.abort(new CancelledError("The caller cancelled this executor item"));
  }

  /** The running item's signal, created on first use. */
  #signal(): AbortSignal | undefined {
    const item = this.#current;
    if (item === undefined) return undefined;
    let controller = item.controller;
    if (controller !== undefined) return controller.signal;
    controller = item.controller = new AbortController();
    const signal = controller.signal;
    if (item.aborted) {
      controller.abort(new CancelledError("The caller cancelled this executor item"));
      return signal;
    }
    const flag = this.#flag;
    if (flag !== undefined) {
      // A CPU-bound function never lets the ABORT message in: let `aborted` read the flag the
      // executor sets in shared memory, so polling it works without yielding.
      const check = (): boolean => {
        if (!item.aborted && Atomics.load(flag, 0) === item.id) {
          item.aborted = true;
          controller.abort(new CancelledError("The caller cancelled this executor item"));
        }
        return item.aborted;
      };
      Object.defineProperty(signal, "aborted", { get: check, configurable: true });
      Object.defineProperty(signal, "throwIfAborted", {
        value: () => {
          if (check()) throw signal.reason;
        },
        configurable: true,
      });
    }
    return signal;
  }
}
