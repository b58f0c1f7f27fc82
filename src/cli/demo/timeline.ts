/** Records when named tasks start and end, and draws them as a small Gantt chart. */
export interface Span {
  name: string;
  start: number;
  end: number | undefined;
}

export class Timeline {
  readonly #origin = performance.now();
  readonly spans: Span[] = [];

  /** Marks `name` as started now; returns a function that marks it finished. */
  begin(name: string): () => void {
    const span: Span = { name, start: performance.now() - this.#origin, end: undefined };
    this.spans.push(span);
    return () => {
      span.end = performance.now() - this.#origin;
    };
  }

  /** Runs `fn`, recording its lifetime under `name`. */
  async track<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const end = this.begin(name);
    try {
      return await fn();
    } finally {
      end();
    }
  }

  /** The chart: one row per task, bars on a shared time axis. Unicode blocks on a TTY, ASCII otherwise. */
  render(options: { width?: number; unicode?: boolean } = {}): string {
    if (this.spans.length === 0) return "";
    const width = Math.max(20, Math.min(options.width ?? 50, 100));
    const full = options.unicode === true ? "█" : "#";
    const empty = options.unicode === true ? "·" : ".";
    const total = Math.max(...this.spans.map((s) => s.end ?? s.start), 1);
    const label = Math.max(...this.spans.map((s) => s.name.length));
    const rows = this.spans.map((span) => {
      const from = Math.floor((span.start / total) * width);
      const to = Math.max(from + 1, Math.round(((span.end ?? total) / total) * width));
      const bar = empty.repeat(from) + full.repeat(to - from) + empty.repeat(Math.max(0, width - to));
      const duration = ((span.end ?? total) - span.start) / 1000;
      return `  ${span.name.padEnd(label)} |${bar}| ${duration.toFixed(2)}s`;
    });
    const axis = `  ${" ".repeat(label)} 0${" ".repeat(width - 1)}${(total / 1000).toFixed(2)}s`;
    return [...rows, axis].join("\n");
  }
}
