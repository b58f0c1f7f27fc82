/**
 * The download fast path: a GET on a socket of its own that reads straight into a small ring of
 * reusable buffers (`net.connect({ onread })`, or `tls.connect({ onread })` for `https:`), so a
 * body of any size is received without allocating a buffer per read. Memory stays at the ring
 * (8 × 128 KiB over TCP, 64 × 16 KiB over TLS) whatever the size.
 *
 * Why: undici (like Node's own `http`) reads each 64 KiB from the socket into a fresh buffer,
 * and the garbage collector frees them lazily; a 1 GiB download then peaks 70-110 MB above the
 * process's baseline. Here nothing is allocated per read.
 *
 * TLS: Node's TLS socket honours `onread` (Node 15.2+): each decrypted record (at most 16 KiB,
 * OpenSSL's `SSL_read` chunk) is copied into the buffer the `buffer()` callback returns. Pausing
 * there stops reading the TCP socket, but the records already received are still delivered (the
 * decryption loop does not look at the pause), so the ring keeps a reserve of free buffers past
 * the pause point, and should even that run out, a fresh buffer is lent (never seen in practice).
 *
 * Only the simple case takes this path: a `200` or `206` with a `Content-Length` and no
 * `Transfer-Encoding`. An error status (400 or more) is answered as a {@link RawStatus}: its head
 * only (the connection is closed), which `download()` retries or raises exactly as the session
 * would, without sending the request again. Anything else (a redirect, a chunked body, a
 * connection that fails before the headers) returns `undefined` and `download()` sends that
 * attempt through the session (which then follows redirects...).
 *
 * @module
 * @internal
 */

import { connect, isIP, type OnReadOpts, type Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { CancelledError, ClientPayloadError, ClientTimeoutError, ClosedResourceError } from "../errors.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import { suspend, type Suspension } from "../core/suspend.js";
import type { BodySink } from "./exchange.js";
import type { RawPlan } from "./session.js";

/**
 * The ring's shape: `count` buffers of `size` bytes; reading pauses when `pauseAt` or fewer are
 * free and resumes when `resumeAt` are. TCP reads fill whatever buffer they get; a TLS read is
 * one record (16 KiB at most), and up to one TCP read (64 KiB) of records still arrives after a
 * pause, hence its reserve.
 */
const TCP_RING = { count: 8, size: 128 * 1024, pauseAt: 1, resumeAt: 1 };
const TLS_RING = { count: 64, size: 16 * 1024, pauseAt: 8, resumeAt: 24 };
const MAX_HEAD = 64 * 1024;
const DEFAULT_CONNECT = 10_000;
const DEFAULT_SOCK_READ = 300_000;
const FREE = 0;
const TARGET = 1;
const BUSY = 2;

/** @internal What the file sink needs from its source. */
export interface SinkSource {
  readonly label: string;
  abort(reason: Error): void;
  resume(): void;
  /** The sink wrote this chunk: its memory may be reused. */
  recycle?(chunk: Buffer): void;
}

/** @internal An error answer (status 400 or more) on the fast path: its head only. */
export interface RawStatus {
  readonly status: number;
  readonly reason: string;
  readonly url: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
}

/** @internal What the fast path's request ends with, once the head arrived. */
export type RawAnswer = RawResponse | RawStatus | undefined;

/** @internal A response read on the fast path (headers arrived; the body is streaming). */
export class RawResponse implements SinkSource {
  readonly label: string;
  status = 0;
  reason = "";
  readonly url: string;
  #plan: RawPlan;
  #clock: Clock;
  #socket: Socket;
  #ring: Buffer[] = [];
  #state: number[] = [];
  #index = new Map<ArrayBufferLike, number>();
  #freeCount: number;
  #shape: typeof TCP_RING;
  #paused = false;
  #head: Buffer | undefined = undefined;
  #headers = new Map<string, string>();
  #contentLength = 0;
  #received = 0;
  #pending: Buffer[] = [];
  #sink: BodySink | undefined = undefined;
  #ended = false;
  #failure: Error | undefined = undefined;
  #done = false;
  #released = false;
  #waiter: Suspension<RawAnswer> | undefined = undefined;
  #connectTimer: TimerHandle | undefined = undefined;
  #readTimer: TimerHandle | undefined = undefined;
  #totalTimer: TimerHandle | undefined = undefined;
  #lastActivity = 0;
  #untrack: () => void;

  constructor(plan: RawPlan, clock: Clock, waiter: Suspension<RawAnswer>, request: string) {
    this.#plan = plan;
    this.#clock = clock;
    this.url = plan.url.href;
    this.label = `GET ${this.url}`;
    this.#waiter = waiter;
    this.#untrack = plan.track(this);
    const tls = plan.tls;
    const shape = tls === undefined ? TCP_RING : TLS_RING;
    this.#shape = shape;
    for (let i = 0; i < shape.count; i++) {
      const buffer = Buffer.allocUnsafeSlow(shape.size);
      this.#ring.push(buffer);
      this.#state.push(FREE);
      this.#index.set(buffer.buffer, i);
    }
    this.#freeCount = shape.count;
    const { connect: connectMs, sockRead, total } = plan.timeout;
    if (total !== Infinity) this.#totalTimer = clock.setTimer(() => this.#timeout("total", total), total);
    if (connectMs !== undefined) this.#connectTimer = clock.setTimer(() => this.#timeout("connect", connectMs), connectMs);
    const host = plan.url.hostname.replace(/^\[|\]$/g, "");
    const onread = { buffer: () => this.#nextBuffer(), callback: (n: number, buf: Uint8Array) => this.#onRead(n, buf as Buffer) };
    this.#socket =
      tls === undefined
        ? connect({ host, port: Number(plan.url.port || 80), onread })
        : // node:tls is loaded on the first HTTPS download, not at import (~8 MB of RSS on Node 24).
          process.getBuiltinModule("node:tls").connect(tlsOptions(host, Number(plan.url.port || 443), tls, onread));
    this.#socket.setNoDelay(true);
    // Timeouts not set fall back to undici's defaults (connect 10 s, silence 300 s), on real time
    // like undici's own: the socket's idle timer, so a MockClock never fires them early.
    let connected = false;
    if (connectMs === undefined) this.#socket.setTimeout(DEFAULT_CONNECT);
    this.#socket.on("timeout", () => {
      if (connected) this.#timeout("sockRead", DEFAULT_SOCK_READ);
      else this.#timeout("connect", DEFAULT_CONNECT);
    });
    this.#socket.on(tls === undefined ? "connect" : "secureConnect", () => {
      connected = true;
      if (this.#connectTimer !== undefined) clock.clearTimer(this.#connectTimer);
      this.#connectTimer = undefined;
      this.#lastActivity = clock.now();
      if (sockRead !== undefined) this.#readTimer = clock.setTimer(this.#onReadTimer, sockRead);
      this.#socket.setTimeout(sockRead === undefined ? DEFAULT_SOCK_READ : 0);
      this.#socket.write(request);
    });
    this.#socket.on("end", () => this.#onEnd());
    this.#socket.on("error", (error) => this.#onBroken(error));
    this.#socket.on("close", () => this.#onBroken(new Error("socket closed")));
  }

  header(name: string): string | undefined {
    return this.#headers.get(name);
  }

  get contentLength(): number {
    return this.#contentLength;
  }

  // ----- the ring -------------------------------------------------------------------------

  #nextBuffer(): Buffer {
    const count = this.#shape.count;
    if (this.#freeCount > 0) {
      for (let i = 0; i < count; i++) {
        if (this.#state[i] === FREE) {
          this.#state[i] = TARGET;
          this.#freeCount--;
          return this.#ring[i] as Buffer;
        }
      }
    }
    // Past the reserve (reading pauses well before): lend a buffer outside the ring, dropped
    // once written.
    return Buffer.allocUnsafeSlow(this.#shape.size);
  }

  #indexOf(buf: Uint8Array): number {
    return this.#index.get(buf.buffer) ?? -1;
  }

  /** Buffer `i` of the ring (or -1, a lent one) is free again. */
  #setFree(i: number): void {
    if (i < 0 || this.#state[i] === FREE) return;
    this.#state[i] = FREE;
    this.#freeCount++;
  }

  recycle(chunk: Buffer): void {
    const i = this.#indexOf(chunk);
    if (i >= 0 && this.#state[i] === BUSY) this.#setFree(i);
    if (this.#paused && !this.#done && this.#freeCount >= this.#shape.resumeAt) {
      this.#paused = false;
      this.#lastActivity = this.#clock.now();
      this.#socket.resume();
    }
  }

  resume(): void {
    // Backpressure here follows the ring (see recycle), not the sink's queue.
  }

  // ----- reading --------------------------------------------------------------------------

  #onRead(n: number, buf: Buffer): boolean {
    const i = this.#indexOf(buf);
    if (this.#done) {
      this.#setFree(i);
      return false;
    }
    this.#lastActivity = this.#clock.now();
    if (this.#waiter !== undefined) {
      this.#setFree(i);
      this.#onHead(buf.subarray(0, n));
    } else {
      if (i >= 0) this.#state[i] = BUSY;
      this.#body(buf.subarray(0, n));
    }
    // Keep free buffers for what may still arrive; pause when only those are left.
    if (this.#freeCount <= this.#shape.pauseAt) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  #onHead(data: Buffer): void {
    const head = this.#head === undefined ? Buffer.from(data) : Buffer.concat([this.#head, data]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (head.length > MAX_HEAD) this.#fallBack();
      else this.#head = head;
      return;
    }
    this.#head = undefined;
    const lines = head.subarray(0, end).toString("latin1").split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? "");
    if (match === null) return this.#fallBack();
    this.status = Number(match[1]);
    this.reason = match[2] ?? "";
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) return this.#fallBack();
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = this.#headers.get(name);
      if (before !== undefined && name === "content-length" && before !== value) return this.#fallBack();
      this.#headers.set(name, before === undefined || name === "content-length" ? value : `${before}, ${value}`);
    }
    if (this.status >= 400) return this.#answered();
    const length = this.#headers.get("content-length");
    if (
      (this.status !== 200 && this.status !== 206) ||
      this.#headers.has("transfer-encoding") ||
      length === undefined ||
      !/^\d+$/.test(length) ||
      Number(length) > this.#plan.maxResponseSize
    ) {
      return this.#fallBack();
    }
    this.#contentLength = Number(length);
    // The body bytes that came with the head are copied once (the head is small).
    const rest = head.subarray(end + 4);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (rest.length > 0) this.#body(Buffer.from(rest));
    else if (this.#contentLength === 0) this.#complete();
    waiter?.resume(this);
  }

  #body(chunk: Buffer): void {
    const left = this.#contentLength - this.#received;
    const data = chunk.length > left ? chunk.subarray(0, left) : chunk;
    this.#received += data.length;
    if (data.length > 0) {
      if (this.#sink !== undefined) this.#sink.write(data);
      else this.#pending.push(data);
    }
    if (this.#received >= this.#contentLength) this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#finish();
    this.#ended = true;
    this.#sink?.end();
  }

  #onEnd(): void {
    if (this.#done) return;
    this.#onBroken(new Error("the server closed the connection"));
  }

  #onBroken(error: Error): void {
    if (this.#done) return;
    if (this.#waiter !== undefined) return this.#fallBack();
    const detail = `${(error as { code?: string }).code ?? ""} ${error.message}`.trim();
    this.abort(
      new ClientPayloadError(`The response body broke off after ${this.#received} bytes (${detail}): ${this.label}`, {
        cause: error,
        method: "GET",
        url: this.url,
      }),
    );
  }

  // ----- timers -----------------------------------------------------------------------------

  #timeout(which: "total" | "connect" | "sockRead", ms: number): void {
    if (which === "total") this.#totalTimer = undefined;
    if (which === "connect") this.#connectTimer = undefined;
    const phase = which === "sockRead" ? (this.#waiter === undefined ? " reading the response body" : " waiting for the response headers") : "";
    this.abort(
      new ClientTimeoutError(`The ${which} timeout of ${ms} ms fired${phase}: ${this.label}`, {
        which,
        timeout: ms,
        method: "GET",
        url: this.url,
      }),
    );
  }

  #onReadTimer = (): void => {
    const sockRead = this.#plan.timeout.sockRead as number;
    const idle = this.#clock.now() - this.#lastActivity;
    if (this.#paused) this.#readTimer = this.#clock.setTimer(this.#onReadTimer, sockRead);
    else if (idle < sockRead) this.#readTimer = this.#clock.setTimer(this.#onReadTimer, sockRead - idle);
    else {
      this.#readTimer = undefined;
      this.#timeout("sockRead", sockRead);
    }
  };

  // ----- ending ---------------------------------------------------------------------------

  #finish(): void {
    this.#done = true;
    const clock = this.#clock;
    if (this.#totalTimer !== undefined) clock.clearTimer(this.#totalTimer);
    if (this.#connectTimer !== undefined) clock.clearTimer(this.#connectTimer);
    if (this.#readTimer !== undefined) clock.clearTimer(this.#readTimer);
    this.#totalTimer = this.#connectTimer = this.#readTimer = undefined;
    this.#socket.destroy();
    this.#untrack();
    if (!this.#released) {
      this.#released = true;
      this.#plan.release();
    }
  }

  /** Not for us: close and let the session do it. */
  #fallBack(): void {
    if (this.#done) return;
    this.#finish();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resume(undefined);
  }

  /** An error status: its head is all `download()` needs, so the connection is closed. */
  #answered(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#finish();
    waiter?.resume({ status: this.status, reason: this.reason, url: this.url, headers: this.#headers });
  }

  /** Hands the body to `sink` (what arrived already first). */
  start(sink: BodySink): void {
    this.#sink = sink;
    const pending = this.#pending;
    this.#pending = [];
    for (const chunk of pending) sink.write(chunk);
    if (this.#failure !== undefined) sink.fail(this.#failure);
    else if (this.#ended) sink.end();
  }

  abort(reason: Error): void {
    if (this.#done) return;
    this.#finish();
    this.#failure = reason;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.fail(reason);
    this.#sink?.fail(reason);
  }

  release(): void {
    this.abort(new ClosedResourceError(`The response was released before its body was read: ${this.label}`));
  }

  /** Cancelled while waiting for the headers. */
  _abandon(): void {
    this.#waiter = undefined;
    this.abort(new CancelledError(`The request was cancelled: ${this.label}`));
  }
}

/**
 * The options of the fast path's TLS connection: the session's verification settings, SNI for a
 * host name (never an IP address, RFC 6066; the certificate is checked against `host` either
 * way), and `onread` (which Node's `tls.connect` honours, though its types do not list it).
 */
function tlsOptions(host: string, port: number, tls: NonNullable<RawPlan["tls"]>, onread: OnReadOpts): ConnectionOptions {
  const options: ConnectionOptions & { onread: OnReadOpts } = {
    host,
    port,
    rejectUnauthorized: tls.rejectUnauthorized,
    onread,
  };
  if (isIP(host) === 0) options.servername = host;
  if (tls.ca !== undefined) options.ca = tls.ca;
  return options;
}

/**
 * Sends a GET on a socket of its own. Resolves once the head arrived: with the response (a body
 * to stream), an error status's head, or `undefined` when the request must go through the
 * session instead.
 * @internal
 */
export async function rawGet(plan: RawPlan, clock: Clock, signal: AbortSignal | undefined): Promise<RawAnswer> {
  const lines = [`GET ${plan.url.pathname}${plan.url.search} HTTP/1.1`, `host: ${plan.url.host}`];
  for (const [name, value] of Object.entries(plan.headers)) {
    if (name === "host" || name === "connection") continue;
    // Refuse what could split the request: the session path validates and reports it.
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return undefined;
    lines.push(`${name}: ${value}`);
  }
  lines.push("connection: close", "", "");
  const permit = plan.acquire(signal);
  if (permit !== undefined) await permit;
  const holder: { response?: RawResponse } = {};
  let s: Suspension<RawAnswer>;
  try {
    s = suspend<RawAnswer>(`GET ${plan.url.href} (download)`, () => holder.response?._abandon(), signal);
  } catch (error) {
    plan.release();
    throw error;
  }
  holder.response = new RawResponse(plan, clock, s, lines.join("\r\n"));
  return s.promise;
}
