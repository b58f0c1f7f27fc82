/**
 * `retry`: call an async function again after it fails, with exponential backoff and jitter
 * (seed section 11). The sleeps between attempts are taskio sleeps: cancellable by the current
 * task or a `signal`, and virtual under a `MockClock`.
 *
 * @module
 */

import { isCancelled } from "./errors.js";
import { describe } from "./core/clock.js";
import { sleep } from "./core/sleep.js";
import { validateSignal } from "./core/suspend.js";

/** How the backoff delay is randomised. See {@link RetryOptions.jitter}. */
export type RetryJitter = "full" | "equal" | "none";

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryInfo {
  /** The attempt that just failed, counting from 1. */
  readonly attempt: number;
  /** The number of attempts allowed in all (`Infinity` if unlimited). */
  readonly attempts: number;
  /** The error the failed attempt threw. */
  readonly error: unknown;
  /** How long retry waits before the next attempt, in milliseconds. */
  readonly delay: number;
}

/** Options for {@link retry}. */
export interface RetryOptions {
  /** How many attempts in all (the first call included): a positive integer or `Infinity`. @default 3 */
  attempts?: number;
  /** The delay after the first failure, in milliseconds, before jitter. @default 500 */
  baseDelay?: number;
  /** Each further delay is the previous one times `factor` (at least 1). @default 2 */
  factor?: number;
  /** No computed delay exceeds this, in milliseconds (`Infinity` for no cap). @default 30000 */
  maxDelay?: number;
  /**
   * `"full"`: a uniform random delay between 0 and the computed delay (AWS's "full jitter");
   * `"equal"`: half the computed delay plus a random half; `"none"`: exactly the computed delay.
   * @default "full"
   */
  jitter?: RetryJitter;
  /**
   * Decides whether a failure is worth another attempt; returning `false` re-throws the error at
   * once. Cancellation (`CancelledError`, `AbortError`) is never retried, whatever this says.
   * @default every error is retried
   */
  retryIf?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait (for logging). An error it throws ends the retries with that error. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Overrides the backoff for one failure: return a delay in milliseconds to wait exactly that
   * long (no jitter, no `maxDelay` cap), or `undefined` to use the computed backoff. The HTTP
   * client uses it to honour a server's `Retry-After`.
   */
  delayFor?: (error: unknown, attempt: number) => number | undefined;
  /** Aborting it stops retrying: the wait or the next attempt rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The random source for jitter, returning a number in [0, 1). @default Math.random */
  random?: () => number;
}

interface Settings {
  attempts: number;
  baseDelay: number;
  factor: number;
  maxDelay: number;
  jitter: RetryJitter;
  retryIf: ((error: unknown, attempt: number) => boolean) | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
  delayFor: ((error: unknown, attempt: number) => number | undefined) | undefined;
  signal: AbortSignal | undefined;
  random: () => number;
}

function optionalFunction<F>(value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") {
    throw new TypeError(`Expected '${name}' to be a function: received ${describe(value)}`);
  }
  return value as F;
}

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(`Expected '${name}' to be a non-negative number of milliseconds: received ${describe(value)}`);
  }
  return value;
}

function validate(options: RetryOptions | undefined): Settings {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`Expected 'options' to be an object: received ${describe(options)}`);
  }
  const o = options ?? {};
  const attempts = o.attempts ?? 3;
  if (typeof attempts !== "number" || !(attempts === Infinity || (Number.isInteger(attempts) && attempts >= 1))) {
    throw new RangeError(`Expected 'attempts' to be a positive integer or Infinity: received ${describe(attempts)}`);
  }
  const baseDelay = nonNegative(o.baseDelay, "baseDelay", 500);
  if (baseDelay === Infinity) {
    throw new RangeError(`Expected 'baseDelay' to be a finite number of milliseconds: received Infinity`);
  }
  const factor = o.factor ?? 2;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`Expected 'factor' to be a finite number of at least 1: received ${describe(factor)}`);
  }
  const maxDelay = nonNegative(o.maxDelay, "maxDelay", 30_000);
  const jitter = o.jitter ?? "full";
  if (jitter !== "full" && jitter !== "equal" && jitter !== "none") {
    throw new TypeError(`Expected 'jitter' to be "full", "equal" or "none": received ${describe(jitter)}`);
  }
  return {
    attempts,
    baseDelay,
    factor,
    maxDelay,
    jitter,
    retryIf: optionalFunction(o.retryIf, "retryIf"),
    onRetry: optionalFunction(o.onRetry, "onRetry"),
    delayFor: optionalFunction(o.delayFor, "delayFor"),
    signal: validateSignal(o.signal),
    random: optionalFunction<() => number>(o.random, "random") ?? Math.random,
  };
}

/** The backoff before attempt `attempt + 1`, jitter applied. */
function backoff(s: Settings, attempt: number): number {
  const raw = s.baseDelay * Math.pow(s.factor, attempt - 1);
  const capped = Math.min(s.maxDelay, Number.isFinite(raw) ? raw : s.maxDelay);
  if (!Number.isFinite(capped)) return capped; // maxDelay Infinity with an overflowing factor
  switch (s.jitter) {
    case "none":
      return capped;
    case "equal":
      return capped / 2 + s.random() * (capped / 2);
    default:
      return s.random() * capped;
  }
}

/**
 * Calls `fn` until it succeeds, at most `attempts` times, waiting an exponentially growing,
 * jittered delay between attempts. The seed's `fetch_with_retry` loop, as one call. asyncio has
 * no counterpart; this is the loop the seed writes by hand (and tenacity's `retry`).
 *
 * The delay after failed attempt `n` (from 1) is `min(maxDelay, baseDelay * factor ** (n - 1))`,
 * then jittered; `delayFor` may override it for one failure. The wait is a taskio `sleep`, so
 * cancelling the task (or aborting `signal`) stops retrying at once, and a `MockClock` makes it
 * virtual. After the last attempt, or when `retryIf` says no, the attempt's error is re-thrown
 * unchanged (the seed's bare `raise`). Cancellation is never retried.
 *
 * @param fn The work, given the attempt number (1, 2, ...).
 * @param options See {@link RetryOptions}.
 * @returns What `fn` returned on the first successful attempt.
 * @throws {TypeError} / {RangeError} naming the option when an option is invalid.
 * @throws the last attempt's error, unchanged.
 * @throws {CancelledError} when the task is cancelled (or the `signal`'s reason when it aborts).
 *
 * @example Three attempts with backoff, logging each retry
 * ```ts
 * const text = await retry(
 *   async (attempt) => {
 *     const response = await fetch(url, { signal: currentSignal() });
 *     if (!response.ok) throw new Error(`HTTP ${response.status} on attempt ${attempt}`);
 *     return response.text();
 *   },
 *   { attempts: 3, baseDelay: 500, onRetry: ({ attempt, delay }) => console.log(attempt, delay) },
 * );
 * ```
 */
export async function retry<T>(fn: (attempt: number) => T | PromiseLike<T>, options?: RetryOptions): Promise<T> {
  if (typeof fn !== "function") {
    throw new TypeError(`Expected 'fn' to be a function returning a promise: received ${describe(fn)}`);
  }
  const s = validate(options);
  const signal = s.signal;
  for (let attempt = 1; ; attempt++) {
    if (signal !== undefined && signal.aborted) throw signal.reason;
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= s.attempts || isCancelled(error)) throw error;
      if (signal !== undefined && signal.aborted) throw error;
      if (s.retryIf !== undefined && !s.retryIf(error, attempt)) throw error;
      let delay: number | undefined = s.delayFor === undefined ? undefined : s.delayFor(error, attempt);
      if (delay === undefined) {
        delay = backoff(s, attempt);
      } else if (typeof delay !== "number" || Number.isNaN(delay) || delay < 0) {
        throw new RangeError(
          `Expected 'delayFor' to return a non-negative number of milliseconds or undefined: received ${describe(delay)}`,
          { cause: error },
        );
      }
      s.onRetry?.({ attempt, attempts: s.attempts, error, delay });
      await sleep(delay, signal === undefined ? undefined : { signal });
    }
  }
}
