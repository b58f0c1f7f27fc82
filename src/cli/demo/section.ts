/** What every section of `taskio demo` is given and returns. */
import type { DemoWorld } from "./servers.js";
import type { Timeline } from "./timeline.js";

/** What a section can use: a line printer, a timeline, and the tour's local servers and folder. */
export interface DemoContext {
  /** Prints one line (text mode) and records it (`--json`'s `output`). */
  log(line: string): void;
  /** The timeline of tasks that run side by side (drawn after the section, on a TTY in unicode). */
  timeline: Timeline;
  /** The local HTTP server and the temporary folder, created on first use. */
  world: DemoWorld;
}

/** One section of the tour; `id` follows the seed's section numbers. */
export interface DemoSection {
  id: number;
  title: string;
  /** Runs the section; returns the machine-readable evidence (`--json`). */
  run(context: DemoContext): Promise<Record<string, unknown>>;
}

/** Milliseconds as seconds with two decimals: `1.52s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** Bytes as mebibytes with one decimal: `64.0 MiB`. */
export const mebibytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Milliseconds since `since` (a `performance.now()` reading), rounded. */
export const elapsedSince = (since: number): number => Math.round(performance.now() - since);

/** A value as Python's repr would print it: tuples for arrays, single-quoted strings. */
export function pyRepr(value: unknown, tuple = false): string {
  if (typeof value === "string") return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) {
    const items = value.map((item) => pyRepr(item, true));
    if (!tuple) return `[${items.join(", ")}]`;
    return items.length === 1 ? `(${items[0]!},)` : `(${items.join(", ")})`;
  }
  return String(value);
}
