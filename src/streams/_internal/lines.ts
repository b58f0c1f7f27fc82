/**
 * Splitting decoded text into lines, for `StreamReader.lines()`.
 *
 * The reader decodes a whole block of bytes that ends with a `"\n"` byte at once, then splits the
 * string. In UTF-8, Latin-1 and ASCII a `0x0A` byte is always the character `"\n"` and never part
 * of a multi-byte sequence, so a block ending with it ends on a character boundary: decoding
 * block by block gives exactly what decoding line by line gives, and no character is ever split
 * between two decodes (no `StringDecoder` needed: an incomplete character stays in the reader's
 * buffer, with the incomplete line it belongs to, until its line's `"\n"` arrives).
 *
 * @module
 */

/** The encodings `lines()` accepts: those where a `0x0A` byte is always `"\n"`. */
export const LINE_ENCODINGS: ReadonlySet<string> = new Set(["utf-8", "utf8", "latin1", "ascii"]);

/**
 * How many UTF-16 code units a line may have and still be certainly within `limit` bytes: in
 * UTF-8 one code unit comes from at most 3 bytes (a U+FFFD from 1 to 3 invalid bytes, an astral
 * character's 2 units from 4 bytes); in Latin-1 and ASCII from exactly one.
 */
export function safeUnits(encoding: string, limit: number): number {
  return encoding === "latin1" || encoding === "ascii" ? limit : Math.floor(limit / 3);
}

/**
 * Splits `text`, which ends with `"\n"`, into its lines: with `keepEnds`, each with its `"\n"`;
 * without, each without its `"\n"` or `"\r\n"`. Returns `undefined` when a line has more than
 * `safe` code units before its `"\n"` (it may be longer than the limit in bytes: the caller checks
 * the bytes).
 */
export function splitLines(text: string, keepEnds: boolean, safe: number): string[] | undefined {
  const check = text.length > safe + 1;
  if (keepEnds) {
    const out: string[] = [];
    const length = text.length;
    let pos = 0;
    while (pos < length) {
      const nl = text.indexOf("\n", pos);
      if (check && nl - pos > safe) return undefined;
      out.push(text.slice(pos, nl + 1));
      pos = nl + 1;
    }
    return out;
  }
  const parts = text.split("\n");
  parts.pop(); // the empty string after the final "\n"
  const cr = text.includes("\r");
  if (!check && !cr) return parts;
  const n = parts.length;
  for (let i = 0; i < n; i++) {
    const part = parts[i] as string;
    if (check && part.length > safe) return undefined;
    if (cr && part.charCodeAt(part.length - 1) === 13) parts[i] = part.slice(0, -1);
  }
  return parts;
}

/** One line as `lines()` yields it: `line` is the decoded text with its `"\n"` (or an unterminated tail). */
export function trimLine(line: string, keepEnds: boolean): string {
  if (keepEnds || line.charCodeAt(line.length - 1) !== 10) return line;
  return line.charCodeAt(line.length - 2) === 13 ? line.slice(0, -2) : line.slice(0, -1);
}
