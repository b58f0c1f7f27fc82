/**
 * The task: taskio's unit of concurrent work, and the home of its cancellation model.
 *
 * Why it is built this way (see DESIGN.md, "The cancellation model"):
 *
 * - **Finding the current task.** One `AsyncLocalStorage` whose store is the running `Task`. It is
 *   entered once per task (when the body starts) and never per await. Where Node implements
 *   `AsyncLocalStorage` with async context frames (Node 24's default), `als.run` allocates two
 *   frames (a copy of the current frame with the task, then another copy to restore the
 *   caller's); the body is started instead inside an `AsyncResource`'s scope, which restores the
 *   caller's frame object as it was, so one frame is allocated per task (~35 % less per task).
 * - **Delivering cancellation.** A task keeps the taskio awaits it is suspended in on an intrusive
 *   list of {@link Waiter}s (asyncio keeps one `_fut_waiter`; a JS task may await several things
 *   at once, so here it is a list). `cancel()` rejects every pending waiter with
 *   `CancelledError`; a task with no pending waiter gets the error at its next taskio await. No
 *   `AbortController` and no abort listener exist per await: the task's `AbortSignal` is created
 *   only when somebody reads `task.signal`.
 * - **Structured.** Each task is linked into its parent's list of children (intrusive, O(1)
 *   insert and remove, no registry `Set`). Cancelling a task cancels its children first. A task
 *   that finishes hands its still-running children to its own parent, so a `run()` root always
 *   reaches every task created under it.
 * - **Errors never vanish.** A task that fails while nobody observes it is remembered; if its
 *   error is never retrieved it is reported through the exception handler (when the task is
 *   garbage-collected, when its `run()` ends, or at process exit, whichever comes first).
 *
 * @module
 */

import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import { CancelledError, InvalidStateError } from "../errors.js";
import { realClock, type Clock } from "./clock.js";

/** @internal The one store that tells every taskio await which task it belongs to. */
export const als = new AsyncLocalStorage<Task<unknown>>();

/**
 * Whether this Node implements `AsyncLocalStorage` with async context frames (Node 24 and later
 * unless started with `--no-async-context-frame`; Node 22 and 23 with
 * `--experimental-async-context-frame`). Only a matter of speed: both ways of starting a task's
 * body are correct under either implementation.
 */
const contextFrames = ((): boolean => {
  const major = Number(process.versions.node.split(".")[0]);
  const flags = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  if (major >= 24) return !flags.includes("--no-async-context-frame");
  if (major >= 22) return flags.includes("--experimental-async-context-frame");
  return false;
})();

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;
const CANCELLED = 3;
type State = typeof PENDING | typeof FULFILLED | typeof REJECTED | typeof CANCELLED;

const STATE_NAMES = ["pending", "finished", "failed", "cancelled"] as const;

/**
 * A pending taskio await, linked into its task's list while it waits.
 *
 * Primitives subclass it: `onCancel` must undo the wait (clear the timer, leave the queue) and
 * reject the awaiting promise. `what` says what is waited on, for `dumpTasks()`.
 * @internal
 */
export abstract class Waiter {
  _task: Task<unknown> | undefined = undefined;
  _prev: Waiter | undefined = undefined;
  _next: Waiter | undefined = undefined;

  /** Called at most once, when the owning task is cancelled while this waiter is linked. */
  abstract onCancel(error: CancelledError): void;

  /** A short description of what is awaited, such as `sleep(1000 ms)`. */
  abstract describe(): string;

  /** Unlinks this waiter from its task (after it was woken normally). Safe to call twice. */
  leave(): void {
    const task = this._task;
    if (task === undefined) return;
    this._task = undefined;
    const prev = this._prev;
    const next = this._next;
    if (prev === undefined) task._waiters = next;
    else prev._next = next;
    if (next !== undefined) next._prev = prev;
    this._prev = this._next = undefined;
  }
}

/** @internal Something that is told when a task finishes (gather, TaskGroup, waitFor...). */
export interface TaskObserver {
  _taskDone(task: Task<unknown>, slot: number): void;
}

/** @internal A node that tasks hang from: a task, a run() context, or the process-wide root. */
export interface ParentNode {
  _firstChild: Task<unknown> | undefined;
}

/** @internal The exception-handler context: see `setExceptionHandler`. */
export interface ExceptionContext {
  /** A one-line description, such as `Task exception was never retrieved`. */
  message: string;
  /** The error itself. */
  error: unknown;
  /** The task's name, when the error belongs to a task. */
  taskName?: string;
  /** Where the task was created (debug mode only). */
  creationStack?: string;
}

/** Where errors that nobody retrieved go. */
export type ExceptionHandler = (context: ExceptionContext) => void;

function defaultExceptionHandler(context: ExceptionContext): void {
  const error = context.error;
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  let text = `taskio: ${context.message}`;
  if (context.taskName !== undefined) text += ` (task '${context.taskName}')`;
  text += `\n${detail}\n`;
  if (context.creationStack !== undefined) text += `Task created at:\n${context.creationStack}\n`;
  process.stderr.write(text);
}

let exceptionHandler: ExceptionHandler = defaultExceptionHandler;

/**
 * Sets where errors that nobody retrieved go: failed tasks that were never awaited, errors in
 * server connection handlers, and the like. asyncio: `loop.set_exception_handler`.
 *
 * The default writes one clear report to stderr naming the task. Passing `undefined` restores it.
 * A handler that throws is itself reported on stderr; it never crashes the process.
 *
 * @returns The previous handler.
 */
export function setExceptionHandler(handler: ExceptionHandler | undefined): ExceptionHandler {
  if (handler !== undefined && typeof handler !== "function") {
    throw new TypeError(`Expected 'handler' to be a function or undefined: received ${typeof handler}`);
  }
  const previous = exceptionHandler;
  exceptionHandler = handler ?? defaultExceptionHandler;
  return previous;
}

/** Reports an error through the current exception handler. @internal */
export function reportException(context: ExceptionContext): void {
  try {
    exceptionHandler(context);
  } catch (handlerError) {
    defaultExceptionHandler({ message: "The exception handler threw", error: handlerError });
    defaultExceptionHandler(context);
  }
}

/** What is remembered of a failed task whose error nobody has observed yet. @internal */
interface FailRecord {
  message: string;
  error: unknown;
  taskName: string;
  creationStack: string | undefined;
  done: boolean;
  run: RunContext | undefined;
}

function flushRecord(record: FailRecord): void {
  if (record.done) return;
  record.done = true;
  record.run?._failures.delete(record);
  globalFailures.delete(record);
  const context: ExceptionContext = {
    message: record.message,
    error: record.error,
    taskName: record.taskName,
  };
  if (record.creationStack !== undefined) context.creationStack = record.creationStack;
  reportException(context);
}

const globalFailures = new Set<FailRecord>();
let exitHookInstalled = false;
const failureRegistry = new FinalizationRegistry<FailRecord>(flushRecord);

/**
 * What one `run()` shares with every task created under it: its clock, its debug flag, the
 * failures not yet retrieved, and the hooks to call when it ends (default executors...).
 * @internal
 */
export class RunContext implements ParentNode {
  _firstChild: Task<unknown> | undefined = undefined;
  readonly _failures = new Set<FailRecord>();
  readonly _exitHooks: (() => void | Promise<void>)[] = [];
  constructor(
    readonly clock: Clock,
    readonly debug: boolean,
  ) {}
}

/** The process-wide parent of tasks created outside any task. @internal */
export const globalRoot: ParentNode = { _firstChild: undefined };

let nextTaskId = 1;

/** `_flags` bits. SHIELDED (1) is shared with the constructor's flags. */
const F_MUST_CANCEL = 4;
const F_RETRIEVED = 8;

/** Creation times are kept as small integers (no boxed double per task): ms since this module loaded. */
const epoch = Date.now();

const envDebug = process.env["TASKIO_DEBUG"] === "1" || process.env["TASKIO_DEBUG"] === "true";

/** Options for {@link createTask}. */
export interface CreateTaskOptions {
  /** A name for logs and `dumpTasks()`. @default `Task-N` */
  name?: string;
}

/** @internal Task flag: a parent's cancellation does not propagate into this task (shield). */
export const SHIELDED = 1;
/** @internal Task flag: start with a cancellation pending (a task started in a group that is shutting down). */
export const PRECANCELLED = 2;

/**
 * What a task needs only on rare paths, kept out of the task itself so that the common task
 * stays small (100,000 tasks are 100,000 of these objects: their size is GC time).
 * @internal
 */
class TaskExtra<T> {
  cancelRequests = 0;
  cancelReason: unknown = undefined;
  moreObservers: (TaskObserver | number)[] | undefined = undefined;
  promise: Promise<T> | undefined = undefined;
  failRecord: FailRecord | undefined = undefined;
  controller: AbortController | undefined = undefined;
  creationStack: string | undefined = undefined;
}

/**
 * A unit of concurrent work, created by {@link createTask}, `TaskGroup.createTask`, `gather`...
 * asyncio: `asyncio.Task`.
 *
 * A task is a `PromiseLike`: `await task` gives its result or throws its error. Awaiting a task
 * from inside another task is a taskio await: if the awaiting task is cancelled, the awaited task
 * is cancelled too and the awaiting task resumes with `CancelledError` once it has finished (as
 * in asyncio). Unlike asyncio, the body starts running at once (eagerly) up to its first await.
 *
 * @example Creating, naming, awaiting and cancelling a task
 * ```ts
 * const task = createTask(async () => { await sleep(1000); return 42; }, { name: "answer" });
 * task.cancel();
 * try { await task; } catch (error) { console.log(isCancelled(error)); } // true
 * ```
 */
export class Task<T> implements PromiseLike<T>, ParentNode {
  /** @internal The given name, or the task's number (named `Task-N` on demand). */ _name: string | number;

  /** @internal */ _state: State = PENDING;
  /** @internal */ _value: unknown = undefined;
  /** @internal */ _waiters: Waiter | undefined = undefined;
  /** @internal SHIELDED | F_MUST_CANCEL | F_RETRIEVED */ _flags: number;
  /** @internal */ _node: ParentNode;
  /** @internal */ _firstChild: Task<unknown> | undefined = undefined;
  /** @internal */ _prevSibling: Task<unknown> | undefined = undefined;
  /** @internal */ _nextSibling: Task<unknown> | undefined = undefined;
  /** @internal */ _run: RunContext | undefined;
  /** @internal */ _observer: TaskObserver | undefined = undefined;
  /** @internal */ _observerSlot = 0;
  /** @internal */ readonly _createdAt: number;
  /** @internal */ _x: TaskExtra<T> | undefined = undefined;

  /**
   * @internal Use {@link createTask}. Positional parameters, not an options object: this runs
   * once per task and an object per call is measurable at 100,000 tasks.
   */
  constructor(
    fn: () => T | PromiseLike<T>,
    name: string | undefined,
    parent: Task<unknown> | undefined,
    runContext: RunContext | undefined,
    flags: number,
  ) {
    const run = runContext ?? parent?._run;
    this._name = name ?? nextTaskId++;
    this._run = run;
    this._flags = flags & SHIELDED;
    // Date.now() costs a fraction of performance.now() on Node 20, and a task's age needs no
    // more than millisecond resolution. A virtual clock is asked directly.
    this._createdAt = run === undefined || run.clock === realClock ? Date.now() - epoch : run.clock.now();
    if (run === undefined ? envDebug : run.debug) this._extra().creationStack = captureStack();
    const node: ParentNode = parent ?? run ?? globalRoot;
    this._node = node;
    const first = node._firstChild;
    if (first !== undefined) {
      first._prevSibling = this;
      this._nextSibling = first;
    }
    node._firstChild = this;
    if ((flags & PRECANCELLED) !== 0) {
      this._extra().cancelRequests = 1;
      this._flags |= F_MUST_CANCEL;
    }

    try {
      if (contextFrames) new AsyncResource("taskio.Task").runInAsyncScope(enterAndStart, null, this, fn);
      else als.run(this, startBody, this, fn);
    } catch (error) {
      this._settle(REJECTED, error);
    }
  }

  /** The task's name: `Task-N` unless one was given. May be reassigned. */
  get name(): string {
    const name = this._name;
    return typeof name === "string" ? name : `Task-${name}`;
  }

  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`Expected 'name' to be a string: received ${typeof value}`);
    this._name = value;
  }

  /** @internal The parent task (the node the task hangs from, when that is a task). */
  get _parent(): Task<unknown> | undefined {
    const node = this._node;
    return node instanceof Task ? node : undefined;
  }

  /** @internal */
  get _cancelRequests(): number {
    const extra = this._x;
    return extra === undefined ? 0 : extra.cancelRequests;
  }

  /** @internal Whether somebody has looked at (or will look at) the outcome. */
  get _retrieved(): boolean {
    return (this._flags & F_RETRIEVED) !== 0;
  }

  set _retrieved(value: boolean) {
    if (value) this._flags |= F_RETRIEVED;
    else this._flags &= ~F_RETRIEVED;
  }

  /** @internal */
  _extra(): TaskExtra<T> {
    return (this._x ??= new TaskExtra<T>());
  }

  // ----- state -----------------------------------------------------------------------------

  /** True once the task has finished, failed or been cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** True when the task ended by cancellation. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The number of pending cancellation requests (asyncio: `Task.cancelling()`): 0 if nobody has
   * asked this task to stop.
   */
  cancelling(): number {
    return this._cancelRequests;
  }

  /**
   * The task's return value.
   * @throws {InvalidStateError} if the task has not finished.
   * @throws {CancelledError} if the task was cancelled.
   * @throws the task's own error if it failed.
   */
  result(): T {
    this._markRetrieved();
    switch (this._state) {
      case FULFILLED:
        return this._value as T;
      case PENDING:
        throw new InvalidStateError(`Task '${this.name}' has not finished: await it before reading result()`);
      default:
        throw this._value;
    }
  }

  /**
   * The task's error, or `undefined` if it finished normally.
   * @throws {InvalidStateError} if the task has not finished.
   * @throws {CancelledError} if the task was cancelled (as asyncio does).
   */
  exception(): unknown {
    this._markRetrieved();
    switch (this._state) {
      case FULFILLED:
        return undefined;
      case REJECTED:
        return this._value;
      case CANCELLED:
        throw this._value;
      default:
        throw new InvalidStateError(`Task '${this.name}' has not finished: await it before reading exception()`);
    }
  }

  // ----- cancellation ----------------------------------------------------------------------

  /**
   * Asks the task to stop. Its children are cancelled first; then every taskio await the task is
   * suspended in rejects with `CancelledError` (or, if it is not suspended, its next taskio await
   * does), and its `signal` aborts.
   *
   * @param reason Kept as the `CancelledError`'s message detail (a string) or `cause` (anything else).
   * @returns `false` if the task had already finished (nothing changes), `true` otherwise.
   */
  cancel(reason?: unknown): boolean {
    if (this._state !== PENDING) return false;
    const extra = this._extra();
    extra.cancelRequests++;
    if (extra.cancelReason === undefined) extra.cancelReason = reason;
    // Children first, so a parent's cleanup never races its children's.
    let child = this._firstChild;
    while (child !== undefined) {
      const next = child._nextSibling;
      if ((child._flags & SHIELDED) === 0) child.cancel(reason);
      child = next;
    }
    const error = this._cancelError(reason);
    let waiter = this._waiters;
    if (waiter === undefined) {
      this._flags |= F_MUST_CANCEL;
    } else {
      this._waiters = undefined;
      while (waiter !== undefined) {
        const next: Waiter | undefined = waiter._next;
        waiter._task = undefined;
        waiter._prev = waiter._next = undefined;
        waiter.onCancel(error);
        waiter = next;
      }
    }
    const controller = extra.controller;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(error);
    return true;
  }

  /**
   * @internal Cancels unless the task was already asked to stop. Structures (gather, groups,
   * deadlines) use it: when the caller's cancellation has already reached a child through the
   * tree, a second request would interrupt the child's cleanup with another CancelledError.
   */
  _cancelOnce(reason?: unknown): void {
    if (this._state === PENDING && this._cancelRequests === 0) this.cancel(reason);
  }

  /** @internal */
  _cancelError(reason: unknown): CancelledError {
    if (reason === undefined) return new CancelledError(`Task '${this.name}' was cancelled`);
    if (typeof reason === "string") return new CancelledError(`Task '${this.name}' was cancelled: ${reason}`);
    return new CancelledError(`Task '${this.name}' was cancelled`, { cause: reason });
  }

  /**
   * An `AbortSignal` that aborts when the task is cancelled, for APIs that take one (`fetch`,
   * `fs`, `timers/promises`, `events.once`...). Created on first access only: tasks that never
   * read it pay nothing for it. Its `reason` is the task's `CancelledError`.
   */
  get signal(): AbortSignal {
    const extra = this._extra();
    let controller = extra.controller;
    if (controller === undefined) {
      controller = extra.controller = new AbortController();
      if (this._state === CANCELLED) controller.abort(this._value);
      else if (this._cancelRequests > 0) controller.abort(this._cancelError(extra.cancelReason));
    }
    return controller.signal;
  }

  /**
   * @internal Links `waiter` to this task. Throws `CancelledError` instead when a cancellation
   * is waiting to be delivered (and consumes it, as asyncio delivers one cancel once).
   */
  _enter(waiter: Waiter): void {
    if ((this._flags & F_MUST_CANCEL) !== 0) {
      this._flags &= ~F_MUST_CANCEL;
      throw this._cancelError(this._x?.cancelReason);
    }
    waiter._task = this;
    const head = this._waiters;
    if (head !== undefined) {
      head._prev = waiter;
      waiter._next = head;
    }
    this._waiters = waiter;
  }

  /** @internal Throws the pending cancellation, if any, without linking anything. */
  _checkpoint(): void {
    if ((this._flags & F_MUST_CANCEL) !== 0) {
      this._flags &= ~F_MUST_CANCEL;
      throw this._cancelError(this._x?.cancelReason);
    }
  }

  // ----- completion ------------------------------------------------------------------------

  /** @internal */
  _settle(state: State, value: unknown): void {
    if (this._state !== PENDING) return;
    if (state === REJECTED && value instanceof CancelledError) state = CANCELLED;
    this._state = state;
    this._value = value;
    this._flags &= ~F_MUST_CANCEL;
    // Leave the tree; hand still-running children to our own parent so they stay reachable.
    const node = this._node;
    const prev = this._prevSibling;
    const next = this._nextSibling;
    if (prev === undefined) node._firstChild = next;
    else prev._nextSibling = next;
    if (next !== undefined) next._prevSibling = prev;
    this._prevSibling = this._nextSibling = undefined;
    let child = this._firstChild;
    if (child !== undefined) {
      this._firstChild = undefined;
      while (child !== undefined) {
        const following: Task<unknown> | undefined = child._nextSibling;
        child._node = node;
        child._prevSibling = undefined;
        const head = node._firstChild;
        child._nextSibling = head;
        if (head !== undefined) head._prevSibling = child;
        node._firstChild = child;
        child = following;
      }
    }
    const extra = this._x;
    if (state === CANCELLED && extra?.controller !== undefined && !extra.controller.signal.aborted) {
      extra.controller.abort(value);
    }
    const observer = this._observer;
    if (observer !== undefined) {
      this._observer = undefined;
      observer._taskDone(this, this._observerSlot);
      const more = extra?.moreObservers;
      if (more !== undefined && extra !== undefined) {
        extra.moreObservers = undefined;
        for (let i = 0; i < more.length; i += 2) {
          (more[i] as TaskObserver)._taskDone(this, more[i + 1] as number);
        }
      }
    } else if (state === REJECTED && !this._retrieved) {
      this._rememberFailure();
    }
  }

  /** @internal */
  _rememberFailure(): void {
    const record: FailRecord = {
      message: "Task exception was never retrieved",
      error: this._value,
      taskName: this.name,
      creationStack: this._x?.creationStack,
      done: false,
      run: this._run,
    };
    this._extra().failRecord = record;
    failureRegistry.register(this, record, this);
    if (this._run !== undefined) {
      this._run._failures.add(record);
    } else {
      globalFailures.add(record);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once("exit", () => {
          for (const pending of [...globalFailures]) flushRecord(pending);
        });
      }
    }
  }

  /** @internal */
  _markRetrieved(): void {
    this._flags |= F_RETRIEVED;
    const extra = this._x;
    const record = extra?.failRecord;
    if (record !== undefined && extra !== undefined) {
      extra.failRecord = undefined;
      record.done = true;
      record.run?._failures.delete(record);
      globalFailures.delete(record);
      failureRegistry.unregister(this);
    }
  }

  /**
   * @internal Calls `observer._taskDone(task, slot)` once the task is done (at once if it is).
   * Observing a task counts as retrieving its error.
   */
  _observe(observer: TaskObserver, slot: number): void {
    this._markRetrieved();
    if (this._state !== PENDING) {
      observer._taskDone(this, slot);
    } else if (this._observer === undefined) {
      this._observer = observer;
      this._observerSlot = slot;
    } else {
      (this._extra().moreObservers ??= []).push(observer, slot);
    }
  }

  /** @internal Removes an observer added by `_observe` (when the observer gives up). */
  _unobserve(observer: TaskObserver): void {
    if (this._observer === observer) {
      const more = this._x?.moreObservers;
      if (more !== undefined && more.length > 0) {
        this._observer = more.shift() as TaskObserver;
        this._observerSlot = more.shift() as number;
      } else {
        this._observer = undefined;
      }
      return;
    }
    const more = this._x?.moreObservers;
    if (more === undefined) return;
    for (let i = 0; i < more.length; i += 2) {
      if (more[i] === observer) {
        more.splice(i, 2);
        return;
      }
    }
  }

  /** @internal A promise of the outcome that never counts as a taskio await. */
  _outcome(): Promise<T> {
    const extra = this._extra();
    let promise = extra.promise;
    if (promise === undefined) {
      this._markRetrieved();
      if (this._state === FULFILLED) promise = Promise.resolve(this._value as T);
      else if (this._state !== PENDING) promise = Promise.reject(this._value);
      else {
        promise = new Promise<T>((resolve, reject) => {
          this._observe(
            {
              _taskDone: (task) => {
                if (task._state === FULFILLED) resolve(task._value as T);
                else reject(task._value);
              },
            },
            0,
          );
        });
      }
      extra.promise = promise;
    }
    return promise;
  }

  /**
   * `await task`. From inside another task this is a cancellable taskio await (see the class
   * documentation); elsewhere it is a plain promise of the task's outcome.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const current = als.getStore();
    if (current === undefined || current === (this as Task<unknown>) || this._state !== PENDING) {
      return this._outcome().then(onfulfilled, onrejected);
    }
    return awaitTask(current, this).then(onfulfilled, onrejected);
  }

  /** The same as `Promise.prototype.catch` on the task's outcome. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** The same as `Promise.prototype.finally` on the task's outcome. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onfinally);
  }

  /** The task's state as a word: `pending`, `finished`, `failed` or `cancelled`. */
  get state(): "pending" | "finished" | "failed" | "cancelled" {
    return STATE_NAMES[this._state];
  }

  /** Milliseconds since the task was created, on its run's clock. */
  get age(): number {
    const run = this._run;
    return (run === undefined || run.clock === realClock ? Date.now() - epoch : run.clock.now()) - this._createdAt;
  }

  /** Where the task was created (debug mode only, else `undefined`). */
  get creationStack(): string | undefined {
    return this._x?.creationStack;
  }

  /** The parent task, if the task was created inside one. */
  get parent(): Task<unknown> | undefined {
    return this._parent;
  }

  /** The running children of this task. */
  children(): Task<unknown>[] {
    const list: Task<unknown>[] = [];
    for (let child = this._firstChild; child !== undefined; child = child._nextSibling) list.push(child);
    return list.reverse();
  }

  /** What the task is waiting on right now, one description per pending taskio await. */
  waitingOn(): string[] {
    const list: string[] = [];
    for (let waiter = this._waiters; waiter !== undefined; waiter = waiter._next) list.push(waiter.describe());
    return list;
  }

  /** @internal */
  get [Symbol.toStringTag](): string {
    return "Task";
  }

  /** Shows the state, like asyncio's repr: `Task 'fetch-1' <pending, cancelling=1>`. */
  toString(): string {
    let text = `Task '${this.name}' <${STATE_NAMES[this._state]}`;
    if (this._state === PENDING && this._cancelRequests > 0) text += `, cancelling=${this._cancelRequests}`;
    return `${text}>`;
  }

  /** @internal */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * Starts a task's body inside the task's context. For a native promise, the completion callbacks
 * are shared functions that find their task with `als.getStore()`: a promise reaction runs in the
 * context where `then` was called, which is the task's own. That saves two closures per task
 * (measured: about a third of the cost of a trivial task on Node 20). Any other thenable gets
 * closures, since it may call back from anywhere.
 */
/** Starts `task`'s body inside an `AsyncResource`'s scope, which restores the caller's frame. */
function enterAndStart(task: Task<unknown>, fn: () => unknown): void {
  als.enterWith(task);
  startBody(task, fn);
}

function startBody(task: Task<unknown>, fn: () => unknown): void {
  const result = fn();
  if (result instanceof Promise) {
    result.then(onBodyFulfilled, onBodyRejected);
  } else if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
    (result as PromiseLike<unknown>).then(
      (value) => task._settle(FULFILLED, value),
      (error: unknown) => task._settle(REJECTED, error),
    );
  } else {
    task._settle(FULFILLED, result);
  }
}

function onBodyFulfilled(value: unknown): void {
  (als.getStore() as Task<unknown>)._settle(FULFILLED, value);
}

function onBodyRejected(error: unknown): void {
  (als.getStore() as Task<unknown>)._settle(REJECTED, error);
}

function captureStack(): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, Task);
  const stack = holder.stack;
  if (stack === undefined) return undefined;
  // Drop the "Error" line and taskio's own frames.
  return stack
    .split("\n")
    .slice(1)
    .filter((line) => !line.includes("/taskio/dist/src/core/") && !line.includes("/src/core/"))
    .join("\n");
}

/** Awaiting a task from inside another task. */
class TaskAwaiter<T> extends Waiter implements TaskObserver {
  cancelledWith: CancelledError | undefined = undefined;
  constructor(
    readonly target: Task<T>,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }
  onCancel(error: CancelledError): void {
    // As asyncio: cancelling the awaiter cancels the awaited task, and the awaiter resumes
    // when that task has actually finished (its finally blocks have run).
    this.cancelledWith = error;
    this.target._cancelOnce();
  }
  _taskDone(task: Task<unknown>): void {
    this.leave();
    if (this.cancelledWith !== undefined) this.reject(this.cancelledWith);
    else if (task._state === FULFILLED) this.resolve(task._value as T);
    else this.reject(task._value);
  }
  describe(): string {
    return `task '${this.target.name}'`;
  }
}

function awaitTask<T>(current: Task<unknown>, target: Task<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const awaiter = new TaskAwaiter(target, resolve, reject);
    current._enter(awaiter);
    target._observe(awaiter, 0);
  });
}

/** @internal The task running right now, if any. */
export function getCurrentTask(): Task<unknown> | undefined {
  return als.getStore();
}

/**
 * The task running the caller, or `undefined` outside any task. asyncio: `asyncio.current_task()`.
 */
export function currentTask(): Task<unknown> | undefined {
  return als.getStore();
}

/** @internal The clock of the current run (virtual under a MockClock), else the real clock. */
export function getClock(): Clock {
  const task = als.getStore();
  if (task === undefined) return realClock;
  const run = task._run;
  return run === undefined ? realClock : run.clock;
}

const neverAborted = new AbortController().signal;

/**
 * The current task's `AbortSignal`, to hand taskio's cancellation to APIs that take a signal:
 * `fetch(url, { signal: currentSignal() })`. Outside a task, a signal that never aborts.
 */
export function currentSignal(): AbortSignal {
  const task = als.getStore();
  return task === undefined ? neverAborted : task.signal;
}

/**
 * Starts `fn` as a new task, a child of the current task (so it is cancelled with it), and
 * returns the {@link Task}. asyncio: `asyncio.create_task()`.
 *
 * The body runs at once up to its first await. A failure that nobody retrieves (by awaiting the
 * task, `result()`, `exception()`, `gather`...) is reported through the exception handler.
 *
 * @example A named background task
 * ```ts
 * const ticker = createTask(async () => { for (;;) { await sleep(1000); tick(); } }, { name: "ticker" });
 * // ...
 * ticker.cancel();
 * ```
 */
export function createTask<T>(fn: () => T | PromiseLike<T>, options?: CreateTaskOptions): Task<T> {
  if (typeof fn !== "function") {
    throw new TypeError(`Expected 'fn' to be a function returning a promise: received ${typeof fn}`);
  }
  const name = options?.name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`Expected 'name' to be a string: received ${typeof name}`);
  }
  return new Task(fn, name, als.getStore(), undefined, 0);
}

/** @internal A child task of the current task, created by taskio itself (fast path). */
export function spawn<T>(fn: () => T | PromiseLike<T>, name?: string): Task<T> {
  return new Task(fn, name, als.getStore(), undefined, 0);
}

/**
 * @internal A child task of `parent` (or a top-level task when `undefined`), whatever context
 * the caller runs in: for work started from an event callback on behalf of an owner task, such
 * as a server's connection handlers.
 */
export function spawnUnder<T>(parent: Task<unknown> | undefined, fn: () => T | PromiseLike<T>, name?: string): Task<T> {
  return new Task(fn, name, parent, undefined, 0);
}

function collect(node: ParentNode, into: Set<Task<unknown>>): void {
  for (let task = node._firstChild; task !== undefined; task = task._nextSibling) {
    into.add(task);
    collect(task, into);
  }
}

/** @internal The root node of the current run, or the process-wide root. */
export function currentRoot(): ParentNode {
  const task = als.getStore();
  const run = task?._run;
  return run ?? globalRoot;
}

/**
 * The tasks that have not finished: those of the current `run()` when called inside one, else
 * those created outside any `run()`. asyncio: `asyncio.all_tasks()`.
 */
export function allTasks(): Set<Task<unknown>> {
  const set = new Set<Task<unknown>>();
  const task = als.getStore();
  const run = task?._run;
  if (run !== undefined) {
    collect(run, set);
    // The run's root task itself is not below the run node once it has children reparented;
    // collect() already walks from the run node, which holds the root task.
  } else {
    collect(globalRoot, set);
  }
  return set;
}

/** @internal Flushes the failures of a finished run through the exception handler. */
export function flushRunFailures(run: RunContext): void {
  for (const record of [...run._failures]) flushRecord(record);
}

/** @internal */
export function isTask(value: unknown): value is Task<unknown> {
  return value instanceof Task;
}

export { PENDING, FULFILLED, REJECTED, CANCELLED };
