/**
 * The options of `ClientSession` and of its retries: types, defaults, and which answers are
 * retried (validation is in `validate.ts`).
 *
 * @module
 */

import type { Dispatcher } from "undici";
import { ClientResponseError } from "../errors.js";
import type { RetryOptions } from "../retry.js";
import type { ClientResponse } from "./response.js";

/**
 * HTTP timeouts in milliseconds. aiohttp: `aiohttp.ClientTimeout(total, connect, sock_read)`.
 * Each one that fires raises `ClientTimeoutError` whose `which` names it.
 */
export interface ClientTimeout {
  /** The whole exchange, redirects and body included. @default Infinity */
  total?: number;
  /** Getting a connection: waiting for a free one in the pool and the TCP/TLS handshake. @default 10000 (undici's) */
  connect?: number;
  /** The server sends nothing for this long (waiting for headers or between body chunks). @default 300000 (undici's) */
  sockRead?: number;
}

/**
 * Retry settings for HTTP: those of `retry()` plus which methods and statuses are retried.
 * Connection errors and `connect`/`sockRead` timeouts are retried; a `Retry-After` header is
 * honoured (a request for a longer wait than `maxDelay` is not retried).
 *
 * `retryIf(error, attempt)` is asked once per failure. For an answer with a retryable status,
 * `error` is a `ClientResponseError` (its `status` and `headers`), and `false` means "do not
 * retry": the response is returned as it would be without a retry policy (raised only under
 * `raiseForStatus`). The same when the attempts run out.
 */
export interface HttpRetryOptions extends RetryOptions {
  /** Methods retried. @default ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"] (the idempotent ones) */
  methods?: readonly string[];
  /** Statuses retried. @default [429, 502, 503, 504] */
  statuses?: readonly number[];
}

/** Options of {@link ClientSession}. aiohttp: the arguments of `ClientSession()` and its connector. */
export interface ClientSessionOptions {
  /** Relative request URLs are resolved against it. aiohttp: `base_url`. */
  baseUrl?: string | URL;
  /** Headers sent with every request: an object, a `Headers` or `[name, value]` pairs. */
  headers?: Record<string, string> | Headers | readonly (readonly [string, string])[];
  /** Timeouts (a number is `total`). */
  timeout?: number | ClientTimeout;
  /** At most this many exchanges at once over all hosts (0: no limit). aiohttp: `limit`. @default 100 */
  limit?: number;
  /** At most this many connections per origin (0: no limit). aiohttp: `limit_per_host`. @default 0 */
  limitPerHost?: number;
  /** Throw `ClientResponseError` on a status of 400 or more. @default false */
  raiseForStatus?: boolean;
  /** Retry idempotent requests: `true` (3 attempts), a number of attempts, or options. @default false */
  retry?: boolean | number | HttpRetryOptions;
  /** At most this many redirects per request. @default 10 */
  maxRedirects?: number;
  /** Refuse bodies larger than this many bytes (`ResponseTooLargeError`). @default Infinity */
  maxResponseSize?: number;
  /** TLS verification (on by default) and extra CA certificates. */
  tls?: { rejectUnauthorized?: boolean; ca?: string | Buffer | readonly (string | Buffer)[] };
  /** The longest line `content.readLine()` accepts; the body reader buffers up to twice this. @default 65536 */
  readLimit?: number;
  /** An undici dispatcher to use instead of the session's own `Agent` (not closed by the session). */
  dispatcher?: Dispatcher;
}

/** @internal */
export interface SessionSettings {
  baseUrl: URL | undefined;
  headers: Record<string, string>;
  timeout: { total: number; connect: number | undefined; sockRead: number | undefined };
  limit: number;
  limitPerHost: number;
  raiseForStatus: boolean;
  retry: boolean | number | HttpRetryOptions;
  maxRedirects: number;
  maxResponseSize: number;
  tls: { rejectUnauthorized: boolean; ca: string | Buffer | (string | Buffer)[] | undefined };
  readLimit: number;
}

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"];
const STATUSES = [429, 502, 503, 504];

/** @internal A retry policy that applies to one request. */
export interface ResolvedRetry {
  options: HttpRetryOptions;
  statuses: Set<number>;
}

/** @internal Which retry policy (if any) applies to a request with this method. */
export function resolveRetry(
  session: boolean | number | HttpRetryOptions,
  request: boolean | number | HttpRetryOptions | undefined,
  method: string,
): ResolvedRetry | undefined {
  const chosen = request ?? session;
  if (chosen === false) return undefined;
  let options: HttpRetryOptions;
  if (chosen === true) options = {};
  else if (typeof chosen === "number") options = { attempts: chosen };
  else if (typeof chosen === "object" && chosen !== null) options = chosen;
  else throw new TypeError(`Expected 'retry' to be a boolean, a number of attempts or options: received ${typeof chosen}`);
  const methods = options.methods ?? IDEMPOTENT;
  if (!methods.some((m) => m.toUpperCase() === method)) return undefined;
  return { options, statuses: new Set(options.statuses ?? STATUSES) };
}

/**
 * @internal Whether an answer with this status is worth another attempt under `policy`: the
 * status is one the policy retries, attempts are left, and the server does not ask for a longer
 * pause (`Retry-After`) than `maxDelay` (such an answer is returned, not retried). One rule for
 * the session's exchanges and for `download()`'s fast path.
 */
export function retriesStatus(
  policy: ResolvedRetry | undefined,
  attempt: number,
  attempts: number,
  status: number,
  retryAfter: string | undefined,
): boolean {
  if (policy === undefined || attempt >= attempts || !policy.statuses.has(status)) return false;
  const wait = retryAfterMs(retryAfter);
  return wait === undefined || wait <= (policy.options.maxDelay ?? 30_000);
}

/**
 * @internal The error that makes the retry loop try again after this answer, or `undefined` when
 * the answer is to be returned (or raised, under `raiseForStatus`) as it is: the policy does not
 * retry its status ({@link retriesStatus}), or the user's `retryIf` says no. `retryIf` is asked
 * here, once, while the answer is still in hand: "no" means "do not retry", so the caller gets
 * exactly what it would without a retry policy. What `retryIf` throws propagates.
 */
export function retryableStatus(
  policy: ResolvedRetry | undefined,
  attempt: number,
  attempts: number,
  answer: RetryableAnswer,
  retryAfter: string | undefined,
): RetryableStatusError | undefined {
  if (!retriesStatus(policy, attempt, attempts, answer.status, retryAfter)) return undefined;
  const error = new RetryableStatusError(answer, retryAfter);
  const userIf = policy?.options.retryIf;
  return userIf === undefined || userIf(error, attempt) ? error : undefined;
}

/** @internal Milliseconds to wait according to a `Retry-After` value, or undefined. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const kRetryable = Symbol("taskio.http.retryable");

/** @internal What a retryable answer is described by: a session response, or the fast path's head. */
export type RetryableAnswer = Pick<ClientResponse, "status" | "reason" | "headers" | "method" | "url">;

/** @internal Thrown inside the retry loop for a response whose status is worth another attempt. */
export class RetryableStatusError extends ClientResponseError {
  readonly retryAfter: string | undefined;
  readonly [kRetryable] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && kRetryable in value;
  }

  constructor(response: RetryableAnswer, retryAfter: string | undefined) {
    super(`The server answered ${response.status} ${response.reason}: ${response.method} ${response.url}`, {
      status: response.status,
      reason: response.reason,
      headers: response.headers,
      method: response.method,
      url: response.url,
    });
    this.retryAfter = retryAfter;
  }

  /** The public error for the caller. */
  toResponseError(): ClientResponseError {
    return new ClientResponseError(this.message, {
      status: this.status,
      reason: this.reason,
      ...(this.headers === undefined ? {} : { headers: this.headers }),
      ...(this.method === undefined ? {} : { method: this.method }),
      ...(this.url === undefined ? {} : { url: this.url }),
    });
  }
}
