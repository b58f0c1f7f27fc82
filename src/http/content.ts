/**
 * The body of an HTTP response as a stream: `response.content`, a taskio `StreamReader`.
 * aiohttp: `resp.content`, an `aiohttp.StreamReader`.
 *
 * undici hands the session each body chunk through its dispatch handler (`onData`); the exchange
 * feeds them to this reader (`feedData`), and the reader's backpressure (`pauseReading`) becomes
 * undici's own pause. No Node `Readable` sits in between.
 *
 * @module
 */

import { StreamReader } from "../streams/reader.js";

/**
 * A response body, read incrementally: everything `StreamReader` offers (`read(n)`,
 * `readLine()`, `readExactly(n)`, `readUntil(sep)`, `atEof()`, line iteration) plus aiohttp's
 * `iterChunked(n)`, `iterAny()` and `readAny()`. aiohttp: `aiohttp.StreamReader`.
 *
 * Every read is cancellable and loses no buffered byte when cancelled; one read may wait at a
 * time. The buffer is bounded: past twice the reader's `limit` the socket is paused.
 *
 * @example Streaming a body in 64 KiB pieces (the seed's `iter_chunked`)
 * ```ts
 * await using resp = await session.get(url);
 * for await (const chunk of resp.content.iterChunked(64 * 1024)) await file.write(chunk);
 * ```
 */
export class ResponseContent extends StreamReader {
  #received = 0;

  /** @internal The exchange feeds it; counts what arrived. */
  _received(n: number): void {
    this.#received += n;
  }

  /** Bytes of the body received so far (read or not). */
  get bytesReceived(): number {
    return this.#received;
  }

  /**
   * Reads whatever is buffered, waiting for at least one byte. aiohttp: `readany()`.
   * @returns An empty buffer at the end of the body.
   * @throws {ClientPayloadError} if the body broke off; {@link ClientTimeoutError} if a timeout fired.
   */
  readAny(options?: { signal?: AbortSignal }): Promise<Buffer> {
    const buffered = this.buffered;
    return this.read(buffered > 0 ? buffered : 1 << 30, options);
  }

  /**
   * Yields the body in pieces of at most `n` bytes, as they arrive. aiohttp: `iter_chunked(n)`.
   * @throws {RangeError} when `n` is not a positive integer.
   * @example Hashing a body without holding it
   * ```ts
   * for await (const chunk of resp.content.iterChunked(64 * 1024)) hash.update(chunk);
   * ```
   */
  async *iterChunked(n: number): AsyncGenerator<Buffer, void, undefined> {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`Expected 'n' to be a positive integer: received ${String(n)}`);
    }
    for (;;) {
      const chunk = await this.read(n);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** Yields whatever arrives, as soon as it arrives. aiohttp: `iter_any()`. */
  async *iterAny(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.readAny();
      if (chunk.length === 0) return;
      yield chunk;
    }
  }
}
