/**
 * `taskio/http`: an HTTP client on undici with taskio's cancellation, timeouts, limits, redirects
 * and retries, and streaming downloads to disk. aiohttp's client, rebuilt.
 *
 * @module
 */

export { ClientSession } from "./session.js";
export type { RequestOptions, ClientSessionOptions, ClientTimeout, HttpRetryOptions } from "./session.js";
export { ClientResponse } from "./response.js";
export { ResponseContent } from "./content.js";
export type { RequestData } from "./request-body.js";
export {
  ClientError,
  ClientConnectionError,
  ClientPayloadError,
  ClientResponseError,
  ClientTimeoutError,
  TooManyRedirectsError,
  ResponseTooLargeError,
  ChecksumMismatchError,
} from "../errors.js";
export { download } from "./download.js";
export type { DownloadOptions, DownloadProgress, DownloadResult, Checksum } from "./download.js";
