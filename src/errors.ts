/**
 * The whole taskio error hierarchy, in one module (as asyncio keeps its exceptions in
 * `asyncio.exceptions`).
 *
 * - {@link TaskioError} is the base of every error taskio raises on purpose. It has a stable
 *   `code` and always chains the underlying `cause`.
 * - {@link CancelledError} is deliberately *not* a `TaskioError`: code that catches "our errors"
 *   must never swallow cancellation by accident (trio's `Cancelled` escapes `except Exception`
 *   for the same reason).
 * - Every class is branded with a `Symbol.for` key so `instanceof` works across duplicate copies
 *   of the package in one process (undici does the same).
 *
 * @module
 */

const kBrand = Symbol.for("taskio.error.brand");

type Brandable = { [kBrand]?: Set<string> };

function brand(target: object, name: string): void {
  const holder = target as Brandable;
  const set = holder[kBrand] ?? new Set<string>();
  set.add(name);
  holder[kBrand] = set;
}

function hasBrand(value: unknown, name: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  const set = (value as Brandable)[kBrand];
  return set !== undefined && set.has(name);
}

/** Options shared by every taskio error constructor. */
export interface TaskioErrorOptions {
  /** The underlying error, kept as `error.cause`. */
  cause?: unknown;
}

/**
 * Base class of every error that taskio raises on purpose (except {@link CancelledError}).
 *
 * `code` is stable across releases and safe to branch on; messages may be reworded.
 */
export class TaskioError extends Error {
  /** A stable machine-readable code, such as `ERR_TASKIO_TIMEOUT`. */
  readonly code: string;

  constructor(message: string, code = "ERR_TASKIO", options?: TaskioErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // Brand the instance with every class of its chain, so `instanceof` works for subclasses
    // defined anywhere (and across duplicate copies of the package), not only in this module.
    for (let cls: unknown = new.target; typeof cls === "function" && cls !== Error; cls = Object.getPrototypeOf(cls)) {
      brand(this, (cls as { name: string }).name);
    }
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, this.name);
  }
}

/** Puts the class name on the prototype, so `error.name` and stack traces show it. */
function defineBrand(cls: { name: string; prototype: object }): void {
  Object.defineProperty(cls.prototype, "name", { value: cls.name, configurable: true, writable: true });
}
defineBrand(TaskioError);

/**
 * Raised inside a task at a taskio await point after the task (or a scope it runs in) was
 * cancelled. asyncio: `asyncio.CancelledError`.
 *
 * It is not a {@link TaskioError}. Catch it only to clean up, then re-throw it. Use
 * {@link isCancelled} to recognise it together with `AbortError`s raised by Node's own APIs.
 */
export class CancelledError extends Error {
  /** The same stable-code convention as {@link TaskioError}. */
  readonly code = "ERR_TASKIO_CANCELLED";

  constructor(message = "The task was cancelled", options?: TaskioErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    brand(this, "CancelledError");
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, "CancelledError");
  }
}
defineBrand(CancelledError);

/**
 * A deadline passed: `waitFor`, `timeout`, an HTTP timeout and the like. Named like the reason
 * that `AbortSignal.timeout()` produces. asyncio: the builtin `TimeoutError`.
 */
export class TimeoutError extends TaskioError {
  /** The duration that elapsed, in milliseconds, when known. */
  readonly timeout: number | undefined;

  constructor(message: string, options?: TaskioErrorOptions & { timeout?: number; code?: string }) {
    super(message, options?.code ?? "ERR_TASKIO_TIMEOUT", options);
    this.timeout = options?.timeout;
    brand(this, "TimeoutError");
  }
}
defineBrand(TimeoutError);

/**
 * An operation was asked of an object in a state that does not allow it: the result of a task
 * that has not finished, a TaskGroup that is shutting down. asyncio: `asyncio.InvalidStateError`.
 */
export class InvalidStateError extends TaskioError {
  constructor(message: string, options?: TaskioErrorOptions & { code?: string }) {
    super(message, options?.code ?? "ERR_TASKIO_INVALID_STATE", options);
    brand(this, "InvalidStateError");
  }
}
defineBrand(InvalidStateError);

/**
 * One or more tasks of a {@link TaskGroup} failed. `errors` holds them in the order they failed.
 * asyncio: the `ExceptionGroup` raised by `asyncio.TaskGroup`.
 */
export class TaskGroupError extends AggregateError {
  readonly code = "ERR_TASKIO_TASK_GROUP";

  constructor(errors: readonly unknown[], message?: string) {
    super(
      errors,
      message ??
        `${errors.length} task${errors.length === 1 ? "" : "s"} of a TaskGroup failed: ${describeFirst(errors)}`,
    );
    brand(this, "TaskGroupError");
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, "TaskGroupError");
  }
}
defineBrand(TaskGroupError);

function describeFirst(errors: readonly unknown[]): string {
  const first = errors[0];
  if (first instanceof Error) return `${first.name}: ${first.message}`;
  return String(first);
}

// ----- synchronization and queues --------------------------------------------------------------

/** `getNowait()` on an empty queue. asyncio: `asyncio.QueueEmpty`. */
export class QueueEmpty extends TaskioError {
  constructor(message = "The queue is empty: use get() to wait for an item") {
    super(message, "ERR_TASKIO_QUEUE_EMPTY");
    brand(this, "QueueEmpty");
  }
}
defineBrand(QueueEmpty);

/** `putNowait()` on a full queue. asyncio: `asyncio.QueueFull`. */
export class QueueFull extends TaskioError {
  constructor(message = "The queue is full: use put() to wait for room") {
    super(message, "ERR_TASKIO_QUEUE_FULL");
    brand(this, "QueueFull");
  }
}
defineBrand(QueueFull);

/** A queue was shut down. asyncio (3.13): `asyncio.QueueShutDown`. */
export class QueueShutDown extends TaskioError {
  constructor(message = "The queue was shut down") {
    super(message, "ERR_TASKIO_QUEUE_SHUT_DOWN");
    brand(this, "QueueShutDown");
  }
}
defineBrand(QueueShutDown);

/** A barrier was broken or reset while tasks waited on it. asyncio: `asyncio.BrokenBarrierError`. */
export class BrokenBarrierError extends TaskioError {
  constructor(message = "The barrier is broken: reset() it before waiting again") {
    super(message, "ERR_TASKIO_BROKEN_BARRIER");
    brand(this, "BrokenBarrierError");
  }
}
defineBrand(BrokenBarrierError);

// ----- resources and streams -------------------------------------------------------------------

/** You closed this resource, then used it. trio: `ClosedResourceError`. */
export class ClosedResourceError extends TaskioError {
  constructor(message: string, options?: TaskioErrorOptions) {
    super(message, "ERR_TASKIO_CLOSED_RESOURCE", options);
    brand(this, "ClosedResourceError");
  }
}
defineBrand(ClosedResourceError);

/** The peer or the OS broke this resource (see `cause`). trio: `BrokenResourceError`. */
export class BrokenResourceError extends TaskioError {
  constructor(message: string, options?: TaskioErrorOptions) {
    super(message, "ERR_TASKIO_BROKEN_RESOURCE", options);
    brand(this, "BrokenResourceError");
  }
}
defineBrand(BrokenResourceError);

/**
 * The stream ended before the expected number of bytes arrived. `partial` holds what did arrive.
 * asyncio: `asyncio.IncompleteReadError`.
 */
export class IncompleteReadError extends TaskioError {
  readonly partial: Uint8Array;
  readonly expected: number | undefined;

  constructor(partial: Uint8Array, expected: number | undefined) {
    super(
      `The stream ended early: ${partial.length} byte(s) read of ${expected ?? "an undefined number"} expected`,
      "ERR_TASKIO_INCOMPLETE_READ",
    );
    this.partial = partial;
    this.expected = expected;
    brand(this, "IncompleteReadError");
  }
}
defineBrand(IncompleteReadError);

/**
 * A separator was not found within the reader's `limit`. `consumed` is how many bytes would have
 * to be consumed to look further. asyncio: `asyncio.LimitOverrunError`.
 */
export class LimitOverrunError extends TaskioError {
  readonly consumed: number;

  constructor(message: string, consumed: number) {
    super(message, "ERR_TASKIO_LIMIT_OVERRUN");
    this.consumed = consumed;
    brand(this, "LimitOverrunError");
  }
}
defineBrand(LimitOverrunError);

// ----- HTTP (taskio/http) ----------------------------------------------------------------------

/** Where an HTTP error happened: the request's method and URL. */
export interface HttpErrorOptions extends TaskioErrorOptions {
  /** The request method, such as `GET`. */
  method?: string;
  /** The URL of the request (after redirects, when known). */
  url?: string;
}

/**
 * Base of the HTTP client's errors (`taskio/http`), except timeouts, which are
 * {@link ClientTimeoutError}s. aiohttp: `aiohttp.ClientError`.
 */
export class ClientError extends TaskioError {
  /** The request method. */
  readonly method: string | undefined;
  /** The request URL. */
  readonly url: string | undefined;

  constructor(message: string, code = "ERR_TASKIO_HTTP", options?: HttpErrorOptions) {
    super(message, code, options);
    this.method = options?.method;
    this.url = options?.url;
    brand(this, "ClientError");
  }
}
defineBrand(ClientError);

/**
 * The connection failed before a response arrived: refused, reset, DNS, TLS (see `cause`).
 * aiohttp: `aiohttp.ClientConnectionError`.
 */
export class ClientConnectionError extends ClientError {
  constructor(message: string, options?: HttpErrorOptions) {
    super(message, "ERR_TASKIO_HTTP_CONNECTION", options);
    brand(this, "ClientConnectionError");
  }
}
defineBrand(ClientConnectionError);

/**
 * The response body broke off: the connection was reset or closed mid-body (see `cause`).
 * aiohttp: `aiohttp.ClientPayloadError`.
 */
export class ClientPayloadError extends ClientError {
  constructor(message: string, options?: HttpErrorOptions) {
    super(message, "ERR_TASKIO_HTTP_PAYLOAD", options);
    brand(this, "ClientPayloadError");
  }
}
defineBrand(ClientPayloadError);

/**
 * A response had an error status (`raiseForStatus()`), or a redirect could not be followed.
 * aiohttp: `aiohttp.ClientResponseError`.
 */
export class ClientResponseError extends ClientError {
  /** The HTTP status code. */
  readonly status: number;
  /** The status line's reason phrase. */
  readonly reason: string;
  /** The response headers. */
  readonly headers: Headers | undefined;

  constructor(
    message: string,
    options: HttpErrorOptions & { status: number; reason?: string; headers?: Headers; code?: string },
  ) {
    super(message, options.code ?? "ERR_TASKIO_HTTP_STATUS", options);
    this.status = options.status;
    this.reason = options.reason ?? "";
    this.headers = options.headers;
    brand(this, "ClientResponseError");
  }
}
defineBrand(ClientResponseError);

/** More redirects than `maxRedirects` (a loop, usually). aiohttp: `aiohttp.TooManyRedirects`. */
export class TooManyRedirectsError extends ClientResponseError {
  /** The URLs visited, in order. */
  readonly history: readonly string[];

  constructor(message: string, options: HttpErrorOptions & { status: number; history: readonly string[] }) {
    super(message, { ...options, code: "ERR_TASKIO_HTTP_TOO_MANY_REDIRECTS" });
    this.history = options.history;
    brand(this, "TooManyRedirectsError");
  }
}
defineBrand(TooManyRedirectsError);

/** A response body exceeded the session's `maxResponseSize`. */
export class ResponseTooLargeError extends ClientError {
  /** The limit, in bytes. */
  readonly limit: number;

  constructor(message: string, options: HttpErrorOptions & { limit: number }) {
    super(message, "ERR_TASKIO_HTTP_TOO_LARGE", options);
    this.limit = options.limit;
    brand(this, "ResponseTooLargeError");
  }
}
defineBrand(ResponseTooLargeError);

/** A downloaded file's checksum differs from the expected one (the file was not kept). */
export class ChecksumMismatchError extends ClientError {
  /** The expected digest, lowercase hex. */
  readonly expected: string;
  /** The digest of what was received, lowercase hex. */
  readonly actual: string;

  constructor(message: string, options: HttpErrorOptions & { expected: string; actual: string }) {
    super(message, "ERR_TASKIO_HTTP_CHECKSUM", options);
    this.expected = options.expected;
    this.actual = options.actual;
    brand(this, "ChecksumMismatchError");
  }
}
defineBrand(ChecksumMismatchError);

/**
 * An HTTP timeout fired. `which` names it: `"total"` (the whole exchange), `"connect"` (getting a
 * connection) or `"sockRead"` (the server sent nothing for that long). aiohttp:
 * `ServerTimeoutError` / `asyncio.TimeoutError`.
 */
export class ClientTimeoutError extends TimeoutError {
  /** Which timeout fired. */
  readonly which: "total" | "connect" | "sockRead";
  /** The request method. */
  readonly method: string | undefined;
  /** The request URL. */
  readonly url: string | undefined;

  constructor(
    message: string,
    options: HttpErrorOptions & { which: "total" | "connect" | "sockRead"; timeout?: number },
  ) {
    super(message, { ...options, code: "ERR_TASKIO_HTTP_TIMEOUT" });
    this.which = options.which;
    this.method = options.method;
    this.url = options.url;
    brand(this, "ClientTimeoutError");
  }
}
defineBrand(ClientTimeoutError);

// ----- executors (taskio/executor) -------------------------------------------------------------

/**
 * The worker thread or child process running an item exited before returning its result (it
 * crashed, threw outside the task, called `process.exit`, or was killed). Only that item fails:
 * the pool replaces the worker. `exitCode` is the worker's exit code; `cause` is the uncaught
 * error, when one was seen. asyncio: `concurrent.futures.process.BrokenProcessPool` (which,
 * unlike this, breaks the whole pool).
 */
export class BrokenWorkerError extends TaskioError {
  /** The worker's exit code (`null` when a signal killed a child process). */
  readonly exitCode: number | null;

  constructor(message: string, options?: TaskioErrorOptions & { exitCode?: number | null }) {
    super(message, "ERR_TASKIO_BROKEN_WORKER", options);
    this.exitCode = options?.exitCode ?? null;
    brand(this, "BrokenWorkerError");
  }
}
defineBrand(BrokenWorkerError);

/**
 * A worker could not find the task an executor was asked to run: its module failed to load
 * there (see `cause`), or the module does not call `defineTask(import.meta.url, name, fn)` for
 * that name at its top level.
 */
export class TaskNotFoundError extends TaskioError {
  /** The module URL given to `defineTask`. */
  readonly moduleUrl: string;
  /** The task name given to `defineTask`. */
  readonly taskName: string;

  constructor(message: string, options: TaskioErrorOptions & { moduleUrl: string; taskName: string }) {
    super(message, "ERR_TASKIO_TASK_NOT_FOUND", options);
    this.moduleUrl = options.moduleUrl;
    this.taskName = options.taskName;
    brand(this, "TaskNotFoundError");
  }
}
defineBrand(TaskNotFoundError);

/**
 * True when `error` means "this work was cancelled": a {@link CancelledError}, or an `AbortError`
 * raised by a Node API (`fetch`, `fs`, `timers/promises`, `events.once`) given an aborted signal.
 *
 * @example Telling cancellation from failure
 * ```ts
 * try {
 *   await work();
 * } catch (error) {
 *   if (isCancelled(error)) throw error; // never swallow cancellation
 *   log(error);
 * }
 * ```
 */
export function isCancelled(error: unknown): boolean {
  if (error instanceof CancelledError) return true;
  if (typeof error !== "object" || error === null) return false;
  const name = (error as { name?: unknown }).name;
  const code = (error as { code?: unknown }).code;
  return name === "AbortError" || code === "ABORT_ERR";
}
