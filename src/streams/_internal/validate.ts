/**
 * Argument checks shared by the connection and server functions.
 * @module
 */

/** How a bad value is shown in a message: strings quoted, so that `"80"` is not taken for `80`. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === undefined) return String(value);
  return typeof value;
}

/** @throws {TypeError} for a host that is not a non-empty string. */
export function checkHost(host: unknown): void {
  if (typeof host !== "string" || host.length === 0) {
    throw new TypeError(`Expected 'host' to be a non-empty string: received ${show(host)}`);
  }
}

/** @throws {RangeError} for a port that is not an integer from 0 to 65535 (a string included). */
export function checkPort(port: unknown): void {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected 'port' to be an integer from 0 to 65535: received ${show(port)}`);
  }
}

/** @throws {TypeError} when `options` is given and is not an object. */
export function checkOptions(options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(`Expected 'options' to be an object: received ${show(options)}`);
  }
}
