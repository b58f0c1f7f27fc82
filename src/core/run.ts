import { realClock, type Clock } from "./clock.js";
import { als, flushRunFailures, reportException, REJECTED, RunContext, Task, type TaskObserver } from "./task.js";

/** Options for {@link run}. */
export interface RunOptions {
  /**
   * Debug mode: remember where each task was created, warn when the event loop is blocked longer
   * than `slowCallbackDuration`, and name the task in reports of errors nobody retrieved.
   * Also turned on by the environment variable `TASKIO_DEBUG=1`.
   * @default false
   */
  debug?: boolean;
  /** The clock for every timer in this run: pass a `MockClock` for virtual time. @default the real clock */
  clock?: Clock;
  /** The name of the root task. @default "main" */
  name?: string;
  /**
   * Handle Ctrl-C: the first SIGINT cancels `main` (its `finally` blocks run) and, once the run
   * has wound down, the process exits with code 130; a second SIGINT exits at once.
   * @default true
   */
  handleSigint?: boolean;
  /**
   * After a Ctrl-C has wound the run down, exit the process with code 130 (as Python does). With
   * `false`, `run()` rejects with the root task's `CancelledError` instead (its `cause` says
   * SIGINT), so a command can print a summary and choose its own exit code.
   * @default true
   */
  exitOnSigint?: boolean;
  /** Debug mode's threshold for a blocked event loop, in milliseconds. @default 100 */
  slowCallbackDuration?: number;
}

/** Hooks that debug tooling installs for the life of a run. @internal */
export interface RunHooks {
  startDebug?: (run: RunContext, options: RunOptions) => () => void;
}

/** @internal */
export const runHooks: RunHooks = {};

class Completion implements TaskObserver {
  resolve!: () => void;
  readonly promise = new Promise<void>((resolve) => {
    this.resolve = resolve;
  });
  pending = 0;
  _taskDone(): void {
    if (--this.pending === 0) this.resolve();
  }
}

/**
 * Registers `hook` to run when the current `run()` ends (after its tasks have finished), such as
 * closing a default executor. Outside a run, the hook is not registered and `false` is returned.
 * @internal
 */
export function onRunExit(hook: () => void | Promise<void>): boolean {
  const run = als.getStore()?._run;
  if (run === undefined) return false;
  run._exitHooks.push(hook);
  return true;
}

/**
 * Runs `main` as the root task and returns its result. asyncio: `asyncio.run()`.
 *
 * When `main` returns, every task still running under it is cancelled and awaited; errors of
 * tasks that nobody awaited are reported through the exception handler; the hooks of default
 * executors run. Ctrl-C cancels `main` gracefully (see {@link RunOptions.handleSigint}).
 *
 * Several `run()` calls may live in one process (each test can use its own): each owns the tasks
 * created under it, and only those.
 *
 * @example The seed's first example
 * ```ts
 * await run(async () => {
 *   const results = await gather(() => worker("A", 1500), () => worker("B", 1000), () => worker("C", 500));
 *   console.log("Results:", results);
 * });
 * ```
 */
export async function run<T>(main: () => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
  if (typeof main !== "function") {
    throw new TypeError(`Expected 'main' to be a function returning a promise: received ${typeof main}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Expected 'options' to be an object: received ${typeof options}`);
  }
  const clock = options.clock ?? realClock;
  if (typeof clock.now !== "function" || typeof clock.setTimer !== "function") {
    throw new TypeError("Expected 'clock' to implement now(), setTimer() and clearTimer()");
  }
  const debug = options.debug ?? (process.env["TASKIO_DEBUG"] === "1" || process.env["TASKIO_DEBUG"] === "true");
  const context = new RunContext(clock, debug);
  const stopDebug = debug && runHooks.startDebug !== undefined ? runHooks.startDebug(context, options) : undefined;

  let interrupted = 0;
  let root: Task<T> | undefined;
  const onSigint = (): void => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    root?.cancel(new Error("interrupted (SIGINT)"));
  };
  const handleSigint = options.handleSigint ?? true;
  if (handleSigint) process.on("SIGINT", onSigint);

  try {
    // The root task has no parent: the run context is its node, and every task under it.
    root = new Task(main, options.name ?? "main", undefined, context, 0);
    const done = new Completion();
    done.pending = 1;
    root._observe(done, 0);
    await done.promise;

    // Cancel and await what is left, until nothing is (a cancelled task may start others).
    while (context._firstChild !== undefined) {
      const leftovers: Task<unknown>[] = [];
      collectAll(context, leftovers);
      const wait = new Completion();
      wait.pending = leftovers.length;
      // Cancel each leftover once: a parent's cancel already reaches its (unshielded) children,
      // and a second CancelledError would interrupt their cleanup.
      const before = leftovers.map((task) => task._cancelRequests);
      leftovers.forEach((task, index) => {
        if (task._cancelRequests === before[index]) task.cancel("run() is finishing");
      });
      for (const task of leftovers) {
        const keepRetrieved = task._retrieved;
        task._observe(wait, 0);
        // Observing here is not retrieving: a leftover's real failure must still be reported.
        if (!keepRetrieved) task._retrieved = false;
      }
      await wait.promise;
      for (const task of leftovers) {
        if (task._state === REJECTED && !task._retrieved) task._rememberFailure();
      }
    }
    for (const hook of context._exitHooks.splice(0)) {
      try {
        await hook();
      } catch (error) {
        reportException({ message: "A run() exit hook failed", error });
      }
    }
    flushRunFailures(context);
  } finally {
    if (handleSigint) process.removeListener("SIGINT", onSigint);
    stopDebug?.();
  }
  if (interrupted > 0 && (options.exitOnSigint ?? true)) {
    // Ctrl-C: main's finally blocks have run and the tasks are wound down; exit like Python does.
    process.exit(130);
  }
  return root.result();
}

function collectAll(node: { _firstChild: Task<unknown> | undefined }, into: Task<unknown>[]): void {
  for (let task = node._firstChild; task !== undefined; task = task._nextSibling) {
    into.push(task);
    collectAll(task, into);
  }
}
