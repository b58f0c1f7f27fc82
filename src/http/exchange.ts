/**
 * One HTTP request/response exchange on undici's dispatch API: the handler that undici calls
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`), the timers (total, connect,
 * sockRead) on the run's clock, and aborting.
 *
 * Why the dispatch API and not `undici.request()`: `request()` wraps every response in a Node
 * `Readable` and an `AsyncResource` and needs an `AbortSignal` (an abort listener per request)
 * to be cancelled. Here undici's own `abort` callback is kept, the waiting caller is a taskio
 * suspension (cancelling the task aborts the request with no signal at all), and body chunks go
 * straight into {@link ResponseContent} with undici's `pause`/`resume` as backpressure.
 *
 * @module
 * @internal
 */

import type { Dispatcher } from "undici";
import {
  CancelledError,
  ClientConnectionError,
  ClientPayloadError,
  ClientTimeoutError,
  ResponseTooLargeError,
} from "../errors.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import { suspend, type Suspension } from "../core/suspend.js";
import { ResponseContent } from "./content.js";
import { ClientResponse } from "./response.js";

/** @internal Everything one exchange needs to know. */
export interface ExchangePlan {
  dispatcher: Dispatcher;
  clock: Clock;
  method: string;
  url: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: Dispatcher.DispatchOptions["body"];
  /** Absolute deadline on `clock` for the total timeout, or Infinity. */
  deadline: number;
  total: number;
  connect: number | undefined;
  sockRead: number | undefined;
  maxResponseSize: number;
  readLimit: number;
  signal: AbortSignal | undefined;
  history: readonly string[];
  /** Called once when the exchange is over (body complete, failed or aborted). */
  onDone: (() => void) | undefined;
}

const WAITING = 0;
const BODY = 1;
const DONE = 2;

/** @internal */
/** @internal Where body chunks go instead of the reader (the download path). */
export interface BodySink {
  /** Takes a chunk; returns false to pause the socket until `exchange.resume()`. */
  write(chunk: Buffer): boolean;
  end(): void;
  fail(error: unknown): void;
}

/** @internal */
export class Exchange implements Dispatcher.DispatchHandler {
  readonly plan: ExchangePlan;
  readonly label: string;
  #state = WAITING;
  #abort: ((error: Error) => void) | undefined = undefined;
  #reason: Error | undefined = undefined;
  #suspension: Suspension<ClientResponse> | undefined = undefined;
  #content: ResponseContent | undefined = undefined;
  #resumeFn: (() => void) | undefined = undefined;
  #sink: BodySink | undefined = undefined;
  #ended = false;
  #failure: unknown = undefined;
  #paused = false;
  #received = 0;
  #totalTimer: TimerHandle | undefined = undefined;
  #connectTimer: TimerHandle | undefined = undefined;
  #readTimer: TimerHandle | undefined = undefined;
  #lastActivity = 0;

  constructor(plan: ExchangePlan) {
    this.plan = plan;
    this.label = `${plan.method} ${plan.url}`;
  }

  /** Sends the request; resolves with the response once its headers arrived. */
  start(): Promise<ClientResponse> {
    const plan = this.plan;
    let s: Suspension<ClientResponse>;
    try {
      s = suspend<ClientResponse>(this.label, this.#abandon, plan.signal);
    } catch (error) {
      plan.onDone?.();
      return Promise.reject(error);
    }
    this.#suspension = s;
    const clock = plan.clock;
    if (plan.deadline !== Infinity) {
      this.#totalTimer = clock.setTimer(this.#onTotal, Math.max(0, plan.deadline - clock.now()));
    }
    if (plan.connect !== undefined) this.#connectTimer = clock.setTimer(this.#onConnectTimeout, plan.connect);
    const options: Dispatcher.DispatchOptions = {
      origin: plan.origin,
      path: plan.path,
      method: plan.method,
      headers: plan.headers,
      body: plan.body ?? null,
    };
    if (plan.sockRead !== undefined) {
      // Our own timer, on the run's clock, names the timeout and ignores time spent paused.
      options.headersTimeout = 0;
      options.bodyTimeout = 0;
    }
    plan.dispatcher.dispatch(options, this);
    return s.promise;
  }

  /** Aborts the exchange (idempotent): before headers the caller gets `reason`, after it the body does. */
  abort(reason: Error): void {
    if (this.#state === DONE) return;
    if (this.#reason === undefined) this.#reason = reason;
    const abort = this.#abort;
    if (abort !== undefined) {
      abort(reason);
    } else if (this.#state === WAITING) {
      // Not on a socket yet: undici calls onConnect later and we abort it there. The caller is
      // told now.
      this.#suspension?.fail(reason);
      this.#suspension = undefined;
    }
  }

  /** True while the body is still arriving. */
  get active(): boolean {
    return this.#state !== DONE;
  }

  #abandon = (s: Suspension<ClientResponse>): void => {
    // The caller was cancelled (or its signal aborted) while waiting for the headers.
    if (this.#suspension === s) this.#suspension = undefined;
    const signal = this.plan.signal;
    const reason: Error =
      signal !== undefined && signal.aborted && signal.reason instanceof Error
        ? signal.reason
        : new CancelledError(`The request was cancelled: ${this.label}`);
    this.abort(reason);
  };

  // ----- timers ---------------------------------------------------------------------------

  #onTotal = (): void => {
    this.#totalTimer = undefined;
    const total = this.plan.total;
    this.abort(
      new ClientTimeoutError(`The total timeout of ${total} ms fired: ${this.label}`, {
        which: "total",
        timeout: total,
        method: this.plan.method,
        url: this.plan.url,
      }),
    );
  };

  #onConnectTimeout = (): void => {
    this.#connectTimer = undefined;
    this.abort(this.#connectError(undefined));
  };

  #connectError(cause: unknown): ClientTimeoutError {
    const connect = this.plan.connect;
    return new ClientTimeoutError(
      `The connect timeout${connect === undefined ? "" : ` of ${connect} ms`} fired: ${this.label}`,
      { which: "connect", ...(connect === undefined ? {} : { timeout: connect }), method: this.plan.method, url: this.plan.url, cause },
    );
  }

  #sockReadError(cause: unknown): ClientTimeoutError {
    const sockRead = this.plan.sockRead;
    const phase = this.#state === WAITING ? "waiting for the response headers" : "reading the response body";
    return new ClientTimeoutError(
      `The sockRead timeout${sockRead === undefined ? "" : ` of ${sockRead} ms`} fired ${phase}: ${this.label}`,
      { which: "sockRead", ...(sockRead === undefined ? {} : { timeout: sockRead }), method: this.plan.method, url: this.plan.url, cause },
    );
  }

  #armRead(ms: number): void {
    this.#readTimer = this.plan.clock.setTimer(this.#onReadTimeout, ms);
  }

  #onReadTimeout = (): void => {
    this.#readTimer = undefined;
    const sockRead = this.plan.sockRead as number;
    const idle = this.plan.clock.now() - this.#lastActivity;
    if (this.#paused) {
      // Paused by our own backpressure: the server is not late, the reader is.
      this.#armRead(sockRead);
    } else if (idle < sockRead) {
      this.#armRead(sockRead - idle);
    } else {
      this.abort(this.#sockReadError(undefined));
    }
  };

  #clearTimers(): void {
    const clock = this.plan.clock;
    if (this.#totalTimer !== undefined) clock.clearTimer(this.#totalTimer);
    if (this.#connectTimer !== undefined) clock.clearTimer(this.#connectTimer);
    if (this.#readTimer !== undefined) clock.clearTimer(this.#readTimer);
    this.#totalTimer = this.#connectTimer = this.#readTimer = undefined;
  }

  #finish(): void {
    if (this.#state === DONE) return;
    const wasBody = this.#state === BODY;
    this.#state = DONE;
    this.#clearTimers();
    this.#abort = undefined;
    if (wasBody) this.plan.signal?.removeEventListener("abort", this.#onSignal);
    this.plan.onDone?.();
  }

  // ----- backpressure -----------------------------------------------------------------------

  /** @internal The reader caught up: let undici read the socket again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#lastActivity = this.plan.clock.now();
    this.#resumeFn?.();
  }

  // ----- undici's handler -------------------------------------------------------------------

  /** @internal */
  onConnect(abort: (error?: Error) => void): void {
    if (this.#reason !== undefined) {
      abort(this.#reason);
      return;
    }
    this.#abort = abort;
    if (this.#connectTimer !== undefined) {
      this.plan.clock.clearTimer(this.#connectTimer);
      this.#connectTimer = undefined;
    }
    const sockRead = this.plan.sockRead;
    if (sockRead !== undefined) {
      this.#lastActivity = this.plan.clock.now();
      this.#armRead(sockRead);
    }
  }

  /** @internal */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    const plan = this.plan;
    this.#resumeFn = resume;
    this.#state = BODY;
    if (plan.sockRead !== undefined) this.#lastActivity = plan.clock.now();
    const content = new ResponseContent({ limit: plan.readLimit });
    content.setTransport({
      pauseReading: () => {
        this.#paused = true;
      },
      resumeReading: () => this.resume(),
    });
    this.#content = content;
    const response = new ClientResponse(this, statusCode, statusText, rawHeaders, content);
    const s = this.#suspension;
    this.#suspension = undefined;
    if (plan.maxResponseSize !== Infinity && plan.method !== "HEAD") {
      const length = response.contentLength;
      if (length !== undefined && length > plan.maxResponseSize) {
        const error = this.#tooLarge(`announces ${length} bytes`);
        this.#reason = error;
        s?.fail(error);
        this.#abort?.(error);
        return false;
      }
    }
    if (s === undefined || !s.resume(response)) {
      // Nobody is waiting any more (cancelled in this very tick): free the connection.
      this.abort(this.#reason ?? new CancelledError(`The request was cancelled: ${this.label}`));
      return false;
    }
    const signal = plan.signal;
    if (signal !== undefined && this.#state === BODY) {
      // As with fetch(), the caller's signal covers the body too (a listener only when given).
      signal.addEventListener("abort", this.#onSignal);
    }
    return true;
  }

  #onSignal = (): void => {
    const reason: unknown = this.plan.signal?.reason;
    this.abort(reason instanceof Error ? reason : new CancelledError(`The request was aborted: ${this.label}`));
  };

  #tooLarge(detail: string): ResponseTooLargeError {
    const limit = this.plan.maxResponseSize;
    return new ResponseTooLargeError(
      `The response body is larger than maxResponseSize: it ${detail}, the limit is ${limit}: ${this.label}`,
      { limit, method: this.plan.method, url: this.plan.url },
    );
  }

  /** @internal */
  onData(chunk: Buffer): boolean {
    const content = this.#content;
    if (content === undefined || this.#state !== BODY) return true;
    this.#received += chunk.length;
    if (this.#received > this.plan.maxResponseSize) {
      this.abort(this.#tooLarge(`exceeded ${this.plan.maxResponseSize} bytes`));
      return false;
    }
    if (this.plan.sockRead !== undefined) this.#lastActivity = this.plan.clock.now();
    const sink = this.#sink;
    if (sink !== undefined) {
      if (sink.write(chunk)) return true;
      this.#paused = true;
      return false;
    }
    content._received(chunk.length);
    content.feedData(chunk);
    return !this.#paused;
  }

  /** @internal */
  onComplete(): void {
    const content = this.#content;
    this.#finish();
    this.#ended = true;
    if (this.#sink !== undefined) this.#sink.end();
    else content?.feedEof();
  }

  /**
   * Sends the rest of the body to `sink` instead of the reader (the download path). What the
   * reader already holds is not moved: read it first.
   */
  setSink(sink: BodySink): void {
    this.#sink = sink;
    if (this.#ended) sink.end();
    else if (this.#failure !== undefined) sink.fail(this.#failure);
    else if (this.#paused) this.resume();
  }

  /** Bytes of body received so far. */
  get received(): number {
    return this.#received;
  }

  /** @internal */
  onError(error: Error): void {
    const translated = this.#translate(error);
    const s = this.#suspension;
    this.#suspension = undefined;
    const content = this.#content;
    this.#finish();
    this.#failure = translated;
    if (s !== undefined) s.fail(translated);
    if (this.#sink !== undefined) this.#sink.fail(translated);
    else content?.setException(translated);
  }

  #translate(error: Error): Error {
    const reason = this.#reason;
    if (reason !== undefined) return reason;
    const code = (error as { code?: string }).code;
    const plan = this.plan;
    switch (code) {
      case "UND_ERR_CONNECT_TIMEOUT":
        return this.#connectError(error);
      case "UND_ERR_HEADERS_TIMEOUT":
      case "UND_ERR_BODY_TIMEOUT":
        return this.#sockReadError(error);
      case "UND_ERR_INVALID_ARG":
      case "UND_ERR_NOT_SUPPORTED":
        return error;
      default:
        break;
    }
    const detail = `${code === undefined ? "" : `${code} `}${error.message}`;
    if (this.#state === WAITING) {
      return new ClientConnectionError(`The connection failed before a response arrived (${detail}): ${this.label}`, {
        cause: error,
        method: plan.method,
        url: plan.url,
      });
    }
    return new ClientPayloadError(
      `The response body broke off after ${this.#received} bytes (${detail}): ${this.label}`,
      { cause: error, method: plan.method, url: plan.url },
    );
  }
}
