/**
 * Parsing of `open()` modes, as Python's `open()` understands them.
 *
 * @module
 */

/** The four base modes: read, write (truncate), append, exclusive create. */
type BaseMode = "r" | "w" | "a" | "x";

/** A text mode: `read()` gives strings. */
export type TextMode = BaseMode | `${BaseMode}+` | `${BaseMode}t` | `${BaseMode}+t` | `${BaseMode}t+`;

/** A binary mode: `read()` gives `Uint8Array`s. */
export type BinaryMode = `${BaseMode}b` | `${BaseMode}+b` | `${BaseMode}b+`;

/** Any mode `open()` accepts. */
export type OpenMode = TextMode | BinaryMode;

/** A parsed mode. @internal */
export interface ParsedMode {
  readonly mode: string;
  /** The `flags` string for `fs.open`. */
  readonly flags: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  readonly binary: boolean;
  /** Opening never touches the file's content (so `r` checks for a directory with fstat). */
  readonly readOnly: boolean;
}

const FLAGS: Record<string, string> = {
  r: "r",
  w: "w",
  a: "a",
  x: "wx",
  "r+": "r+",
  "w+": "w+",
  "a+": "a+",
  "x+": "wx+",
};

const cache = new Map<string, ParsedMode>();

/**
 * Parses `mode` the way Python's `open()` does: one of `r`, `w`, `a`, `x`, optionally `+`,
 * optionally `b` (binary) or `t` (text, the default), in any order.
 *
 * @throws {TypeError} naming the mode when it is not one of those.
 * @internal
 */
export function parseMode(mode: unknown): ParsedMode {
  if (typeof mode === "string") {
    const known = cache.get(mode);
    if (known !== undefined) return known;
  }
  if (typeof mode !== "string" || mode.length === 0 || mode.length > 3) throw badMode(mode);
  let base = "";
  let plus = false;
  let binary = false;
  let text = false;
  for (const char of mode) {
    if (char === "r" || char === "w" || char === "a" || char === "x") {
      if (base !== "") throw badMode(mode);
      base = char;
    } else if (char === "+") {
      if (plus) throw badMode(mode);
      plus = true;
    } else if (char === "b") {
      if (binary || text) throw badMode(mode);
      binary = true;
    } else if (char === "t") {
      if (binary || text) throw badMode(mode);
      text = true;
    } else {
      throw badMode(mode);
    }
  }
  if (base === "") throw badMode(mode);
  const key = plus ? `${base}+` : base;
  const parsed: ParsedMode = {
    mode,
    flags: FLAGS[key] ?? "r",
    readable: base === "r" || plus,
    writable: base !== "r" || plus,
    append: base === "a",
    binary,
    readOnly: key === "r",
  };
  cache.set(mode, parsed);
  return parsed;
}

function badMode(mode: unknown): TypeError {
  const shown = typeof mode === "string" ? JSON.stringify(mode) : typeof mode;
  return new TypeError(
    `Expected 'mode' to be one of "r", "w", "a", "x", optionally with "+" and "b" (binary) or "t" (text): received ${shown}`,
  );
}
