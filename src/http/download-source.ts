/**
 * Where `download()` gets its body: a session response (undici), or the fast path's own socket.
 * Both hand the body to a {@link FileSink}.
 *
 * @module
 * @internal
 */

import { getClock } from "../core/task.js";
import { ClientResponseError } from "../errors.js";
import type { FileSink } from "./file-sink.js";
import { rawGet, RawResponse, type RawStatus, type SinkSource } from "./raw-get.js";
import type { ClientResponse } from "./response.js";
import type { ClientSession, RequestOptions } from "./session.js";

/** Where the body comes from: a session response, or the fast path's own socket. */
export interface Source {
  readonly status: number;
  readonly url: string;
  readonly contentLength: number | undefined;
  readonly sinkSource: SinkSource;
  header(name: string): string | undefined;
  raiseForStatus(): void;
  release(): void;
  /** Streams the body into `sink`; resolves when all of it is on disk. */
  start(sink: FileSink, signal: AbortSignal | undefined): Promise<void>;
}

/**
 * Opens the download's response, under the session's retry policy: each attempt tries the fast
 * path first (when allowed) and sends through the session only what the fast path cannot take.
 * An error status seen on the fast path is judged by the same rule as the session's own answers
 * (retried after its `Retry-After`, counted as one attempt), never sent again at once.
 */
export function openSource(session: ClientSession, url: string | URL, request: RequestOptions, fastPath: boolean): Promise<Source> {
  // The session never raises here (see GetAttempt.send): `download()` judges every status
  // itself, the same way on both paths.
  return session._retrying(url, request, async (attempt) => {
    const plan = fastPath ? session._rawPlan(url, request) : undefined;
    if (plan !== undefined) {
      const raw = await rawGet(plan, getClock(), request.signal);
      if (raw instanceof RawResponse) return rawSource(raw);
      if (raw !== undefined) {
        attempt.retryStatus(statusAnswer(raw), raw.headers.get("retry-after"));
        return statusSource(raw);
      }
    }
    return responseSource(await attempt.send());
  });
}

function headersOf(raw: RawStatus): Headers {
  const headers = new Headers();
  for (const [name, value] of raw.headers) {
    try {
      headers.append(name, value);
    } catch {
      // A header WHATWG Headers refuses (invalid characters) is skipped, as ClientResponse does.
    }
  }
  return headers;
}

function statusAnswer(raw: RawStatus): { status: number; reason: string; headers: Headers; method: string; url: string } {
  return { status: raw.status, reason: raw.reason, headers: headersOf(raw), method: "GET", url: raw.url };
}

/** An error status answered on the fast path: `download()` reads its headers and raises it. */
function statusSource(raw: RawStatus): Source {
  const nothing: SinkSource = { label: `GET ${raw.url}`, abort: () => undefined, resume: () => undefined };
  return {
    status: raw.status,
    url: raw.url,
    contentLength: undefined,
    sinkSource: nothing,
    header: (name) => raw.headers.get(name),
    raiseForStatus: () => {
      throw new ClientResponseError(`The server answered ${raw.status} ${raw.reason}: GET ${raw.url}`, {
        status: raw.status,
        reason: raw.reason,
        headers: headersOf(raw),
        method: "GET",
        url: raw.url,
      });
    },
    release: () => undefined,
    // Never called: download() raises for a status of 400 or more before streaming.
    start: () => Promise.reject(new ClientResponseError(`The server answered ${raw.status}: GET ${raw.url}`, { status: raw.status })),
  };
}

function rawSource(raw: RawResponse): Source {
  return {
    status: raw.status,
    url: raw.url,
    contentLength: raw.contentLength,
    sinkSource: raw,
    header: (name) => raw.header(name),
    raiseForStatus: () => undefined,
    release: () => raw.release(),
    start: (sink, signal) => {
      const finished = sink.attach(signal);
      raw.start(sink);
      return finished;
    },
  };
}

function responseSource(response: ClientResponse): Source {
  const exchange = response._exchange;
  return {
    status: response.status,
    url: response.url,
    contentLength: response.contentLength,
    sinkSource: exchange,
    header: (name) => response._header(name),
    raiseForStatus: () => response.raiseForStatus(),
    release: () => response.release(),
    start: async (sink, signal) => {
      // What the reader already holds goes first (reading it may let undici deliver more, so loop).
      const content = response.content;
      while (content.buffered > 0) sink.write(await content.read(content.buffered));
      const finished = sink.attach(signal);
      exchange.setSink(sink);
      await finished;
    },
  };
}

