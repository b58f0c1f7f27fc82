/**
 * `ClientSession`: pooled, keep-alive HTTP on undici, with taskio's cancellation, timeouts,
 * limits, redirects and retries. aiohttp: `aiohttp.ClientSession`.
 *
 * @module
 */

import type { Dispatcher } from "undici";
import { ClientResponseError, ClientTimeoutError, ClientConnectionError, ClosedResourceError, TooManyRedirectsError } from "../errors.js";
import { getClock } from "../core/task.js";
import { suspend, type Suspension } from "../core/suspend.js";
import { describe } from "../core/clock.js";
import { retry, type RetryOptions } from "../retry.js";
import { Exchange, type ExchangePlan } from "./exchange.js";
import { prepareBody, type PreparedBody, type RequestData } from "./request-body.js";
import {
  appendParams,
  mergeTimeout,
  stripCredentials,
  validateMethod,
  validateRequestOptions,
  withoutBodyHeaders,
  type Timeouts,
} from "./request-helpers.js";
import type { ClientResponse } from "./response.js";
import {
  retryAfterMs,
  resolveRetry,
  retryableStatus,
  RetryableStatusError,
  type ClientSessionOptions,
  type ClientTimeout,
  type HttpRetryOptions,
  type ResolvedRetry,
  type RetryableAnswer,
  type SessionSettings,
} from "./options.js";
import { validateHeaders, validateSessionOptions } from "./validate.js";

export type { ClientSessionOptions, ClientTimeout, HttpRetryOptions } from "./options.js";

/** Options of one request. aiohttp: the keyword arguments of `session.request()`. */
export interface RequestOptions {
  /** Query parameters appended to the URL. aiohttp: `params`. */
  params?: URLSearchParams | Record<string, string | number | boolean | readonly (string | number | boolean)[]>;
  /** Headers for this request, over the session's. */
  headers?: Record<string, string> | Headers | readonly (readonly [string, string])[];
  /** A value sent as JSON (`Content-Type: application/json`). */
  json?: unknown;
  /** The body: string, bytes, `URLSearchParams`, `FormData`, a stream or an (async) iterable. */
  data?: RequestData;
  /** Timeouts for this request (a number is `total`), over the session's. */
  timeout?: number | ClientTimeout;
  /** Aborting it aborts the request, body included (the waiting call rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Throw {@link ClientResponseError} on a status of 400 or more. @default the session's */
  raiseForStatus?: boolean;
  /** Retry this request (over the session's setting); `false` disables it. */
  retry?: boolean | number | HttpRetryOptions;
  /** Follow redirects. aiohttp: `allow_redirects`. @default true */
  allowRedirects?: boolean;
  /** At most this many redirects. @default the session's (10) */
  maxRedirects?: number;
}

/** @internal See `ClientSession._rawPlan`. */
export interface RawPlan {
  url: URL;
  headers: Record<string, string>;
  timeout: Timeouts;
  maxResponseSize: number;
  /** For an `https:` URL: the session's TLS settings (the same as undici's connections get). */
  tls: SessionSettings["tls"] | undefined;
  acquire(signal: AbortSignal | undefined): Promise<void> | undefined;
  release(): void;
  /** Registers a running fast-path exchange so that `close()` aborts it; returns the unregister. */
  track(exchange: { abort(reason: Error): void }): () => void;
}

/** @internal One attempt of a GET run by {@link ClientSession._retrying} (`download()`). */
export interface GetAttempt {
  /** The attempt's number, from 1. */
  readonly attempt: number;
  /**
   * Sends this attempt through undici: redirects, the session's statuses to retry... It never
   * raises for a status, whatever `raiseForStatus` says: `download()` judges every status itself,
   * the same way on both paths (a 416 on a resumed download may mean the `.part` is complete;
   * other statuses of 400 or more it raises).
   */
  send(): Promise<ClientResponse>;
  /**
   * For an answer received elsewhere (the fast path's own socket): throws what makes the retry
   * loop wait (honouring `Retry-After`) and try again when the policy retries this status, as
   * {@link ClientSession.request} does for its own answers; returns otherwise.
   */
  retryStatus(answer: RetryableAnswer, retryAfter: string | undefined): void;
}

/**
 * A pool of keep-alive connections and the defaults for every request made through it.
 * aiohttp: `aiohttp.ClientSession`. `await using session = new ClientSession()` is the seed's
 * `async with aiohttp.ClientSession() as session`.
 *
 * Cancelling the calling task aborts its request and frees the connection. Timeouts reject with
 * {@link ClientTimeoutError} naming which one fired (`total`, `connect`, `sockRead`).
 * Redirects are followed up to `maxRedirects`; credentials (`Authorization`, `Cookie`) are
 * never forwarded to another origin. TLS certificates are verified.
 *
 * @example Fetching JSON
 * ```ts
 * await using session = new ClientSession({ baseUrl: "http://127.0.0.1:8080", timeout: { total: 5000 } });
 * await using resp = await session.get("/items", { params: { page: 2 } });
 * resp.raiseForStatus();
 * console.log(await resp.json());
 * ```
 */
export class ClientSession {
  #settings: SessionSettings;
  #dispatcher: Dispatcher | undefined;
  #loading: Promise<Dispatcher> | undefined = undefined;
  #ownsDispatcher: boolean;
  #closed = false;
  #active = 0;
  #waiters: Suspension<void>[] = [];
  #waitHead = 0;
  #urlCache = new Map<string, URL>();
  #raw = new Set<{ abort(reason: Error): void }>();

  /**
   * @param options Session defaults: see {@link ClientSessionOptions}.
   * @throws {TypeError | RangeError} naming a bad option.
   */
  constructor(options: ClientSessionOptions = {}) {
    const settings = validateSessionOptions(options);
    this.#settings = settings;
    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      // undici is loaded on the first request, not at import: a process that only downloads
      // over the fast path never pays its ~20 MB.
      this.#dispatcher = undefined;
      this.#ownsDispatcher = true;
    }
  }

  #loadDispatcher(): Promise<Dispatcher> {
    this.#loading ??= import("undici").then(({ Agent }) => {
      const settings = this.#settings;
      const agent = new Agent({
        connections: settings.limitPerHost === 0 ? null : settings.limitPerHost,
        connect: {
          ...(settings.timeout.connect === undefined ? {} : { timeout: settings.timeout.connect }),
          rejectUnauthorized: settings.tls.rejectUnauthorized,
          ...(settings.tls.ca === undefined ? {} : { ca: settings.tls.ca }),
        },
      });
      if (this.#closed) void agent.destroy();
      else this.#dispatcher = agent;
      return agent;
    });
    return this.#loading;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests whose exchange is not over (holding a connection or waiting for one). */
  get active(): number {
    return this.#active;
  }

  /** GET `url`. aiohttp: `session.get()`. */
  get(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("GET", url, options);
  }
  /** POST `url`. */
  post(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("POST", url, options);
  }
  /** PUT `url`. */
  put(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("PUT", url, options);
  }
  /** PATCH `url`. */
  patch(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("PATCH", url, options);
  }
  /** DELETE `url`. */
  delete(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("DELETE", url, options);
  }
  /** HEAD `url`. */
  head(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("HEAD", url, { allowRedirects: false, ...options });
  }
  /** OPTIONS `url`. */
  options(url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    return this.request("OPTIONS", url, options);
  }

  /**
   * Sends a request; resolves once the status line and headers arrived. aiohttp: `request()`.
   * @param method An HTTP method (case-insensitive).
   * @param url Absolute, or relative to `baseUrl`.
   * @returns The {@link ClientResponse}; read or release its body.
   * @throws {ClientConnectionError} when no response arrived (refused, reset, DNS, TLS).
   * @throws {ClientTimeoutError} when a timeout fired (`which` says which).
   * @throws {ClientResponseError} with `raiseForStatus` and a status of 400 or more.
   * @throws {TooManyRedirectsError} past `maxRedirects`.
   * @throws {ResponseTooLargeError} when `Content-Length` exceeds `maxResponseSize`.
   * @throws {CancelledError} when the task was cancelled (the request is aborted).
   */
  request(method: string, url: string | URL, options?: RequestOptions): Promise<ClientResponse> {
    if (this.#closed) {
      return Promise.reject(new ClosedResourceError("The session is closed: create a new ClientSession"));
    }
    let target: URL;
    let upper: string;
    try {
      upper = validateMethod(method);
      validateRequestOptions(options);
      target = this.#resolve(url, options?.params);
    } catch (error) {
      return Promise.reject(error);
    }
    let policy: ResolvedRetry | undefined;
    let body: PreparedBody | Promise<PreparedBody>;
    try {
      policy = resolveRetry(this.#settings.retry, options?.retry, upper);
      body = prepareBody(options?.json, options?.data, options?.json !== undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    const go = (prepared: PreparedBody): Promise<ClientResponse> => {
      const used = prepared.replayable ? policy : undefined;
      return this.#withRetry(options, used, (attempt, attempts) =>
        this.#send(upper, target, prepared, options, attempt, attempts, used),
      );
    };
    return body instanceof Promise ? body.then(go) : go(body);
  }

  /**
   * @internal A GET under the session's retry policy whose attempts `fn` makes: `download()`
   * tries each one on its fast path first, and hands the answers it got there to
   * `retryStatus`, so that a `Retry-After` is honoured and each attempt counted once, exactly
   * as for `request()`. Rejects, before anything is sent, on a closed session or a bad URL.
   */
  _retrying<T>(url: string | URL, options: RequestOptions, fn: (attempt: GetAttempt) => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ClosedResourceError("The session is closed: create a new ClientSession"));
    }
    let target: URL;
    let policy: ResolvedRetry | undefined;
    try {
      validateRequestOptions(options);
      target = this.#resolve(url, options.params);
      policy = resolveRetry(this.#settings.retry, options.retry, "GET");
    } catch (error) {
      return Promise.reject(error);
    }
    const body = prepareBody(undefined, undefined, false) as PreparedBody;
    const quiet: RequestOptions = { ...options, raiseForStatus: false };
    return this.#withRetry(options, policy, (attempt, attempts) =>
      fn({
        attempt,
        send: () => this.#send("GET", target, body, quiet, attempt, attempts, policy),
        retryStatus: (answer, retryAfter) => {
          const again = retryableStatus(policy, attempt, attempts, answer, retryAfter);
          if (again !== undefined) throw again;
        },
      }),
    );
  }

  /** Runs `fn` once per attempt as `policy` says (once without one); Retry-After is honoured. */
  #withRetry<T>(
    options: RequestOptions | undefined,
    policy: ResolvedRetry | undefined,
    fn: (attempt: number, attempts: number) => Promise<T>,
  ): Promise<T> {
    if (policy === undefined) return fn(1, 1);
    const attempts = policy.options.attempts ?? 3;
    const userIf = policy.options.retryIf;
    const retryOptions: RetryOptions = {
      ...policy.options,
      retryIf: (error, attempt) => {
        // A status was judged where it was answered (retryIf included: see retryableStatus).
        if (error instanceof RetryableStatusError) return true;
        const retryable = error instanceof ClientConnectionError || (error instanceof ClientTimeoutError && error.which !== "total");
        return retryable && (userIf === undefined || userIf(error, attempt));
      },
      delayFor: (error, attempt) => {
        const own = error instanceof RetryableStatusError ? retryAfterMs(error.retryAfter) : undefined;
        return own ?? policy.options.delayFor?.(error, attempt);
      },
    };
    if (options?.signal !== undefined) retryOptions.signal = options.signal;
    return retry((attempt) => fn(attempt, attempts), retryOptions).catch(
      (error: unknown) => {
        // Escapes only when the signal aborted the retries after a retryable status.
        if (error instanceof RetryableStatusError) throw options?.signal?.aborted === true ? options.signal.reason : error.toResponseError();
        throw error;
      },
    );
  }

  async #send(
    method: string,
    url: URL,
    body: PreparedBody,
    options: RequestOptions | undefined,
    attempt: number,
    attempts: number,
    policy?: ResolvedRetry,
  ): Promise<ClientResponse> {
    const settings = this.#settings;
    const timeout = mergeTimeout(settings.timeout, options?.timeout);
    const clock = getClock();
    const deadline = timeout.total === Infinity ? Infinity : clock.now() + timeout.total;
    const maxRedirects = options?.maxRedirects ?? settings.maxRedirects;
    const follow = options?.allowRedirects ?? true;
    let headers = this.#headers(options?.headers, body.contentType);
    const history: string[] = [];
    let current = url;
    let currentMethod = method;
    let currentBody = body;
    for (;;) {
      const permit = this.#acquire(options?.signal);
      if (permit !== undefined) await permit;
      const plan: ExchangePlan = {
        dispatcher: this.#dispatcher ?? (await this.#loadDispatcher()),
        clock,
        method: currentMethod,
        url: current.href,
        origin: current.origin,
        path: current.pathname + current.search,
        headers,
        body: null,
        deadline,
        total: timeout.total,
        connect: timeout.connect,
        sockRead: timeout.sockRead,
        maxResponseSize: settings.maxResponseSize,
        readLimit: settings.readLimit,
        signal: options?.signal,
        history: history.slice(),
        onDone: this.#release,
      };
      try {
        plan.body = currentBody.make();
      } catch (error) {
        this.#release();
        throw error;
      }
      const response = await new Exchange(plan).start();
      const status = response.status;
      if (follow && status >= 300 && status < 400 && status !== 304) {
        const location = response._header("location");
        if (location !== undefined) {
          const keepsBody = status === 307 || status === 308;
          if (!keepsBody || currentBody.replayable) {
            response.release();
            if (history.length >= maxRedirects) {
              throw new TooManyRedirectsError(
                `Too many redirects: more than maxRedirects (${maxRedirects}), last to ${location}: ${method} ${url.href}`,
                { status, method, url: current.href, history: [...history, current.href] },
              );
            }
            history.push(current.href);
            const next = new URL(location, current);
            if (next.protocol !== "http:" && next.protocol !== "https:") {
              throw new ClientResponseError(`Refusing to follow a redirect to a ${next.protocol} URL: ${next.href}`, {
                status,
                method,
                url: current.href,
              });
            }
            if (next.origin !== current.origin) headers = stripCredentials(headers);
            if (!keepsBody && (status === 303 || currentMethod === "POST")) {
              if (currentMethod !== "HEAD") currentMethod = "GET";
              currentBody = prepareBody(undefined, undefined, false) as PreparedBody;
              headers = withoutBodyHeaders(headers);
            }
            current = next;
            continue;
          }
        }
      }
      const retryAfter = policy === undefined ? undefined : response._header("retry-after");
      // A server asking for a longer pause than maxDelay, or a retryIf saying no, gets its answer
      // returned (raised under raiseForStatus), not a retry.
      let again: RetryableStatusError | undefined;
      try {
        again = retryableStatus(policy, attempt, attempts, response, retryAfter);
      } catch (error) {
        response.release();
        throw error;
      }
      if (again !== undefined) {
        response.release();
        throw again;
      }
      if (options?.raiseForStatus ?? settings.raiseForStatus) response.raiseForStatus();
      return response;
    }
  }

  #resolve(url: string | URL, params: RequestOptions["params"]): URL {
    let target: URL;
    if (typeof url === "string" && params === undefined) {
      const cached = this.#urlCache.get(url);
      if (cached !== undefined) return cached;
      target = this.#parse(url);
      if (this.#urlCache.size >= 512) this.#urlCache.clear();
      this.#urlCache.set(url, target);
      return target;
    }
    if (typeof url === "string") target = this.#parse(url);
    else if (url instanceof URL) target = this.#check(new URL(url.href));
    else throw new TypeError(`Expected 'url' to be a string or a URL: received ${describe(url)}`);
    if (params !== undefined) appendParams(target, params);
    return target;
  }

  #parse(url: string): URL {
    const base = this.#settings.baseUrl;
    let target: URL;
    try {
      target = base === undefined ? new URL(url) : new URL(url, base);
    } catch {
      throw new TypeError(
        base === undefined
          ? `Expected 'url' to be an absolute URL such as "http://host/path" (or set the session's baseUrl for relative ones): received ${JSON.stringify(url)}`
          : `Expected 'url' to be a URL or a path relative to baseUrl ${base.href}: received ${JSON.stringify(url)}`,
      );
    }
    return this.#check(target);
  }

  #check(target: URL): URL {
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw new TypeError(`Expected 'url' to be an http: or https: URL (taskio/http speaks only HTTP): received ${JSON.stringify(target.href)}`);
    }
    return target;
  }

  #headers(extra: RequestOptions["headers"], contentType: string | undefined): Record<string, string> {
    const base = this.#settings.headers;
    if (extra === undefined && contentType === undefined) return base;
    const out: Record<string, string> = { ...base };
    if (extra !== undefined) Object.assign(out, validateHeaders(extra, "headers"));
    if (contentType !== undefined && out["content-type"] === undefined) out["content-type"] = contentType;
    return out;
  }

  // ----- the total connection limit ---------------------------------------------------------

  #acquire(signal: AbortSignal | undefined): Promise<void> | undefined {
    const limit = this.#settings.limit;
    if (this.#closed) throw new ClosedResourceError("The session is closed: create a new ClientSession");
    if (limit === 0 || this.#active < limit) {
      this.#active++;
      return undefined;
    }
    const s = suspend<void>("ClientSession connection limit", this.#forget, signal);
    this.#waiters.push(s);
    return s.promise;
  }

  #forget = (s: Suspension<void>): void => {
    const index = this.#waiters.indexOf(s, this.#waitHead);
    if (index >= 0) this.#waiters.splice(index, 1);
  };

  #release = (): void => {
    while (this.#waitHead < this.#waiters.length) {
      const next = this.#waiters[this.#waitHead] as Suspension<void>;
      this.#waiters[this.#waitHead++] = undefined as never;
      if (this.#waitHead === this.#waiters.length) {
        this.#waiters = [];
        this.#waitHead = 0;
      }
      // The permit passes straight to the next waiter (still counted in #active).
      if (next.resume()) return;
    }
    this.#active--;
  };

  /**
   * @internal What `download()` needs to fetch a body over its own socket (TCP, or TLS for an
   * `https:` URL): the resolved URL, the headers, the timeouts, the TLS settings and the
   * session's connection limit. `undefined` when the request is not eligible (a custom
   * dispatcher, a closed session).
   */
  _rawPlan(url: string | URL, options: RequestOptions): RawPlan | undefined {
    if (this.#closed || !this.#ownsDispatcher) return undefined;
    const target = this.#resolve(url, options.params);
    if (target.protocol !== "http:" && target.protocol !== "https:") return undefined;
    return {
      url: target,
      headers: this.#headers(options.headers, undefined),
      timeout: mergeTimeout(this.#settings.timeout, options.timeout),
      maxResponseSize: this.#settings.maxResponseSize,
      tls: target.protocol === "https:" ? this.#settings.tls : undefined,
      acquire: (signal) => this.#acquire(signal),
      release: this.#release,
      track: (exchange) => {
        this.#raw.add(exchange);
        return () => this.#raw.delete(exchange);
      },
    };
  }

  /**
   * Closes every connection; requests still running are aborted. Idempotent. aiohttp: `close()`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new ClosedResourceError("The session was closed while waiting for a connection");
    for (let i = this.#waitHead; i < this.#waiters.length; i++) this.#waiters[i]?.fail(error);
    this.#waiters = [];
    this.#waitHead = 0;
    const closed = new ClosedResourceError("The session was closed during the request");
    for (const exchange of [...this.#raw]) exchange.abort(closed);
    if (this.#ownsDispatcher && this.#dispatcher !== undefined) await this.#dispatcher.destroy();
  }

  /** `await using session = new ClientSession()`: closes the session. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A short description. */
  toString(): string {
    return `<ClientSession ${this.#closed ? "closed" : "open"}, active ${this.#active}>`;
  }
}
