/**
 * Naming work so another thread or process can run it: functions cannot cross threads, so a
 * task lives in a module, is registered there under a name, and is called by handle.
 *
 * @module
 */

/**
 * A typed handle on a function registered with {@link defineTask}: what executors send to a
 * worker instead of the function itself (the module's URL and the task's name). `A` and `R` are
 * the function's parameter and (awaited) result types, so `runInExecutor` checks both; `Ret` is
 * the function's own return type (a promise for an async function).
 */
export interface TaskHandle<A extends unknown[], R, Ret = R | PromiseLike<R>> {
  /** The URL of the module that defines the task (the `import.meta.url` given to `defineTask`). */
  readonly moduleUrl: string;
  /** The task's name in that module. */
  readonly name: string;
  /** The function itself, to call it on the current thread (tests, an inline baseline). */
  readonly fn: (...args: A) => Ret;
}

/** The parameter types of a task handle. */
export type TaskArgs<T> = T extends TaskHandle<infer A, infer _R, infer _Ret> ? A : never;
/** The result type of a task handle. */
export type TaskResult<T> = T extends TaskHandle<infer _A, infer R, infer _Ret> ? R : never;

type Registry = Map<string, Map<string, (...args: never[]) => unknown>>;
const kRegistry = Symbol.for("taskio.executor.registry");
const holder = globalThis as { [kRegistry]?: Registry };
/** Shared through `globalThis`: one registry per thread, even with duplicate copies of taskio. */
const registry: Registry = (holder[kRegistry] ??= new Map());

/**
 * Registers `fn` under `name` for the module `moduleUrl` and returns a typed handle to run it
 * in a {@link ThreadPoolExecutor} or {@link ProcessPoolExecutor}.
 *
 * asyncio passes the function itself to `run_in_executor` and pickles it by module and qualified
 * name; JavaScript cannot send functions to another thread, so taskio asks for the same two
 * facts explicitly. Call it at the top level of a module that has no other side effects (a
 * worker imports that module to find the function); the module must be importable in a worker,
 * so keep `run()` calls and servers out of it.
 *
 * @param moduleUrl The defining module's URL: always pass `import.meta.url`.
 * @param name The task's name, unique in its module (the export's name is a good choice).
 * @param fn The function. Its arguments and result are structured-cloned across the boundary.
 * @returns A handle typed from `fn`.
 * @throws {TypeError} When `moduleUrl` is not a URL, `name` is not a non-empty string, or `fn`
 * is not a function.
 * @throws {Error} When the module already defined a task of that name.
 *
 * @example Defining a task and running it on a thread pool
 * ```ts
 * // tasks.ts
 * export const blockingIo = defineTask(import.meta.url, "blockingIo", (n: number) => `slept ${n}s`);
 * // main.ts
 * await using pool = new ThreadPoolExecutor();
 * const result: string = await runInExecutor(pool, blockingIo, 1);
 * ```
 */
export function defineTask<A extends unknown[], R>(
  moduleUrl: string,
  name: string,
  fn: (...args: A) => R,
): TaskHandle<A, Awaited<R>, R> {
  if (typeof moduleUrl !== "string" || !URL.canParse(moduleUrl)) {
    throw new TypeError(
      `Expected 'moduleUrl' to be the defining module's URL (pass import.meta.url): received ${describe(moduleUrl)}`,
    );
  }
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`Expected 'name' to be a non-empty string: received ${describe(name)}`);
  }
  if (typeof fn !== "function") {
    throw new TypeError(`Expected 'fn' to be a function: received ${describe(fn)}`);
  }
  let tasks = registry.get(moduleUrl);
  if (tasks === undefined) registry.set(moduleUrl, (tasks = new Map<string, (...args: never[]) => unknown>()));
  const existing = tasks.get(name);
  if (existing !== undefined && existing !== fn) {
    throw new Error(`A task named '${name}' is already defined in ${moduleUrl}: give each task its own name`);
  }
  tasks.set(name, fn);
  return Object.freeze({ moduleUrl, name, fn });
}

/** The function registered under `name` in `moduleUrl`, if that module was loaded. @internal */
export function lookupTask(moduleUrl: string, name: string): ((...args: unknown[]) => unknown) | undefined {
  return registry.get(moduleUrl)?.get(name) as ((...args: unknown[]) => unknown) | undefined;
}

/** The names registered for `moduleUrl`, for error messages. @internal */
export function taskNamesOf(moduleUrl: string): string[] {
  return [...(registry.get(moduleUrl)?.keys() ?? [])];
}

/** Validates a task handle argument. @internal */
export function validateHandle(task: unknown): void {
  if (
    task === null ||
    typeof task !== "object" ||
    typeof (task as { moduleUrl?: unknown }).moduleUrl !== "string" ||
    typeof (task as { name?: unknown }).name !== "string"
  ) {
    throw new TypeError(
      `Expected 'task' to be a handle returned by defineTask(import.meta.url, name, fn): received ${describe(task)}`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  return typeof value;
}
