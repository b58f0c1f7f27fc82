/**
 * Text encodings for files: those whose newline is the single byte 0x0A, so lines are found in
 * the byte buffer before decoding.
 *
 * @module
 */

/** An encoding a text-mode file accepts. @internal */
export type TextEncoding = "utf8" | "latin1" | "ascii";

const ALIASES: Record<string, TextEncoding> = {
  utf8: "utf8",
  "utf-8": "utf8",
  latin1: "latin1",
  "latin-1": "latin1",
  "iso-8859-1": "latin1",
  binary: "latin1",
  ascii: "ascii",
  "us-ascii": "ascii",
};

/**
 * Normalizes the `encoding` option.
 * @throws {TypeError} naming the encoding when it is not supported.
 * @internal
 */
export function textEncoding(encoding: unknown): TextEncoding {
  if (encoding === undefined) return "utf8";
  const known = typeof encoding === "string" ? ALIASES[encoding.toLowerCase()] : undefined;
  if (known === undefined) {
    throw new TypeError(
      `Expected 'encoding' to be "utf-8", "latin1" or "ascii": received ${typeof encoding === "string" ? JSON.stringify(encoding) : typeof encoding}`,
    );
  }
  return known;
}

/** Where `count` characters starting at `start` end, and how many complete ones there are. @internal */
export interface CharSpan {
  index: number;
  count: number;
}

/**
 * Finds the byte index after at most `count` whole characters (code points) of `buf` between
 * `start` and `end`; a character cut by `end` is not counted.
 * @internal
 */
export function advanceChars(buf: Uint8Array, start: number, end: number, count: number, encoding: TextEncoding): CharSpan {
  if (encoding !== "utf8") {
    const index = Math.min(end, start + count);
    return { index, count: index - start };
  }
  let i = start;
  let n = 0;
  while (n < count && i < end) {
    const b = buf[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (i + len > end) break;
    i += len;
    n++;
  }
  return { index: i, count: n };
}
