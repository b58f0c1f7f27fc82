/**
 * Where `download()` gets its body: a session response (undici), or the fast path's own socket.
 * Both hand the body to a {@link FileSink}.
 *
 * @module
 * @internal
 */

import { getClock } from "../core/task.js";
import type { FileSink } from "./file-sink.js";
import { rawGet, type RawResponse, type SinkSource } from "./raw-get.js";
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

export async function openSource(session: ClientSession, url: string | URL, request: RequestOptions, fastPath: boolean): Promise<Source> {
  const plan = fastPath ? session._rawPlan(url, request) : undefined;
  if (plan !== undefined) {
    const raw = await rawGet(plan, getClock(), request.signal);
    if (raw !== undefined) return rawSource(raw);
  }
  return responseSource(await session.get(url, request));
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

