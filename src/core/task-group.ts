import { CancelledError, InvalidStateError, TaskGroupError } from "../errors.js";
import { als, CANCELLED, PRECANCELLED, REJECTED, Task, Waiter, type CreateTaskOptions, type TaskObserver } from "./task.js";

const OPEN = 0;
const SHUTTING_DOWN = 1;
const CLOSED = 2;

/**
 * A scope that owns a set of tasks: it finishes only when all of them have, and a failure in any
 * of them cancels the rest. asyncio: `asyncio.TaskGroup` (trio: a nursery).
 *
 * The recommended form is {@link TaskGroup.run}, which also sees the body's own error. The
 * `await using tg = new TaskGroup()` form exists too; since `Symbol.asyncDispose` never sees the
 * error of the block it guards, a failing child then cancels its siblings but not the block itself,
 * and an error thrown by the block does not cancel the children.
 *
 * @example Two tasks, both awaited; one failing cancels the other
 * ```ts
 * await TaskGroup.run(async (tg) => {
 *   tg.createTask(() => fetchA(), { name: "a" });
 *   tg.createTask(() => fetchB(), { name: "b" });
 * }); // both finished; if one failed the other was cancelled, and TaskGroupError says why
 * ```
 */
export class TaskGroup implements AsyncDisposable, TaskObserver {
  #state = OPEN;
  #running = 0;
  #errors: unknown[] = [];
  #body: Task<unknown> | undefined = undefined;
  // Every task started, finished ones included, compacted when they dominate: cheaper than a Set
  // (add + delete per task) on the 100,000-task path, and bounded for long-lived groups.
  #tasks: Task<unknown>[] = [];
  #children = 0;
  #onIdle: (() => void) | undefined = undefined;
  #name: string | undefined;
  /** The task the group's tasks hang from: the caller of run(), so the body is their sibling. */
  #parent: Task<unknown> | undefined = undefined;
  #hasParent = false;

  /** @param options.name A name used in task names and error messages. */
  constructor(options?: { name?: string }) {
    this.#name = options?.name;
  }

  /**
   * Runs `body` with a new group, waits for every task created in it, and returns the body's
   * result. If the body or any task fails, everything still running in the group is cancelled
   * and awaited, then a {@link TaskGroupError} holding the errors (in failure order) is thrown.
   * Cancelling the calling task cancels the body and every task, then throws `CancelledError`.
   *
   * @throws {TaskGroupError} when the body or a task failed.
   * @throws {CancelledError} when the caller was cancelled and nothing else failed.
   */
  static run<T>(body: (group: TaskGroup) => T | PromiseLike<T>, options?: { name?: string }): Promise<T> {
    if (typeof body !== "function") {
      return Promise.reject(new TypeError(`Expected 'body' to be a function: received ${typeof body}`));
    }
    const group = new TaskGroup(options);
    return group.#runBody(body);
  }

  #runBody<T>(body: (group: TaskGroup) => T | PromiseLike<T>): Promise<T> {
    const parent = als.getStore();
    this.#parent = parent;
    this.#hasParent = true;
    const joiner = new GroupJoiner(this);
    return new Promise<T>((resolve, reject) => {
      joiner.resolve = resolve as (value: unknown) => void;
      joiner.reject = reject;
      if (parent !== undefined) {
        try {
          parent._enter(joiner);
        } catch (error) {
          this.#state = CLOSED;
          reject(error);
          return;
        }
      }
      const bodyTask = new Task(() => body(this), this.#name === undefined ? undefined : `${this.#name}:body`, parent, undefined, 0);
      this.#body = bodyTask;
      // A task may have failed while the body was still running its synchronous start.
      if (this.#state === SHUTTING_DOWN) bodyTask._cancelOnce();
      this.#running++;
      bodyTask._observe(this, 1);
      this.#onIdle = () => joiner.finish();
      if (this.#running === 0) joiner.finish();
    });
  }

  /**
   * Starts `fn` as a task of this group. asyncio: `TaskGroup.create_task()`.
   *
   * In a group that is shutting down (a task failed), the new task starts already cancelled: it
   * gets `CancelledError` at its first taskio await.
   * @throws {InvalidStateError} when the group has finished.
   */
  createTask<T>(fn: () => T | PromiseLike<T>, options?: CreateTaskOptions): Task<T> {
    if (typeof fn !== "function") {
      throw new TypeError(`Expected 'fn' to be a function returning a promise: received ${typeof fn}`);
    }
    if (this.#state === CLOSED) {
      throw new InvalidStateError("TaskGroup is finished: create tasks inside TaskGroup.run() or before disposal");
    }
    // Children hang from the group's caller (not from the body), so the body finishing does not
    // have to hand 100,000 children over to its parent one by one.
    const parent = this.#hasParent ? this.#parent : als.getStore();
    const task = new Task(fn, options?.name, parent, undefined, this.#state === SHUTTING_DOWN ? PRECANCELLED : 0);
    this.#running++;
    this.#children++;
    const tasks = this.#tasks;
    if (tasks.length >= 64 && tasks.length > 2 * this.#children) this.#tasks = tasks.filter((t) => t._state === 0);
    this.#tasks.push(task);
    task._observe(this, 0);
    return task;
  }

  /** @internal */
  _taskDone(task: Task<unknown>, slot: number): void {
    this.#running--;
    if (slot === 0) this.#children--;
    if (task._state === REJECTED) {
      this.#errors.push(task._value);
      this._abort();
    } else if (task._state === CANCELLED && slot === 1 && this.#errors.length === 0 && task._cancelRequests === 0) {
      // The body raised CancelledError by itself (not through the group): treat like a failure.
      this._abort();
    }
    if (this.#running === 0) this.#onIdle?.();
  }

  /** @internal Cancels everything still running in the group. */
  _abort(): void {
    if (this.#state !== OPEN) return;
    this.#state = SHUTTING_DOWN;
    const body = this.#body;
    body?._cancelOnce();
    for (const task of this.#tasks) task._cancelOnce();
  }

  /** @internal */
  _close(): { errors: unknown[]; body: Task<unknown> | undefined } {
    this.#state = CLOSED;
    return { errors: this.#errors, body: this.#body };
  }

  /** @internal */
  get _running(): number {
    return this.#running;
  }

  /** The number of tasks of the group still running (the body not included). */
  get size(): number {
    return this.#children;
  }

  /**
   * Waits for every task of the group (the `await using` form). A failing task has already
   * cancelled its siblings; the errors are then thrown as a {@link TaskGroupError}.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#running > 0) {
      const parent = als.getStore();
      await new Promise<void>((resolve, reject) => {
        const joiner = new GroupJoiner(this);
        joiner.resolve = () => resolve();
        joiner.reject = reject;
        if (parent !== undefined) {
          try {
            parent._enter(joiner);
          } catch (error) {
            this._abort();
            joiner.cancelledWith = error as CancelledError;
          }
        }
        this.#onIdle = () => joiner.finish();
      });
      return;
    }
    this.#state = CLOSED;
    if (this.#errors.length > 0) throw new TaskGroupError(this.#errors);
  }

  /** Shows the state: `<TaskGroup running=3>`. */
  toString(): string {
    const state = ["open", "shutting down", "closed"][this.#state];
    return `<TaskGroup ${state} running=${this.#children}>`;
  }
}

/** The caller's side of a group: a waiter that turns the caller's cancellation into the group's. */
class GroupJoiner extends Waiter {
  cancelledWith: CancelledError | undefined = undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  constructor(readonly group: TaskGroup) {
    super();
  }
  onCancel(error: CancelledError): void {
    this.cancelledWith = error;
    this.group._abort();
  }
  finish(): void {
    if (this.group._running > 0) return;
    this.leave();
    const { errors, body } = this.group._close();
    if (errors.length > 0) {
      this.reject(new TaskGroupError(errors));
    } else if (this.cancelledWith !== undefined) {
      this.reject(this.cancelledWith);
    } else if (body !== undefined && body._state === CANCELLED) {
      this.reject(body._value);
    } else {
      this.resolve(body?._value);
    }
  }
  describe(): string {
    return `TaskGroup (${this.group._running} running)`;
  }
}
