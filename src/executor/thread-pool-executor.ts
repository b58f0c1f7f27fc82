import { availableParallelism } from "node:os";
import { Worker, type ResourceLimits, type TransferListItem } from "node:worker_threads";
import { CLAIM_CELLS, Executor, type ExecutorOptions, type WorkerChannel, type WorkerEvents } from "./executor.js";
import { ABORT, type ToWorker } from "./_internal/protocol.js";
import { describeOption } from "./_internal/describe.js";
import { defaultExecArgv } from "./process-pool-executor.js";

/** Resolved from this module's own URL, so it works from an installed package too. */
const WORKER_URL = new URL("./_internal/thread-worker.js", import.meta.url);

/** Options for {@link ThreadPoolExecutor}. */
export interface ThreadPoolExecutorOptions extends ExecutorOptions {
  /** V8 heap limits for each worker thread (`new Worker(..., { resourceLimits })`). */
  resourceLimits?: ResourceLimits;
  /** A name for the worker threads, shown in debuggers and `--cpu-prof`. @default "taskio-worker" */
  name?: string;
}

class ThreadChannel implements WorkerChannel {
  readonly #worker: Worker;
  readonly pipelined = true;
  /** `[0]`: the id of the running item to abort; then the claim cells (see the runner). */
  readonly #flag = new Int32Array(new SharedArrayBuffer(4 * (1 + CLAIM_CELLS)));
  #error: unknown = undefined;

  constructor(events: WorkerEvents, options: ThreadPoolExecutorOptions) {
    const workerOptions: ConstructorParameters<typeof Worker>[1] = { workerData: { flag: this.#flag } };
    // Workers inherit the parent's flags, and Node drops those a worker may not have (a test
    // runner's child has dozens). Only a `node -e` script's `--input-type` breaks a worker's entry
    // module: then pass an explicit list, without it and without per-process flags.
    if (process.execArgv.some((arg) => /^--(input-type|eval|print)/.test(arg))) {
      workerOptions.execArgv = defaultExecArgv();
    }
    if (options.resourceLimits !== undefined) workerOptions.resourceLimits = options.resourceLimits;
    // `name` exists on Node 20's WorkerOptions at run time; older typings may lack it.
    (workerOptions as { name?: string }).name = options.name ?? "taskio-worker";
    const worker = (this.#worker = new Worker(WORKER_URL, workerOptions));
    worker.on("message", events.message);
    worker.on("error", (error) => {
      this.#error = error;
    });
    worker.on("exit", (code) => events.exit(code, this.#error));
  }

  send(message: ToWorker, transfer: TransferListItem[] | undefined): void {
    this.#worker.postMessage(message, transfer as never);
  }

  offer(cell: number, id: number): void {
    Atomics.store(this.#flag, 1 + cell, id);
  }

  withdraw(cell: number, id: number): boolean {
    return Atomics.compareExchange(this.#flag, 1 + cell, id, -id) === id;
  }

  unclaimed(cell: number, id: number): boolean {
    return Atomics.load(this.#flag, 1 + cell) === id;
  }

  requestAbort(id: number): void {
    Atomics.store(this.#flag, 0, id);
    this.#worker.postMessage([ABORT, id] satisfies ToWorker);
  }

  kill(): void {
    this.#worker.terminate().catch(() => {});
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }
}

/**
 * Runs tasks on a pool of worker threads. asyncio: `concurrent.futures.ThreadPoolExecutor` with
 * `loop.run_in_executor(pool, fn, *args)`.
 *
 * Unlike Python's threads, each worker is a separate JavaScript isolate: tasks run truly in
 * parallel (no GIL) but share no variables with the main thread, so work is named with
 * `defineTask` and its arguments and results are structured-cloned. Workers start on demand,
 * run one item at a time, and are replaced if they crash or exit. Idle workers do not keep the
 * process alive.
 *
 * @example The seed's section 5: two blocking calls at once take 2 s, not 3 s
 * ```ts
 * await using pool = new ThreadPoolExecutor();
 * const results = await gather(runInExecutor(pool, blockingIo, 1), runInExecutor(pool, blockingIo, 2));
 * console.log("Blocking results:", results);
 * ```
 */
export class ThreadPoolExecutor extends Executor {
  readonly kind = "thread";

  /**
   * @param options `maxWorkers` (default: `min(32, CPUs + 4)`, as Python), `cancelGracePeriod`, `resourceLimits`, `name`.
   * @throws {RangeError} When `maxWorkers` is not a positive integer or `cancelGracePeriod` is negative.
   * @throws {TypeError} When `options`, `name` or `resourceLimits` has the wrong type.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    if (options !== null && typeof options === "object") {
      const { name, resourceLimits } = options;
      if (name !== undefined && (typeof name !== "string" || name.length === 0)) {
        throw new TypeError(`Expected 'name' to be a non-empty string: received ${describeOption(name)}`);
      }
      if (resourceLimits !== undefined && (resourceLimits === null || typeof resourceLimits !== "object")) {
        throw new TypeError(`Expected 'resourceLimits' to be an object such as { maxOldGenerationSizeMb: 256 }: received ${describeOption(resourceLimits)}`);
      }
    }
    super(options, Math.min(32, availableParallelism() + 4), (events) => new ThreadChannel(events, options));
  }
}
