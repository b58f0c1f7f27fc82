/**
 * `ClientResponse`: what `session.get()` and friends resolve with, once the status line and
 * headers arrived. aiohttp: `aiohttp.ClientResponse`.
 *
 * @module
 */

import { ClientResponseError, ClosedResourceError } from "../errors.js";
import type { ResponseContent } from "./content.js";
import type { Exchange } from "./exchange.js";

const latin1 = (b: Buffer): string => b.toString("latin1");

/**
 * An HTTP response whose body may still be arriving. aiohttp: `aiohttp.ClientResponse`.
 *
 * Read the body once: whole with `text()`, `json()` or `bytes()`, or as a stream through
 * `content`. The connection goes back to the pool when the body has been read; `release()` (or
 * `await using`, asyncio's `async with`) frees it early, aborting a body nobody wants.
 *
 * @example The seed's `async with session.get(url) as resp`
 * ```ts
 * await using resp = await session.get(url);
 * console.log(resp.status, (await resp.text()).length);
 * ```
 */
export class ClientResponse {
  /** The status code, such as 200. */
  readonly status: number;
  /** The status line's reason phrase, such as `OK`. */
  readonly reason: string;
  /** The body as a stream: `iterChunked(n)`, `iterAny()`, `readLine()`, `read(n)`... */
  readonly content: ResponseContent;
  #exchange: Exchange;
  #raw: Buffer[];
  #headers: Headers | undefined = undefined;

  /** @internal */
  constructor(exchange: Exchange, status: number, reason: string, raw: Buffer[], content: ResponseContent) {
    this.#exchange = exchange;
    this.status = status;
    this.reason = reason;
    this.#raw = raw;
    this.content = content;
  }

  /** True when the status is below 400 (aiohttp's `ok`). */
  get ok(): boolean {
    return this.status < 400;
  }

  /** The request method. */
  get method(): string {
    return this.#exchange.plan.method;
  }

  /** The URL of this response (the last one after redirects). */
  get url(): string {
    return this.#exchange.plan.url;
  }

  /** The URLs of the redirects that led here, oldest first (aiohttp's `history`, as URLs). */
  get history(): readonly string[] {
    return this.#exchange.plan.history;
  }

  /** The response headers (case-insensitive), built on first use. */
  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = new Headers();
      const raw = this.#raw;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        try {
          headers.append(latin1(raw[i] as Buffer), latin1(raw[i + 1] as Buffer));
        } catch {
          // A header WHATWG Headers refuses (invalid characters) is skipped, not fatal.
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** One header's value (first occurrence, case-insensitive) without building `headers`. @internal */
  _header(lowerName: string): string | undefined {
    const raw = this.#raw;
    const n = lowerName.length;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as Buffer;
      if (name.length === n && latin1(name).toLowerCase() === lowerName) return latin1(raw[i + 1] as Buffer);
    }
    return undefined;
  }

  /** The announced `Content-Length`, or `undefined`. */
  get contentLength(): number | undefined {
    const value = this._header("content-length");
    if (value === undefined) return undefined;
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  /** The `Content-Type` header, or `undefined`. */
  get contentType(): string | undefined {
    return this._header("content-type");
  }

  /**
   * The whole body as bytes. aiohttp: `read()`.
   * @throws {ClientPayloadError} if the body broke off; {@link ClientTimeoutError} if a timeout
   * fired; `CancelledError` if the task was cancelled (the request is then aborted).
   */
  async bytes(): Promise<Buffer> {
    try {
      return await this.content.read(-1);
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /**
   * The whole body as text, decoded with the charset of `Content-Type` (UTF-8 by default) or
   * `encoding`. aiohttp: `text()`.
   */
  async text(encoding?: string): Promise<string> {
    const body = await this.bytes();
    const charset = (encoding ?? charsetOf(this.contentType) ?? "utf-8").toLowerCase();
    if (charset === "utf-8" || charset === "utf8") return body.toString("utf8");
    if (charset === "iso-8859-1" || charset === "latin1" || charset === "us-ascii") return body.toString("latin1");
    return new TextDecoder(charset).decode(body);
  }

  /** The body parsed as JSON. aiohttp: `json()`. @throws {SyntaxError} if it is not JSON. */
  async json<T = unknown>(): Promise<T> {
    const text = await this.text();
    return JSON.parse(text) as T;
  }

  /**
   * Throws if the status is 400 or more. aiohttp: `raise_for_status()`. The body is released.
   * @throws {ClientResponseError} with `status`, `url`, `method`.
   */
  raiseForStatus(): void {
    if (this.status < 400) return;
    this.release();
    throw new ClientResponseError(`The server answered ${this.status} ${this.reason}: ${this.method} ${this.url}`, {
      status: this.status,
      reason: this.reason,
      headers: this.headers,
      method: this.method,
      url: this.url,
    });
  }

  /**
   * Frees the connection: when the body has not fully arrived, the request is aborted (the
   * socket is closed rather than drained). Idempotent. aiohttp: `release()`.
   */
  release(): void {
    if (this.#exchange.active) {
      this.#exchange.abort(
        new ClosedResourceError(`The response was released before its body was read: ${this.#exchange.label}`),
      );
    }
  }

  /** True when the body has fully arrived or the exchange is over. */
  get closed(): boolean {
    return !this.#exchange.active;
  }

  /** `await using resp = await session.get(url)`: releases the response. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** @internal The exchange behind this response (the download path). */
  get _exchange(): Exchange {
    return this.#exchange;
  }

  /** A short description. */
  toString(): string {
    return `<ClientResponse(${this.url}) [${this.status} ${this.reason}]>`;
  }
}

function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1];
}
