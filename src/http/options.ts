/**
 * The options of `ClientSession` and of its retries: types, defaults, validation.
 *
 * @module
 */

import type { Dispatcher } from "undici";
import { describe as describeValue } from "../core/clock.js";
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

/** @internal An integer option of at least `min`; `hint` says what a special value means. */
export function count(value: unknown, name: string, fallback: number, min = 0, hint = ""): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`Expected '${name}' to be a number, an integer of at least ${min}${hint}: received ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Expected '${name}' to be an integer of at least ${min}${hint}: received ${describeValue(value)}`);
  }
  return value;
}

function duration(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw new TypeError(`Expected '${name}' to be a number of milliseconds (or Infinity): received ${describeValue(value)}`);
  }
  if (Number.isNaN(value) || value <= 0) {
    throw new RangeError(`Expected '${name}' to be a positive number of milliseconds or Infinity: received ${describeValue(value)}`);
  }
  return value;
}

/** @internal A boolean option. */
export function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`Expected '${name}' to be true or false: received ${describeValue(value)}`);
  }
  return value;
}

const TIMEOUT_KEYS = new Set(["total", "connect", "sockRead"]);

/** @internal Validates a timeout option. */
export function validateTimeout(value: unknown, name: string): ClientTimeout {
  if (value === undefined) return {};
  if (typeof value === "number") return { total: duration(value, `${name}.total`) as number };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected '${name}' to be a number or { total, connect, sockRead }: received ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!TIMEOUT_KEYS.has(key)) {
      throw new TypeError(`Unknown option '${name}.${key}': use total, connect or sockRead (milliseconds)`);
    }
  }
  const t = value as ClientTimeout;
  const out: ClientTimeout = {};
  const total = duration(t.total, `${name}.total`);
  const connect = duration(t.connect, `${name}.connect`);
  const sockRead = duration(t.sockRead, `${name}.sockRead`);
  if (total !== undefined) out.total = total;
  if (connect !== undefined) out.connect = connect;
  if (sockRead !== undefined) out.sockRead = sockRead;
  return out;
}

/** @internal */
export function validateSessionOptions(options: ClientSessionOptions): SessionSettings {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected the ClientSession options to be an object: received ${describeValue(options)}`);
  }
  let baseUrl: URL | undefined;
  if (options.baseUrl !== undefined) {
    const given: unknown = options.baseUrl;
    if (typeof given !== "string" && !(given instanceof URL)) {
      throw new TypeError(`Expected 'baseUrl' to be an absolute http: or https: URL (a string or URL): received ${describeValue(given)}`);
    }
    try {
      baseUrl = new URL(String(given));
    } catch {
      throw new TypeError(`Expected 'baseUrl' to be an absolute URL such as "http://127.0.0.1:8080/": received ${JSON.stringify(String(given))}`);
    }
    if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") {
      throw new TypeError(`Expected 'baseUrl' to be an http: or https: URL: received ${JSON.stringify(baseUrl.href)}`);
    }
  }
  const headers = validateHeaders(options.headers, "headers");
  const t = validateTimeout(options.timeout, "timeout");
  const maxResponseSize = options.maxResponseSize ?? Infinity;
  if (typeof maxResponseSize !== "number") {
    throw new TypeError(`Expected 'maxResponseSize' to be a number of bytes (or Infinity): received ${describeValue(maxResponseSize)}`);
  }
  if (maxResponseSize !== Infinity && (!Number.isSafeInteger(maxResponseSize) || maxResponseSize < 0)) {
    throw new RangeError(
      `Expected 'maxResponseSize' to be a whole number of bytes of at least 0 (Infinity for no limit): received ${describeValue(maxResponseSize)}`,
    );
  }
  const r = validateRetry(options.retry, "retry") ?? false;
  const tls: unknown = options.tls;
  if (tls !== undefined && (typeof tls !== "object" || tls === null || Array.isArray(tls))) {
    throw new TypeError(`Expected 'tls' to be { rejectUnauthorized, ca }: received ${describeValue(tls)}`);
  }
  const ca: unknown = options.tls?.ca;
  const cas = ca === undefined ? [] : Array.isArray(ca) ? (ca as unknown[]) : [ca];
  for (const one of cas) {
    if (typeof one !== "string" && !Buffer.isBuffer(one)) {
      throw new TypeError(`Expected 'tls.ca' to be PEM certificates (strings or Buffers): received ${describeValue(one)}`);
    }
  }
  const dispatcher: unknown = options.dispatcher;
  if (dispatcher !== undefined && (typeof dispatcher !== "object" || dispatcher === null || typeof (dispatcher as Dispatcher).dispatch !== "function")) {
    throw new TypeError(`Expected 'dispatcher' to be an undici Dispatcher (an Agent, Pool...): received ${describeValue(dispatcher)}`);
  }
  return {
    baseUrl,
    headers,
    timeout: { total: t.total ?? Infinity, connect: t.connect, sockRead: t.sockRead },
    limit: count(options.limit, "limit", 100, 0, " (0 for no limit)"),
    limitPerHost: count(options.limitPerHost, "limitPerHost", 0, 0, " (0 for no limit)"),
    raiseForStatus: flag(options.raiseForStatus, "raiseForStatus", false),
    retry: r,
    maxRedirects: count(options.maxRedirects, "maxRedirects", 10, 0, " (0 to follow none)"),
    maxResponseSize,
    tls: {
      rejectUnauthorized: flag(options.tls?.rejectUnauthorized, "tls.rejectUnauthorized", true),
      ca: ca === undefined ? undefined : Array.isArray(ca) ? [...(ca as (string | Buffer)[])] : (ca as string | Buffer),
    },
    readLimit: count(options.readLimit, "readLimit", 65_536, 1),
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

/**
 * @internal Validates headers given as an object, a `Headers` or `[name, value]` pairs; returns
 * them with lower-case names. Names must be HTTP tokens and values strings without CR, LF or NUL
 * (which could split the request).
 */
export function validateHeaders(value: unknown, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  let entries: Iterable<readonly unknown[]>;
  if (value instanceof Headers) entries = value.entries();
  else if (Array.isArray(value)) {
    for (const pair of value as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`Expected '${name}' as an array to hold [name, value] pairs: received ${describeValue(pair)} in it`);
      }
    }
    entries = value as unknown[][];
  } else if (typeof value === "object" && value !== null) entries = Object.entries(value);
  else {
    throw new TypeError(`Expected '${name}' to be an object of strings, a Headers or [name, value] pairs: received ${describeValue(value)}`);
  }
  for (const [key, v] of entries) {
    if (typeof key !== "string" || !TOKEN.test(key)) {
      throw new TypeError(`Expected the names in '${name}' to be HTTP header names (letters, digits, - and _ ...): received ${describeValue(key)}`);
    }
    if (typeof v !== "string") {
      throw new TypeError(`Expected header '${key}' in '${name}' to be a string: received ${describeValue(v)}; convert it with String()`);
    }
    if (BAD_VALUE.test(v)) {
      throw new TypeError(`Expected header '${key}' in '${name}' to hold no CR, LF or NUL characters: received ${JSON.stringify(v)}`);
    }
    out[key.toLowerCase()] = v;
  }
  return out;
}

const RETRY_FUNCTIONS = ["retryIf", "onRetry", "delayFor", "random"] as const;

/**
 * @internal Validates a `retry` option (session or request) up front, with the option's full
 * name in each message: `retry()` would only complain at the first request.
 */
export function validateRetry(value: unknown, name: string): boolean | number | HttpRetryOptions | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (value !== Infinity && (!Number.isInteger(value) || value < 1)) {
      throw new RangeError(`Expected '${name}' as a number of attempts to be an integer of at least 1 (or Infinity; false for no retry): received ${describeValue(value)}`);
    }
    return value;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected '${name}' to be true, false, a number of attempts or retry options: received ${describeValue(value)}`);
  }
  const o = value as HttpRetryOptions;
  if (o.attempts !== undefined && (typeof o.attempts !== "number" || !(o.attempts === Infinity || (Number.isInteger(o.attempts) && o.attempts >= 1)))) {
    throw new RangeError(`Expected '${name}.attempts' to be an integer of at least 1 or Infinity: received ${describeValue(o.attempts)}`);
  }
  for (const key of ["baseDelay", "maxDelay"] as const) {
    const ms: unknown = o[key];
    if (ms !== undefined && (typeof ms !== "number" || Number.isNaN(ms) || ms < 0 || (key === "baseDelay" && ms === Infinity))) {
      throw new RangeError(`Expected '${name}.${key}' to be a non-negative number of milliseconds: received ${describeValue(ms)}`);
    }
  }
  const factor: unknown = o.factor;
  if (factor !== undefined && (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1)) {
    throw new RangeError(`Expected '${name}.factor' to be a finite number of at least 1: received ${describeValue(factor)}`);
  }
  const jitter: unknown = o.jitter;
  if (jitter !== undefined && jitter !== "full" && jitter !== "equal" && jitter !== "none") {
    throw new TypeError(`Expected '${name}.jitter' to be "full", "equal" or "none": received ${describeValue(jitter)}`);
  }
  for (const key of RETRY_FUNCTIONS) {
    const fn: unknown = o[key];
    if (fn !== undefined && typeof fn !== "function") {
      throw new TypeError(`Expected '${name}.${key}' to be a function: received ${describeValue(fn)}`);
    }
  }
  if (o.signal !== undefined && !((o.signal as unknown) instanceof AbortSignal)) {
    throw new TypeError(`Expected '${name}.signal' to be an AbortSignal: received ${describeValue(o.signal)}`);
  }
  const methods: unknown = o.methods;
  if (methods !== undefined && (!Array.isArray(methods) || !methods.every((m) => typeof m === "string" && /^[A-Za-z]+$/.test(m)))) {
    throw new TypeError(`Expected '${name}.methods' to be an array of HTTP methods such as ["GET", "PUT"]: received ${describeValue(methods)}`);
  }
  const statuses: unknown = o.statuses;
  if (statuses !== undefined && (!Array.isArray(statuses) || !statuses.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599))) {
    throw new TypeError(`Expected '${name}.statuses' to be an array of HTTP statuses (100-599) such as [429, 503]: received ${describeValue(statuses)}`);
  }
  return o;
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
