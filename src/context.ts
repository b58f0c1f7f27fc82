/**
 * Async context managers (seed section 2): {@link asyncContextManager} turns an async generator
 * into a reusable resource factory, and {@link AsyncExitStack} manages a dynamic number of
 * resources. Both build on `Symbol.asyncDispose`, so `await using` plays the part of
 * `async with`.
 *
 * @module
 */

import { InvalidStateError } from "./errors.js";
import { describe } from "./core/clock.js";

const NO_ERROR: unique symbol = Symbol("no error");

/**
 * One use of a generator-based context manager, made by a factory from
 * {@link asyncContextManager}. asyncio: what `@contextlib.asynccontextmanager` returns.
 *
 * `enter()` runs the generator up to its `yield` and returns the yielded value; disposing it
 * (`await using`, `exit()`) runs the rest. `use(body)` does both around `body` and lets the
 * generator see the body's error, thrown at its `yield` (as Python does).
 */
export class AsyncContextManager<T> implements AsyncDisposable {
  #generator: AsyncGenerator<T, unknown, undefined>;
  #state: "new" | "entering" | "entered" | "exited" = "new";

  /** @internal Use a factory from {@link asyncContextManager}. */
  constructor(generator: AsyncGenerator<T, unknown, undefined>) {
    this.#generator = generator;
  }

  /**
   * Runs the setup (the generator up to its `yield`) and returns the yielded value.
   * @throws {InvalidStateError} when entered twice, or when the generator does not yield.
   * @throws whatever the setup throws.
   */
  async enter(): Promise<T> {
    if (this.#state !== "new") {
      throw new InvalidStateError("This context manager has already been entered: call the factory again for a new one");
    }
    this.#state = "entering";
    let result: IteratorResult<T, unknown>;
    try {
      result = await this.#generator.next();
    } catch (error) {
      this.#state = "exited";
      throw error;
    }
    if (result.done === true) {
      this.#state = "exited";
      throw new InvalidStateError("The context manager's generator returned without yielding: it must yield once");
    }
    this.#state = "entered";
    return result.value;
  }

  /**
   * Runs the teardown (the generator after its `yield`). With an `error`, it is thrown into the
   * generator at the `yield`, so `try/catch/finally` around the `yield` sees it. Does nothing if
   * the manager was never entered or already exited.
   *
   * @param error The error the body failed with, if it failed.
   * @throws {InvalidStateError} when the generator yields a second time.
   * @throws the teardown's own error (when the teardown fails).
   */
  async exit(...error: [] | [unknown]): Promise<void> {
    if (this.#state !== "entered") return;
    this.#state = "exited";
    const generator = this.#generator;
    let result: IteratorResult<T, unknown>;
    if (error.length === 0) {
      result = await generator.next();
    } else {
      try {
        result = await generator.throw(error[0]);
      } catch (thrown) {
        if (thrown === error[0]) return; // re-raised unchanged: the caller re-throws it
        throw thrown;
      }
    }
    if (result.done !== true) {
      await generator.return(undefined);
      throw new InvalidStateError("The context manager's generator yielded more than once: it must yield once");
    }
  }

  /** `await using`: runs the teardown (the body's error, if any, is not visible here). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.exit();
  }

  /**
   * Enters, runs `body` with the value, exits (passing the body's error to the generator), and
   * returns what `body` returned. Unlike Python, a generator that catches the body's error does
   * not suppress it: the body's error is always re-thrown (or the teardown's, if it throws).
   */
  async use<R>(body: (value: T) => R | PromiseLike<R>): Promise<R> {
    const value = await this.enter();
    let result: R;
    try {
      result = await body(value);
    } catch (error) {
      await this.exit(error);
      throw error;
    }
    await this.exit();
    return result;
  }

  /** `<AsyncContextManager entered>`. */
  toString(): string {
    return `<AsyncContextManager ${this.#state}>`;
  }
}

/**
 * Turns an async generator function (setup, `yield value`, teardown) into a factory of
 * {@link AsyncContextManager}s. asyncio: `@contextlib.asynccontextmanager`.
 *
 * The teardown runs even when the body throws: on dispose, the generator is resumed after its
 * `yield`, so code placed after it always runs (wrap the `yield` in `try/finally` to also run it
 * when the body is cancelled while the teardown itself awaits, or when using `use()`, which
 * throws the body's error into the generator).
 *
 * @param fn An async generator function that yields exactly once.
 * @returns A factory: each call makes a new, not yet entered, manager.
 * @throws {TypeError} when `fn` is not a function.
 *
 * @example A connection that is always closed
 * ```ts
 * const connection = asyncContextManager(async function* (url: string) {
 *   const conn = await connect(url);
 *   try {
 *     yield conn;
 *   } finally {
 *     await conn.close();
 *   }
 * });
 *
 * await using cm = connection("db://local");
 * const conn = await cm.enter();
 * await conn.query("select 1");
 * // or: await connection("db://local").use((conn) => conn.query("select 1"));
 * ```
 */
export function asyncContextManager<A extends unknown[], T>(
  fn: (...args: A) => AsyncGenerator<T, unknown, undefined>,
): (...args: A) => AsyncContextManager<T> {
  if (typeof fn !== "function") {
    throw new TypeError(`Expected 'fn' to be an async generator function: received ${describe(fn)}`);
  }
  return (...args: A) => {
    const generator = fn(...args);
    if (
      generator === null ||
      typeof generator !== "object" ||
      typeof (generator as AsyncGenerator<T>)[Symbol.asyncIterator] !== "function"
    ) {
      throw new TypeError(`Expected 'fn' to return an async generator: received ${describe(generator)}`);
    }
    return new AsyncContextManager(generator);
  };
}

type Exit = (error: unknown) => unknown;

/**
 * A stack of cleanups, run in reverse order when it closes: enter any number of resources in a
 * loop and have them all released. asyncio: `contextlib.AsyncExitStack`.
 *
 * - `enter(resource)`: an {@link AsyncContextManager} is entered (its value is returned); an
 *   `AsyncDisposable` or `Disposable` (or a promise of one, such as `openConnection(...)`) is
 *   registered and returned.
 * - `push(disposable)`, `callback(fn, ...args)`, `adopt(value, onDispose)` register cleanups.
 * - `close()` / `await using` runs them last-in, first-out. Each runs even if an earlier one
 *   failed; one failure is re-thrown as is, several as an `AggregateError`.
 * - `popAll()` moves every cleanup to a new stack (to keep resources past a block that
 *   succeeded). `AsyncExitStack.run(body)` also shows the body's error to context managers.
 *
 * @example Open a variable number of files, close them all
 * ```ts
 * await using stack = new AsyncExitStack();
 * const files = [];
 * for (const path of paths) files.push(await stack.enter(open(path, "r")));
 * // ... all files are closed at the end of the block, in reverse order
 * ```
 */
export class AsyncExitStack implements AsyncDisposable {
  #exits: Exit[] = [];
  #closed = false;

  /**
   * Runs `body` with a new stack and closes it afterwards, passing the body's error (if any) to
   * the context managers entered in it (they see it at their `yield`).
   * @returns What `body` returned.
   */
  static async run<R>(body: (stack: AsyncExitStack) => R | PromiseLike<R>): Promise<R> {
    const stack = new AsyncExitStack();
    let result: R;
    try {
      result = await body(stack);
    } catch (error) {
      try {
        await stack.#close(error);
      } catch (cleanupError) {
        throw new AggregateError([error, cleanupError], `The body failed and so did its cleanup: ${String(cleanupError)}`, {
          cause: cleanupError,
        });
      }
      throw error;
    }
    await stack.#close(NO_ERROR);
    return result;
  }

  #check(): void {
    if (this.#closed) throw new InvalidStateError("This AsyncExitStack is closed: create a new one");
  }

  /**
   * Enters a context manager (returns its value) or registers a disposable resource (returns it).
   * @throws {TypeError} when `resource` is neither.
   * @throws {InvalidStateError} when the stack is closed.
   */
  enter<T>(resource: AsyncContextManager<T>): Promise<T>;
  enter<T extends AsyncDisposable | Disposable>(resource: T | PromiseLike<T>): Promise<T>;
  async enter(resource: unknown): Promise<unknown> {
    this.#check();
    if (resource instanceof AsyncContextManager) {
      const value: unknown = await resource.enter();
      this.#exits.push((error) => (error === NO_ERROR ? resource.exit() : resource.exit(error)));
      return value;
    }
    const value: unknown = await resource;
    this.push(value as AsyncDisposable | Disposable);
    return value;
  }

  /**
   * Registers a resource's `Symbol.asyncDispose` (or `Symbol.dispose`) to run at close.
   * @returns The resource, for chaining.
   * @throws {TypeError} when it has neither.
   */
  push<T extends AsyncDisposable | Disposable>(resource: T): T {
    this.#check();
    const disposer = disposerOf(resource);
    this.#exits.push(() => disposer.call(resource));
    return resource;
  }

  /** Registers `fn(...args)` (sync or async) to run at close. asyncio: `push_async_callback`. */
  callback<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    this.#check();
    if (typeof fn !== "function") throw new TypeError(`Expected 'fn' to be a function: received ${describe(fn)}`);
    this.#exits.push(() => fn(...args));
  }

  /** Registers `onDispose(value)` to run at close and returns `value` (TC39's `adopt`). */
  adopt<T>(value: T, onDispose: (value: T) => unknown): T {
    this.#check();
    if (typeof onDispose !== "function") {
      throw new TypeError(`Expected 'onDispose' to be a function: received ${describe(onDispose)}`);
    }
    this.#exits.push(() => onDispose(value));
    return value;
  }

  /** Moves every registered cleanup to a new stack and returns it; this one is left empty. */
  popAll(): AsyncExitStack {
    this.#check();
    const moved = new AsyncExitStack();
    moved.#exits = this.#exits;
    this.#exits = [];
    return moved;
  }

  /** The number of cleanups registered. */
  get size(): number {
    return this.#exits.length;
  }

  /** Runs every cleanup, last registered first. Closing twice does nothing. */
  close(): Promise<void> {
    return this.#close(NO_ERROR);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#close(NO_ERROR);
  }

  async #close(error: unknown): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exits = this.#exits;
    this.#exits = [];
    const errors: unknown[] = [];
    for (let i = exits.length - 1; i >= 0; i--) {
      try {
        await (exits[i] as Exit)(error);
      } catch (failure) {
        errors.push(failure);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} cleanups of an AsyncExitStack failed: ${String(errors[0])}`);
    }
  }

  /** `<AsyncExitStack size=2>`. */
  toString(): string {
    return `<AsyncExitStack ${this.#closed ? "closed" : `size=${this.#exits.length}`}>`;
  }
}

function disposerOf(resource: unknown): () => unknown {
  if (resource !== null && (typeof resource === "object" || typeof resource === "function")) {
    const holder = resource as Partial<AsyncDisposable & Disposable>;
    const disposer = holder[Symbol.asyncDispose] ?? holder[Symbol.dispose];
    if (typeof disposer === "function") return disposer;
  }
  throw new TypeError(
    `Expected a resource with Symbol.asyncDispose or Symbol.dispose, or an AsyncContextManager: received ${describe(resource)}`,
  );
}
