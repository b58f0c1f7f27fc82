/**
 * Small pieces of request building for `ClientSession`: method and parameter handling, timeout
 * merging, and the headers that change on a redirect.
 *
 * @module
 * @internal
 */

import { describe as describeValue } from "../core/clock.js";
import { count, flag, validateHeaders, validateRetry, validateTimeout } from "./validate.js";
import type { RequestOptions } from "./session.js";

const SENSITIVE = ["authorization", "cookie", "proxy-authorization"];

export function validateMethod(method: string): string {
  if (typeof method !== "string" || !/^[A-Za-z]+$/.test(method)) {
    throw new TypeError(`Expected 'method' to be an HTTP method such as "GET": received ${JSON.stringify(method)}`);
  }
  return method.toUpperCase();
}

/**
 * Checks a request's options before anything is sent, so that a wrong one is one clear
 * `TypeError` / `RangeError` naming it (not undici's error, nor a request sent without it).
 */
export function validateRequestOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected the request options to be an object: received ${describeValue(options)}`);
  }
  const o = options as RequestOptions;
  const params: unknown = o.params;
  if (params !== undefined && !(params instanceof URLSearchParams) && (typeof params !== "object" || params === null || Array.isArray(params))) {
    throw new TypeError(`Expected 'params' to be an object of query parameters or URLSearchParams: received ${describeValue(params)}`);
  }
  if (o.headers !== undefined) validateHeaders(o.headers, "headers");
  if (o.timeout !== undefined) validateTimeout(o.timeout, "timeout");
  flag(o.raiseForStatus, "raiseForStatus", false);
  flag(o.allowRedirects, "allowRedirects", true);
  count(o.maxRedirects, "maxRedirects", 0, 0, " (0 to follow none)");
  validateRetry(o.retry, "retry");
  if (o.signal !== undefined && !((o.signal as unknown) instanceof AbortSignal)) {
    throw new TypeError(`Expected 'signal' to be an AbortSignal: received ${describeValue(o.signal)}`);
  }
  if (o.json !== undefined && o.data !== undefined) {
    throw new TypeError("Expected either 'json' or 'data', not both: send the value as 'json', or encode it yourself as 'data'");
  }
}

export function appendParams(url: URL, params: NonNullable<RequestOptions["params"]>): void {
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) url.searchParams.append(k, v);
    return;
  }
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const v of value as readonly unknown[]) url.searchParams.append(key, String(v));
    else url.searchParams.append(key, String(value));
  }
}

export interface Timeouts {
  total: number;
  connect: number | undefined;
  sockRead: number | undefined;
}

export function mergeTimeout(base: Timeouts, extra: RequestOptions["timeout"]): Timeouts {
  const out = { total: base.total, connect: base.connect, sockRead: base.sockRead };
  if (extra === undefined) return out;
  const t = validateTimeout(extra, "timeout");
  if (t.total !== undefined) out.total = t.total;
  if (t.connect !== undefined) out.connect = t.connect;
  if (t.sockRead !== undefined) out.sockRead = t.sockRead;
  return out;
}

/** Drops the credentials a redirect to another origin must not carry. */
export function stripCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!SENSITIVE.includes(k)) out[k] = v;
  return out;
}

/** Drops the body headers when a redirect turns the request into a GET. */
export function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k !== "content-type" && k !== "content-length") out[k] = v;
  return out;
}
