/**
 * Validation of `ClientSession` options and of a request's: each wrong value is one `TypeError`
 * (wrong type) or `RangeError` (right type, out of range) whose message names the option, says
 * what is expected and shows what was received — thrown before anything is sent.
 *
 * @module
 * @internal
 */

import type { Dispatcher } from "undici";
import { describe as describeValue } from "../core/clock.js";
import type { ClientSessionOptions, ClientTimeout, HttpRetryOptions, SessionSettings } from "./options.js";
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
