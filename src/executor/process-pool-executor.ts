import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Executor, WorkerGone, type ExecutorOptions, type WorkerChannel, type WorkerEvents } from "./executor.js";
import { ABORT, type FromWorker, type ToWorker } from "./_internal/protocol.js";
import { describeOption } from "./_internal/describe.js";

/** Resolved from this module's own URL, so it works from an installed package too. */
const WORKER_PATH = fileURLToPath(new URL("./_internal/process-worker.js", import.meta.url));

/** Options for {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions extends ExecutorOptions {
  /**
   * Node options for the children. @default the parent's `process.execArgv` without `--test*`,
   * `--inspect*`, `--watch*` and `--input-type` flags (loaders such as `--import tsx` are kept)
   */
  execArgv?: readonly string[];
  /** The children's environment. @default `process.env` */
  env?: NodeJS.ProcessEnv;
}

/**
 * The parent's Node flags, less those that make no sense in a worker: the test runner's
 * (`--test*`, which on Node 24 keep a worker from starting under `node --test`), the
 * inspector's, watch mode, and a `node -e` script's `--input-type`. Loaders are kept.
 * @internal
 */
export function defaultExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^--(test|inspect|watch|experimental-test|input-type|eval|print)/.test(arg));
}

class ProcessChannel implements WorkerChannel {
  /** No shared memory to take an item back with: one item at a time. */
  readonly pipelined = false;
  readonly #child: ChildProcess;
  #exited = false;

  constructor(events: WorkerEvents, options: ProcessPoolExecutorOptions) {
    const child = (this.#child = fork(WORKER_PATH, [], {
      execArgv: options.execArgv === undefined ? defaultExecArgv() : [...options.execArgv],
      env: options.env ?? process.env,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }));
    child.on("message", (message) => events.message(message as FromWorker));
    let spawnError: unknown = undefined;
    child.on("error", (error) => {
      // Spawning failed (no 'exit' follows then), or a send to a dead child failed.
      spawnError ??= error;
      if (child.pid === undefined && !this.#exited) {
        this.#exited = true;
        events.exit(null, error);
      }
    });
    child.on("exit", (code, signal) => {
      if (this.#exited) return;
      this.#exited = true;
      events.exit(code ?? (signal === null ? null : -1), spawnError);
    });
  }

  send(message: ToWorker): void {
    if (!this.#child.connected) throw new WorkerGone("The child process is no longer connected");
    this.#child.send(message);
  }

  offer(): void {}

  withdraw(): boolean {
    return false;
  }

  unclaimed(): boolean {
    return false;
  }

  requestAbort(id: number): void {
    if (this.#child.connected) this.#child.send([ABORT, id] satisfies ToWorker);
  }

  kill(): void {
    this.#child.kill("SIGKILL");
  }

  ref(): void {
    this.#child.ref();
    (this.#child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  unref(): void {
    this.#child.unref();
    (this.#child.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}

/**
 * Runs tasks in a pool of child Node processes. asyncio: `concurrent.futures.ProcessPoolExecutor`.
 *
 * Each child imports the task's module by URL (as Python's workers unpickle a function by module
 * and name). Arguments and results cross the IPC channel with V8's serializer (structured clone);
 * transfer lists are copied. A child that crashes or exits fails only its own item and is
 * replaced, unlike Python's `BrokenProcessPool`. Cancelling a running item aborts its
 * `taskSignal()` and, after `cancelGracePeriod`, kills the child with SIGKILL.
 * Idle children do not keep the process alive.
 *
 * @example CPU-bound work on two processes
 * ```ts
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * const counts = await gather(runInExecutor(pool, countPrimes, 2e6), runInExecutor(pool, countPrimes, 3e6));
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  readonly kind = "process";

  /**
   * @param options `maxWorkers` (default: the number of CPUs), `cancelGracePeriod`, `execArgv`, `env`.
   * @throws {RangeError} When `maxWorkers` is not a positive integer or `cancelGracePeriod` is negative.
   * @throws {TypeError} When `options`, `execArgv` or `env` has the wrong type.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    if (options !== null && typeof options === "object") {
      const { execArgv, env } = options;
      if (execArgv !== undefined && (!Array.isArray(execArgv) || execArgv.some((arg) => typeof arg !== "string"))) {
        throw new TypeError(`Expected 'execArgv' to be an array of strings such as ["--max-old-space-size=256"]: received ${describeOption(execArgv)}`);
      }
      if (env !== undefined && (env === null || typeof env !== "object")) {
        throw new TypeError(`Expected 'env' to be an object of environment variables: received ${describeOption(env)}`);
      }
    }
    super(options, availableParallelism(), (events) => new ProcessChannel(events, options));
  }
}
