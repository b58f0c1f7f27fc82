/**
 * The pieces of an executor's bookkeeping: the worker channel contract, items (`Job`) and
 * workers (`Slot`).
 * @module
 */

import type { TransferListItem } from "node:worker_threads";
import { CancelledError } from "../../errors.js";
import { Waiter } from "../../core/task.js";
import type { TaskHandle } from "../define-task.js";
import type { Executor } from "../executor.js";
import type { FromWorker, ToWorker } from "./protocol.js";

/** What an executor needs from a worker (a thread or a child process). @internal */
export interface WorkerChannel {
  /**
   * True when the worker can be handed a second item while it runs one (threads: the items
   * are claimed through shared memory, so one not yet started can be taken back).
   */
  readonly pipelined: boolean;
  send(message: ToWorker, transfer: TransferListItem[] | undefined): void;
  /** Before sending item `id`: make it claimable by the worker through `cell`. */
  offer(cell: number, id: number): void;
  /** Takes item `id` back if the worker has not started it. True on success. */
  withdraw(cell: number, id: number): boolean;
  /** True if the worker never claimed item `id` (asked after its exit). */
  unclaimed(cell: number, id: number): boolean;
  /** Ask the running item `id` to stop (its signal aborts). */
  requestAbort(id: number): void;
  /** Stop the worker now; `WorkerEvents.exit` follows. */
  kill(): void;
  ref(): void;
  unref(): void;
}

/** Thrown by `WorkerChannel.send` when the worker is already gone. @internal */
export class WorkerGone extends Error {}

/** What a worker reports. @internal */
export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The worker is gone (`error`: the uncaught error that killed it, if known). */
  exit(code: number | null, error: unknown): void;
}

/** Creates a worker. @internal */
export type Spawn = (events: WorkerEvents) => WorkerChannel;

export const QUEUED = 0;
export const RUNNING = 1;
export const ABORTING = 2;
export const DONE = 3;

/** The executor's cancel path, installed by `Executor` (its private fields live there). */
let cancelJob: (executor: Executor, job: Job, error: unknown) => void = () => {};

/** @internal */
export function setCancelJob(fn: (executor: Executor, job: Job, error: unknown) => void): void {
  cancelJob = fn;
}

/** One call of a task: a waiter of the awaiting task, queued or held by a worker. @internal */
export class Job extends Waiter {
  state = QUEUED;
  slot: Slot | undefined = undefined;
  next: Job | undefined = undefined;
  /** The claim cell it was offered through (pipelined channels). */
  cell = 0;
  /** The grace timer of a cancelled running item. */
  timer: NodeJS.Timeout | undefined = undefined;
  cancelError: unknown = undefined;
  signal: AbortSignal | undefined = undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  constructor(
    readonly executor: Executor,
    readonly id: number,
    readonly task: TaskHandle<unknown[], unknown>,
    readonly args: unknown[],
    readonly transfer: TransferListItem[] | undefined,
  ) {
    super();
  }
  onCancel(error: CancelledError): void {
    cancelJob(this.executor, this, error);
  }
  handleEvent(): void {
    this.leave();
    cancelJob(this.executor, this, this.signal?.reason ?? new CancelledError("The operation was aborted"));
  }
  finish(): void {
    this.state = DONE;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.leave();
    this.signal?.removeEventListener("abort", this);
    this.signal = undefined;
  }
  describe(): string {
    return `${this.executor.kind} executor (task '${this.task.name}', ${this.state === QUEUED ? "queued" : "running"})`;
  }
}

/**
 * How many items a pipelined worker may hold: the one it runs and the ones sent ahead. Enough
 * to cover the main thread being descheduled for a few items' time on a loaded machine.
 * @internal
 */
export const PIPELINE_DEPTH = 4;
/** Claim cells per pipelined worker: one more than its items, so a free one always exists. @internal */
export const CLAIM_CELLS = PIPELINE_DEPTH + 1;

/** One worker and the items it holds. @internal */
export class Slot {
  channel!: WorkerChannel;
  /** Its items in the order sent: `jobs[0]` runs (or is about to); the rest were sent ahead. */
  readonly jobs: Job[] = [];
  capacity = 1;
  refed = true;
  crash: unknown = undefined;
  retired = false;
  /** Listed in the executor's `#open` (may take a `next`). */
  listed = false;
}
