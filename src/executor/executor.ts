/**
 * What thread and process pools share: a FIFO of items, a set of workers that run one item each
 * (threads also hold a few sent ahead), cancellation that drops a queued item or aborts a running
 * one, crash recovery, and shutdown.
 *
 * Why not piscina (measured, see bench/RESULTS.md): piscina rejects an aborted item at once and
 * terminates its thread at the same moment, so the caller resumes while the work may still be
 * running, and the running function never sees the abort; it needs one AbortSignal and one abort
 * listener per item to cancel anything; and a process pool needs the same queue anyway.
 *
 * @module
 */

import { BrokenWorkerError, CancelledError, ClosedResourceError, isCancelled } from "../errors.js";
import { cancellable } from "../core/shield.js";
import { validateSignal } from "../core/suspend.js";
import { createTask, getCurrentTask, type Task } from "../core/task.js";
import { validateHandle, type TaskHandle } from "./define-task.js";
import type { ExecutorOptions, ExecutorRunOptions, ExecutorStatistics, ShutdownOptions } from "./executor-options.js";
import { describeOption } from "./_internal/describe.js";
import { CALL, CRASH, deserializeError, OK, SKIP, transferListOf, type FromWorker } from "./_internal/protocol.js";
import { ABORTING, Job, PIPELINE_DEPTH, QUEUED, RUNNING, setCancelJob, Slot, WorkerGone, type Spawn } from "./_internal/slot.js";

export type { ExecutorOptions, ExecutorRunOptions, ExecutorStatistics, ShutdownOptions } from "./executor-options.js";
export { WorkerGone, CLAIM_CELLS } from "./_internal/slot.js";
export type { Spawn, WorkerChannel, WorkerEvents } from "./_internal/slot.js";

/**
 * The base of {@link ThreadPoolExecutor} and {@link ProcessPoolExecutor}: items run in FIFO
 * order on at most `maxWorkers` workers, started on demand. asyncio: `concurrent.futures.Executor`.
 *
 * Idle workers do not keep the process alive; a pool with work to do does. Close a pool with
 * `shutdown()`, `close()` or `await using`.
 */
export abstract class Executor implements AsyncDisposable {
  /** `"thread"` or `"process"`. */
  abstract readonly kind: string;
  readonly #spawn: Spawn;
  readonly #maxWorkers: number;
  readonly #grace: number;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  /** Busy slots that could take a second item (pipelined); checked lazily when popped. */
  readonly #open: Slot[] = [];
  #head: Job | undefined = undefined;
  #tail: Job | undefined = undefined;
  #queued = 0;
  #running = 0;
  #nextId = 1;
  #closed = false;
  #finished: Promise<void> | undefined = undefined;
  #resolveFinished: (() => void) | undefined = undefined;

  static {
    setCancelJob((executor, job, error) => executor.#cancel(job, error));
  }

  /** @internal */
  constructor(options: ExecutorOptions, defaultMaxWorkers: number, spawn: Spawn) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
    }
    const max = options.maxWorkers ?? defaultMaxWorkers;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`Expected 'maxWorkers' to be a positive integer: received ${describeOption(max)}`);
    }
    const grace = options.cancelGracePeriod ?? 100;
    if (typeof grace !== "number" || !(grace >= 0) || grace > 2 ** 31 - 1) {
      throw new RangeError(`Expected 'cancelGracePeriod' to be a number of milliseconds >= 0: received ${describeOption(grace)}`);
    }
    this.#maxWorkers = max;
    this.#grace = grace;
    this.#spawn = spawn;
  }

  /**
   * Runs `task(...args)` on a worker and returns its result. Cancelling the awaiting task (or
   * aborting `signal`) drops the item if it is still queued; if it runs, its `taskSignal()` aborts
   * and, unless it stops within `cancelGracePeriod`, its worker is terminated and replaced. The
   * promise rejects with `CancelledError` only once the work has stopped.
   *
   * @param task A handle from `defineTask`.
   * @param args The arguments, structured-cloned (or moved, see `transfer`).
   * @param options `signal` and `transfer`.
   * @returns The task's result.
   * @throws {ClosedResourceError} After `shutdown()`.
   * @throws {TaskNotFoundError} When the worker cannot find the task.
   * @throws {BrokenWorkerError} When the worker died while running it.
   * @throws {CancelledError} When cancelled.
   * @throws The task's own error, rebuilt with its name, message and stack.
   *
   * @example Passing a signal and a transfer list
   * ```ts
   * const digest = await pool.run(sha256, [bytes], { transfer: [bytes.buffer], signal });
   * ```
   */
  run<A extends unknown[], R>(task: TaskHandle<A, R>, args: A, options?: ExecutorRunOptions): Promise<R> {
    try {
      validateHandle(task);
      if (!Array.isArray(args)) throw new TypeError(`Expected 'args' to be an array: received ${typeof args}`);
      if (this.#closed) {
        throw new ClosedResourceError(
          `The ${this.kind} executor is shut down: cannot run task '${task.name}'; create a new executor`,
        );
      }
      if (options !== undefined && (options === null || typeof options !== "object")) {
        throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
      }
      const signal = validateSignal(options?.signal);
      if (signal?.aborted === true) throw signal.reason;
      let transfer = transferListOf(args);
      const extra = options?.transfer;
      if (extra !== undefined && !Array.isArray(extra as unknown)) {
        throw new TypeError(`Expected 'transfer' to be an array of ArrayBuffers, MessagePorts...: received ${extra === null ? "null" : typeof extra}`);
      }
      if (extra !== undefined) transfer = transfer === undefined ? [...extra] : transfer.concat(extra);
      const job = new Job(this, this.#nextId++, task as TaskHandle<unknown[], unknown>, args, transfer);
      if (this.#nextId > 0x7ffffff0) this.#nextId = 1;
      const promise = new Promise<R>((resolve, reject) => {
        job.resolve = resolve as (value: unknown) => void;
        job.reject = reject;
      });
      getCurrentTask()?._enter(job);
      if (signal !== undefined) {
        job.signal = signal;
        signal.addEventListener("abort", job);
      }
      let slot: Slot | undefined;
      try {
        slot = this.#idle.pop() ?? (this.#slots.size < this.#maxWorkers ? this.#newSlot() : this.#openSlot());
      } catch (error) {
        // No worker could be started (bad execArgv, out of threads...): the item never ran.
        job.leave();
        signal?.removeEventListener("abort", job);
        throw error;
      }
      if (slot !== undefined) this.#assign(slot, job);
      else this.#enqueue(job);
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Schedules `task(...args)` and returns it as a {@link Task} (a child of the current task), to
   * cancel or await later. asyncio: `executor.submit()` (which returns a `Future`).
   *
   * @example
   * ```ts
   * const job = pool.submit(countPrimes, 5_000_000);
   * // ...
   * console.log(await job);
   * ```
   */
  submit<A extends unknown[], R>(task: TaskHandle<A, R>, ...args: A): Task<R> {
    validateHandle(task);
    return createTask(() => this.run(task, args), { name: `${this.kind}:${task.name}` });
  }

  /**
   * Runs `task` on every item of `items` and yields the results in input order. Every item is
   * submitted at once (as asyncio's `executor.map`); leaving the loop early, or an error, cancels
   * the rest and waits for them to stop.
   *
   * @example
   * ```ts
   * for await (const count of pool.map(countPrimes, [1e6, 2e6, 3e6])) console.log(count);
   * ```
   */
  async *map<T, R>(task: TaskHandle<[T], R>, items: Iterable<T>, options?: { signal?: AbortSignal }): AsyncGenerator<R, void, undefined> {
    validateHandle(task);
    if (items === null || typeof (items as Partial<Iterable<T>> | undefined)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`Expected 'items' to be an iterable: received ${items === null ? "null" : typeof items}`);
    }
    const controller = new AbortController();
    const outer = validateSignal(options?.signal);
    const forward = (): void => controller.abort(outer?.reason);
    outer?.addEventListener("abort", forward);
    const pending: Promise<R>[] = [];
    try {
      for (const item of items) {
        const promise = this.run(task, [item], { signal: controller.signal });
        promise.catch(() => {});
        pending.push(promise);
      }
      for (const promise of pending) yield await promise;
    } finally {
      outer?.removeEventListener("abort", forward);
      controller.abort(new CancelledError("executor.map() was left before its last result"));
      await Promise.allSettled(pending);
    }
  }

  /**
   * Stops the executor: new items are refused with `ClosedResourceError`. asyncio:
   * `executor.shutdown(wait=True, cancel_futures=False)`.
   *
   * With `wait` (the default) it resolves once the remaining items have run and every worker has
   * exited. If the awaiting task is cancelled meanwhile, everything still queued or running is
   * cancelled and the workers are terminated before the `CancelledError` propagates.
   *
   * @param options `wait` (default true) and `cancelFutures` (default false).
   * @throws {TypeError} When `options` is not an object.
   * @throws {CancelledError} When the awaiting task is cancelled while it waits.
   *
   * @example Dropping what has not started
   * ```ts
   * await pool.shutdown({ cancelFutures: true });
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Expected 'options' to be an object: received ${options === null ? "null" : typeof options}`);
    }
    const { wait = true, cancelFutures = false } = options;
    if (!this.#closed) {
      this.#closed = true;
      this.#finished = new Promise<void>((resolve) => (this.#resolveFinished = resolve));
    }
    if (cancelFutures) this.#dropQueue(new CancelledError(`The ${this.kind} executor was shut down with cancelFutures`));
    for (const slot of this.#idle.splice(0)) this.#kill(slot);
    this.#checkFinished();
    if (!wait) return;
    const finished = this.#finished!;
    try {
      await cancellable(finished);
    } catch (error) {
      if (!isCancelled(error)) throw error;
      this.#terminate(error);
      await finished;
      throw error;
    }
  }

  /** Same as `shutdown()` (waits). Idempotent. */
  close(): Promise<void> {
    return this.shutdown();
  }

  /** `await using pool = new ThreadPoolExecutor()`: shuts down and waits, like Python's `with`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * A snapshot of the pool's state (frozen), as trio's `statistics()`.
   *
   * @example
   * ```ts
   * const { workers, running, queued } = pool.statistics();
   * ```
   */
  statistics(): ExecutorStatistics {
    return Object.freeze({
      maxWorkers: this.#maxWorkers,
      workers: this.#slots.size,
      idle: this.#idle.length,
      running: this.#running,
      queued: this.#queued,
      closed: this.#closed,
    });
  }

  /** A short description such as `<ThreadPoolExecutor workers:2 running:2 queued:5>`. */
  toString(): string {
    const s = this.statistics();
    return `<${this.constructor.name}${s.closed ? " closed" : ""} workers:${s.workers} running:${s.running} queued:${s.queued}>`;
  }

  // ----- internals -------------------------------------------------------------------------------
  //
  // A slot (one worker) holds `jobs`: the first runs; on pipelined channels (threads) up to
  // PIPELINE_DEPTH - 1 more are already sent, so the worker starts the next one without waiting
  // for the main thread to hear of the previous result. The worker claims each item through a
  // shared cell before it starts it, so an item sent ahead can be taken back (cancelled, stolen
  // by an idle worker, requeued when its worker dies) as long as it has not started: cancelling
  // it then is as immediate as cancelling a queued item.

  #newSlot(): Slot {
    const slot = new Slot();
    this.#slots.add(slot);
    try {
      slot.channel = this.#spawn({
        message: (message) => this.#onMessage(slot, message),
        exit: (code, error) => this.#onExit(slot, code, error),
      });
    } catch (error) {
      // A worker that could not start must not count as one (shutdown would wait for it forever).
      this.#slots.delete(slot);
      throw error;
    }
    slot.capacity = slot.channel.pipelined ? PIPELINE_DEPTH : 1;
    return slot;
  }

  #enqueue(job: Job): void {
    job.state = QUEUED;
    if (this.#tail === undefined) this.#head = job;
    else this.#tail.next = job;
    this.#tail = job;
    this.#queued++;
  }

  /** Puts back an item that a worker never started, ahead of the others. */
  #requeue(job: Job): void {
    job.state = QUEUED;
    job.slot = undefined;
    job.next = this.#head;
    this.#head = job;
    if (this.#tail === undefined) this.#tail = job;
    this.#queued++;
  }

  #dequeue(): Job | undefined {
    let job = this.#head;
    // Cancelled items stay linked until they reach the head: removal is O(1) that way.
    while (job !== undefined && job.state !== QUEUED) job = job.next;
    if (job === undefined) {
      this.#head = this.#tail = undefined;
      return undefined;
    }
    this.#head = job.next;
    if (this.#head === undefined) this.#tail = undefined;
    job.next = undefined;
    this.#queued--;
    return job;
  }

  #openSlot(): Slot | undefined {
    const open = this.#open;
    while (open.length > 0) {
      const slot = open.pop()!;
      slot.listed = false;
      const held = slot.jobs.length;
      if (!slot.retired && held > 0 && held < slot.capacity && this.#slots.has(slot)) return slot;
    }
    return undefined;
  }

  #list(slot: Slot): void {
    if (slot.listed || slot.jobs.length >= slot.capacity) return;
    slot.listed = true;
    this.#open.push(slot);
  }

  /** Hands `job` to `slot`: to run now, or sent ahead behind the items it holds. */
  #assign(slot: Slot, job: Job): void {
    job.state = RUNNING;
    job.slot = slot;
    const jobs = slot.jobs;
    // A claim cell no live item of this worker uses (an item taken back may still wait in the
    // worker's inbox: reusing its cell only makes sure it is skipped).
    let cell = 0;
    while (jobs.some((other) => other.cell === cell)) cell++;
    job.cell = cell;
    jobs.push(job);
    this.#running++;
    if (!slot.refed) {
      slot.refed = true;
      slot.channel.ref();
    }
    try {
      slot.channel.offer(cell, job.id);
      slot.channel.send([CALL, job.id, job.task.moduleUrl, job.task.name, job.args, cell], job.transfer);
    } catch (error) {
      this.#unassign(slot, job);
      if (error instanceof WorkerGone) {
        // A child that is exiting: its exit event follows; the item waits for another worker.
        this.#requeue(job);
        slot.retired = true;
        return;
      }
      // DataCloneError: the arguments cannot cross. Nothing reached the worker.
      job.finish();
      job.reject(
        new TypeError(
          `The arguments of task '${job.task.name}' cannot be sent to a worker (structured clone failed): ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
      );
      this.#refill(slot);
      return;
    }
    this.#list(slot);
  }

  #unassign(slot: Slot, job: Job): void {
    const index = slot.jobs.indexOf(job);
    if (index !== -1) slot.jobs.splice(index, 1);
    job.slot = undefined;
    this.#running--;
  }

  /** Gives `slot` queued work up to its capacity, or lets it idle (or retire, once closed). */
  #refill(slot: Slot): void {
    if (slot.retired) return;
    if (slot.jobs.length === 0) {
      const job = this.#dequeue() ?? this.#steal(slot);
      if (job === undefined) {
        if (this.#closed) {
          this.#kill(slot);
        } else {
          this.#idle.push(slot);
          if (slot.refed) {
            slot.refed = false;
            slot.channel.unref();
          }
        }
        return;
      }
      this.#assign(slot, job);
    }
    while (slot.jobs.length > 0 && slot.jobs.length < slot.capacity && !slot.retired) {
      const job = this.#dequeue();
      if (job === undefined) break;
      this.#assign(slot, job);
    }
  }

  /** An idle worker takes an item sent ahead to another worker, if that one has not started it. */
  #steal(thief: Slot): Job | undefined {
    for (const slot of this.#slots) {
      if (slot === thief) continue;
      const jobs = slot.jobs;
      for (let i = jobs.length - 1; i >= 1; i--) {
        const job = jobs[i]!;
        if (slot.channel.withdraw(job.cell, job.id)) {
          this.#unassign(slot, job);
          this.#list(slot);
          return job;
        }
      }
    }
    return undefined;
  }

  /** Takes back the items sent ahead to `slot` that it has not started; returns them in order. */
  #withdrawAhead(slot: Slot, fromIndex: number): Job[] {
    const taken: Job[] = [];
    const jobs = slot.jobs;
    for (let i = jobs.length - 1; i >= fromIndex; i--) {
      const job = jobs[i]!;
      if (slot.channel.withdraw(job.cell, job.id)) {
        this.#unassign(slot, job);
        taken.unshift(job);
      }
    }
    return taken;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message[0] === CRASH) {
      slot.crash = deserializeError(message[1]);
      return;
    }
    const job = slot.jobs[0];
    // The worker answers in order; replies to items taken back (SKIP) are ignored.
    if (job === undefined || job.id !== message[1]) return;
    this.#unassign(slot, job);
    if (message[0] === SKIP) {
      // Defensive: the worker refused an item we did not take back; run it elsewhere.
      this.#requeue(job);
    } else {
      const aborting = job.state === ABORTING;
      job.finish();
      if (aborting) job.reject(job.cancelError);
      else if (message[0] === OK) job.resolve(message[2]);
      else job.reject(deserializeError(message[2]));
    }
    this.#refill(slot);
  }

  #onExit(slot: Slot, code: number | null, error: unknown): void {
    if (!this.#slots.delete(slot)) return;
    slot.retired = true;
    const index = this.#idle.indexOf(slot);
    if (index !== -1) this.#idle.splice(index, 1);
    // Last first, so that requeued items keep their order at the head of the queue.
    for (const job of slot.jobs.slice().reverse()) {
      this.#unassign(slot, job);
      if (job.state === ABORTING) {
        job.finish();
        job.reject(job.cancelError);
      } else if (slot.channel.unclaimed(job.cell, job.id)) {
        this.#requeue(job);
      } else {
        const cause = error ?? slot.crash;
        const why = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : "";
        job.finish();
        job.reject(
          new BrokenWorkerError(
            `The ${this.kind} worker running task '${job.task.name}' exited with code ${String(code)} before returning a result${why}; the pool replaced it`,
            cause === undefined ? { exitCode: code } : { exitCode: code, cause },
          ),
        );
      }
    }
    this.#redistribute();
    // Replace the worker if there is work for it.
    while (this.#queued > 0 && this.#slots.size < this.#maxWorkers) {
      const fresh = this.#newSlot();
      this.#refill(fresh);
      if (fresh.jobs.length === 0) break;
    }
    this.#checkFinished();
  }

  /** Gives queued items to idle workers (after items were put back). */
  #redistribute(): void {
    while (this.#queued > 0) {
      const idle = this.#idle.pop();
      if (idle === undefined) break;
      this.#refill(idle);
    }
  }

  #cancel(job: Job, error: unknown): void {
    if (job.state === QUEUED) {
      this.#queued--;
      job.finish();
      job.reject(error);
      return;
    }
    if (job.state !== RUNNING) return;
    const slot = job.slot!;
    if (slot.channel.withdraw(job.cell, job.id)) {
      // Sent but not started: dropped at once, like a queued item (the worker will skip it).
      this.#unassign(slot, job);
      job.finish();
      job.reject(error);
      this.#refill(slot);
      return;
    }
    job.state = ABORTING;
    job.cancelError = error;
    job.leave();
    slot.channel.requestAbort(job.id);
    if (this.#grace === 0) this.#abandon(slot);
    else job.timer = setTimeout(() => this.#abandon(slot), this.#grace);
  }

  /** Terminates a worker whose cancelled item did not stop; its items sent ahead run elsewhere. */
  #abandon(slot: Slot): void {
    const taken = this.#withdrawAhead(slot, 0);
    for (let i = taken.length - 1; i >= 0; i--) this.#requeue(taken[i]!);
    // What is left was claimed by the worker, which runs its items one after another: the last
    // one is what it runs now. If that one was not cancelled, the cancelled item has ended and
    // its reply is on its way (the grace timer fired first on a busy event loop): killing the
    // worker now would fail an item nobody cancelled.
    if (slot.jobs.at(-1)?.state === RUNNING) {
      this.#redistribute();
      return;
    }
    this.#kill(slot);
    this.#redistribute();
  }

  #kill(slot: Slot): void {
    if (slot.retired) return;
    slot.retired = true;
    // Keep the process alive until the exit is seen, so shutdown() can report it.
    if (!slot.refed) {
      slot.refed = true;
      slot.channel.ref();
    }
    slot.channel.kill();
  }

  /** Fails every item that has not started: the queue, and items sent ahead not yet claimed. */
  #dropQueue(error: unknown): void {
    for (let job = this.#dequeue(); job !== undefined; job = this.#dequeue()) {
      job.finish();
      job.reject(error);
    }
    for (const slot of [...this.#slots]) {
      const taken = this.#withdrawAhead(slot, 0);
      for (const job of taken) {
        job.finish();
        job.reject(error);
      }
      // Its first item too was taken back before it started: nothing will come from this worker
      // (the SKIP it answers is ignored), so let it idle or retire now, or shutdown() waits forever.
      if (taken.length > 0 && slot.jobs.length === 0) this.#refill(slot);
    }
  }

  /** Cancels everything and terminates every worker (a cancelled `shutdown()`). */
  #terminate(error: unknown): void {
    this.#dropQueue(error);
    for (const slot of [...this.#slots]) {
      for (const job of slot.jobs) {
        if (job.state !== RUNNING) continue;
        job.state = ABORTING;
        job.cancelError = error;
        job.leave();
      }
      this.#kill(slot);
    }
  }

  #checkFinished(): void {
    if (this.#closed && this.#slots.size === 0 && this.#queued === 0) this.#resolveFinished?.();
  }
}
