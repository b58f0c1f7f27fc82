/**
 * Records when named tasks start, start working (after waiting for a permit, a connection...),
 * and end, and draws them as a small Gantt chart: one row per task, bars on a shared time axis.
 */

import { isCancelled } from "../../errors.js";

/** One task's lifetime, in milliseconds since the timeline was created. */
export interface Span {
  name: string;
  start: number;
  /** When the task stopped waiting and started working (`undefined`: it never waited). */
  active: number | undefined;
  end: number | undefined;
  /** Whether the task ended with an error (cancelled, timed out, failed). */
  failed: boolean;
  /** Whether that error was a cancellation (a timeout, `task.cancel()`, Ctrl-C). */
  cancelled?: boolean;
}

/** The handle {@link Timeline.open} returns. */
export interface SpanRecorder {
  /** Marks the end of the waiting part: the task now does its work. */
  running(): void;
  /** Marks the task finished (`failed`: ended with an error; `cancelled`: that error was a cancellation). */
  end(failed?: boolean, cancelled?: boolean): void;
}

/** Options for {@link Timeline.render}. */
export interface RenderOptions {
  /** Characters for the bars. @default 50 */
  width?: number;
  /** Unicode blocks (a terminal) or ASCII (a pipe, a log file). @default false */
  unicode?: boolean;
}

/** A duration for the chart: seconds with two decimals, or milliseconds below a tenth of a second. */
export function formatDuration(ms: number): string {
  return ms >= 100 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(1)}ms`;
}

const GLYPHS = {
  unicode: { run: "█", wait: "░", fail: "▓", empty: "·", tick: "┬", axis: "─" },
  ascii: { run: "#", wait: "-", fail: "x", empty: ".", tick: "+", axis: "-" },
};

/** A Gantt chart of task lifetimes. */
export class Timeline {
  readonly #origin = performance.now();
  readonly spans: Span[] = [];

  #now(): number {
    return performance.now() - this.#origin;
  }

  /** Starts recording `name`; the returned recorder marks its work and its end. */
  open(name: string): SpanRecorder {
    const span: Span = { name, start: this.#now(), active: undefined, end: undefined, failed: false };
    this.spans.push(span);
    return {
      running: () => {
        span.active ??= this.#now();
      },
      end: (failed = false, cancelled = false) => {
        if (span.end !== undefined) return;
        span.end = this.#now();
        span.failed = failed;
        if (cancelled) span.cancelled = true;
      },
    };
  }

  /** Marks `name` as started now; returns a function that marks it finished. */
  begin(name: string): () => void {
    const recorder = this.open(name);
    return () => recorder.end();
  }

  /** Runs `fn`, recording its lifetime under `name` (a thrown error marks the bar as failed). */
  async track<T>(name: string, fn: (span: SpanRecorder) => Promise<T>): Promise<T> {
    const span = this.open(name);
    try {
      const result = await fn(span);
      span.end();
      return result;
    } catch (error) {
      span.end(true, isCancelled(error));
      throw error;
    }
  }

  /** The spans rounded to whole milliseconds, for `--json`. */
  toJSON(): { name: string; startMs: number; activeMs?: number; endMs?: number; failed: boolean; cancelled: boolean }[] {
    return this.spans.map((s) => ({
      name: s.name,
      startMs: Math.round(s.start),
      ...(s.active !== undefined ? { activeMs: Math.round(s.active) } : {}),
      ...(s.end !== undefined ? { endMs: Math.round(s.end) } : {}),
      failed: s.failed,
      cancelled: s.cancelled === true,
    }));
  }

  /**
   * The chart: one row per task, bars on a shared time axis with a tick every quarter. The part
   * spent waiting is drawn lighter than the part spent working; a failed end is marked.
   */
  render(options: RenderOptions = {}): string {
    if (this.spans.length === 0) return "";
    const width = Math.max(20, Math.min(Math.floor(options.width ?? 50), 100));
    const g = options.unicode === true ? GLYPHS.unicode : GLYPHS.ascii;
    // The axis starts when the first task started, not when the section did.
    const origin = Math.min(...this.spans.map((s) => s.start));
    const total = Math.max(...this.spans.map((s) => (s.end ?? s.start) - origin), 1);
    const label = Math.max(...this.spans.map((s) => s.name.length));
    const column = (ms: number): number => Math.min(width, Math.max(0, Math.round(((ms - origin) / total) * width)));
    let waited = false;
    let failed = false;
    const rows = this.spans.map((span) => {
      const end = span.end ?? origin + total;
      const from = Math.min(column(span.start), width - 1);
      const to = Math.max(from + 1, column(end));
      const active = span.active === undefined ? from : Math.min(to, Math.max(from, column(span.active)));
      if (active > from) waited = true;
      const cells: string[] = [];
      for (let i = 0; i < width; i++) {
        if (i < from || i >= to) cells.push(g.empty);
        else if (i < active) cells.push(g.wait);
        else if (span.failed && i === to - 1) cells.push(g.fail);
        else cells.push(g.run);
      }
      if (span.failed) failed = true;
      return `  ${span.name.padEnd(label)} |${cells.join("")}| ${formatDuration(end - span.start)}${span.cancelled === true ? " (cancelled)" : span.failed ? " (failed)" : ""}`;
    });
    const ticks = Array.from({ length: width }, (_, i) => (i % Math.ceil(width / 4) === 0 ? g.tick : g.axis)).join("");
    const pad = " ".repeat(label + 2);
    const axis = `  ${pad}${ticks}`;
    const totalText = formatDuration(total);
    const scale = `  ${pad}0s${" ".repeat(Math.max(1, width - 2 - totalText.length))}${totalText}`;
    const legend: string[] = [];
    if (waited) legend.push(`${g.wait} waiting  ${g.run} running`);
    if (failed) legend.push(`${g.fail} ended with an error or a cancellation`);
    return [...rows, axis, scale, ...(legend.length > 0 ? [`  ${legend.join("   ")}`] : [])].join("\n");
  }
}
