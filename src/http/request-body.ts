/**
 * Turning a request's `json` / `data` option into what undici sends, with the matching
 * `Content-Type`, and knowing whether it can be sent twice (for retries and 307/308 redirects).
 *
 * @module
 * @internal
 */

import { Readable } from "node:stream";
import type { Dispatcher } from "undici";

/** What `data` may be. aiohttp: `data=` (str, bytes, a file-like or async generator, `FormData`). */
export type RequestData =
  | string
  | Uint8Array
  | ArrayBuffer
  | URLSearchParams
  | FormData
  | Readable
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array>;

/** @internal A body ready to send (again, when `replayable`). */
export interface PreparedBody {
  /** Makes the body for one attempt. */
  make(): Dispatcher.DispatchOptions["body"];
  /** The Content-Type to send unless the caller set one. */
  contentType: string | undefined;
  /** True when `make()` may be called more than once. */
  replayable: boolean;
}

const NONE: PreparedBody = { make: () => null, contentType: undefined, replayable: true };

/** @internal */
export function prepareBody(
  json: unknown,
  data: RequestData | undefined,
  hasJson: boolean,
): PreparedBody | Promise<PreparedBody> {
  if (hasJson) {
    if (data !== undefined) throw new TypeError("Expected either 'json' or 'data', not both: received both");
    const text = JSON.stringify(json);
    if (text === undefined) throw new TypeError(`Expected 'json' to be JSON-serialisable: received ${typeof json}`);
    return { make: () => text, contentType: "application/json", replayable: true };
  }
  if (data === undefined || data === null) return NONE;
  if (typeof data === "string") return { make: () => data, contentType: "text/plain; charset=utf-8", replayable: true };
  if (data instanceof Uint8Array) return { make: () => data, contentType: "application/octet-stream", replayable: true };
  if (data instanceof ArrayBuffer) {
    const bytes = new Uint8Array(data);
    return { make: () => bytes, contentType: "application/octet-stream", replayable: true };
  }
  if (data instanceof URLSearchParams) {
    const text = data.toString();
    return { make: () => text, contentType: "application/x-www-form-urlencoded", replayable: true };
  }
  if (data instanceof FormData) return encodeForm(data);
  if (data instanceof Readable) return oneShot(data);
  if (typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    return oneShot(data as AsyncIterable<Uint8Array>);
  }
  if (typeof (data as Iterable<unknown>)[Symbol.iterator] === "function") {
    return oneShot(data as Iterable<Uint8Array>);
  }
  throw new TypeError(
    `Expected 'data' to be a string, bytes, URLSearchParams, FormData, a stream or an (async) iterable: received ${typeof data}`,
  );
}

function oneShot(body: Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>): PreparedBody {
  let used = false;
  return {
    make: () => {
      if (used) throw new TypeError("Expected a body that can be sent again: a stream or iterable body was already sent");
      used = true;
      return body as Dispatcher.DispatchOptions["body"];
    },
    contentType: "application/octet-stream",
    replayable: false,
  };
}

/** The multipart encoding (and its boundary) comes from the platform's own `Response`, once. */
async function encodeForm(form: FormData): Promise<PreparedBody> {
  const encoded = new Response(form);
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  return { make: () => bytes, contentType: encoded.headers.get("content-type") ?? undefined, replayable: true };
}
