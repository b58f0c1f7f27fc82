/**
 * The options and statistics of executors.
 * @module
 */

import type { TransferListItem } from "node:worker_threads";

/** Options shared by both pool kinds. */
export interface ExecutorOptions {
  /**
   * How many workers may run at once (they start on demand).
   * @default `min(32, CPUs + 4)` for threads, as Python's ThreadPoolExecutor (blocking calls
   * need more workers than CPUs); the number of CPUs for processes
   */
  maxWorkers?: number;
  /**
   * How long a running item that was cancelled may take to stop by itself (it sees the abort
   * through `taskSignal()`) before its worker is terminated, in milliseconds. `0` terminates at once.
   * @default 100
   */
  cancelGracePeriod?: number;
}

/** Options for {@link Executor.run}. */
export interface ExecutorRunOptions {
  /** Cancels the item, like cancelling the awaiting task does. */
  signal?: AbortSignal;
  /** Objects to move rather than copy (see also `transfer()`). */
  transfer?: readonly TransferListItem[];
}

/** Options for {@link Executor.shutdown}. */
export interface ShutdownOptions {
  /** Wait until pending items have run and every worker has exited. @default true */
  wait?: boolean;
  /** Drop the items still queued (they fail with `CancelledError`); running ones finish. @default false */
  cancelFutures?: boolean;
}

/** A snapshot of a pool's state, from {@link Executor.statistics}. */
export interface ExecutorStatistics {
  readonly maxWorkers: number;
  /** Live workers. */
  readonly workers: number;
  /** Live workers with nothing to do. */
  readonly idle: number;
  /** Items handed to workers: running, or sent ahead to a busy thread (see `Executor`). */
  readonly running: number;
  /** Items waiting for a worker. */
  readonly queued: number;
  /** True once `shutdown()` was called. */
  readonly closed: boolean;
}
