/**
 * Live progress bars for a terminal: one line per running item and a total line, redrawn in
 * place (ANSI cursor movement), with finished items printed once above them.
 *
 * @module
 * @internal
 */

/** Formats a byte count: `512 B`, `1.5 KiB`, `23.4 MiB`, `1.02 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit] as string}`;
}

/** Formats seconds as `45s`, `3m05s`, `1h02m`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

interface Item {
  name: string;
  bytes: number;
  total: number | undefined;
  started: number;
}

/** @internal A set of progress bars drawn on a terminal. */
export class ProgressBoard {
  #out: { write(text: string): unknown };
  #columns: number;
  #items = new Map<number, Item>();
  #drawn = 0;
  #started: number;
  #doneBytes = 0;
  #finished = 0;
  #expected: number;
  #now: () => number;

  /** @param expected How many items there will be in all (for the total's size and ETA). */
  constructor(out: { write(text: string): unknown; columns?: number }, now: () => number, expected: number) {
    this.#expected = expected;
    this.#out = out;
    this.#columns = Math.max(40, out.columns ?? 80);
    this.#now = now;
    this.#started = now();
  }

  add(id: number, name: string): void {
    this.#items.set(id, { name, bytes: 0, total: undefined, started: this.#now() });
  }

  update(id: number, bytes: number, total: number | undefined): void {
    const item = this.#items.get(id);
    if (item === undefined) return;
    item.bytes = bytes;
    item.total = total;
  }

  /** Removes an item and prints `line` once, above the bars. */
  finish(id: number, line: string, bytes: number): void {
    this.#items.delete(id);
    this.#finished++;
    this.#doneBytes += bytes;
    this.#clear();
    this.#out.write(`${line}\n`);
    this.render();
  }

  /** Redraws the bars. */
  render(): void {
    this.#clear();
    const lines: string[] = [];
    const now = this.#now();
    let running = 0;
    // The total's size (and so its bar and ETA) is known once every item has started and
    // announced its size.
    let total: number | undefined = this.#finished + this.#items.size === this.#expected ? this.#doneBytes : undefined;
    for (const item of this.#items.values()) {
      running += item.bytes;
      total = total === undefined || item.total === undefined ? undefined : total + item.total;
      lines.push(this.#line(item.name, item.bytes, item.total, (now - item.started) / 1000));
    }
    const all = this.#doneBytes + running;
    lines.push(this.#line(`total (${this.#items.size} running)`, all, total, (now - this.#started) / 1000));
    this.#out.write(lines.map((l) => `${l}\n`).join(""));
    this.#drawn = lines.length;
  }

  /** Erases the bars (before the summary). */
  close(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn === 0) return;
    this.#out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #line(name: string, bytes: number, total: number | undefined, seconds: number): string {
    const rate = seconds > 0 ? bytes / seconds : 0;
    const eta = total !== undefined && rate > 0 ? formatEta((total - bytes) / rate) : "--";
    const size = total === undefined ? formatBytes(bytes) : `${formatBytes(bytes)}/${formatBytes(total)}`;
    const stats = `${size}  ${formatBytes(rate)}/s  ETA ${eta}`;
    const width = 20;
    let bar = "";
    if (total !== undefined && total > 0) {
      const filled = Math.min(width, Math.round((bytes / total) * width));
      bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor((bytes / total) * 100)).padStart(3)}% `;
    }
    const room = Math.max(10, this.#columns - stats.length - bar.length - 3);
    const label = name.length > room ? `…${name.slice(name.length - room + 1)}` : name.padEnd(room);
    return `${label} ${bar}${stats}`.slice(0, this.#columns - 1);
  }
}
