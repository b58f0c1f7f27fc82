/**
 * A tiny benchmark harness shared by every bench/ script: runs each variant in its own fresh
 * process (so one variant's state, such as AsyncLocalStorage's promise hooks on Node 20, never
 * taxes another), interleaves the variants over several rounds, and prints medians and ratios.
 */
import { spawnSync } from "node:child_process";

/**
 * One thing to measure: a command whose last stdout line is a number, or `wall=<ms> cpu=<ms>`
 * (then `metric` picks one: CPU time is what to compare on a loaded machine, wall time otherwise).
 */
export interface Variant {
  name: string;
  command: string;
  args: string[];
  /** Skip with this reason (e.g. Python's uvloop missing). */
  skip?: string;
}

export interface BenchOptions {
  title: string;
  unit: string;
  rounds: number;
  /** "lower" when smaller is better (time), "higher" for throughput. */
  better: "lower" | "higher";
  /** The variant the ratios are taken against. */
  baseline: string;
  /** Which figure of a `wall=... cpu=...` line to use. @default "wall" */
  metric?: "wall" | "cpu";
}

/** Reads the measure from a variant's last line: a plain number, or `wall=.. cpu=..`. */
export function parseMeasure(line: string, metric: "wall" | "cpu"): number {
  const tagged = new RegExp(`${metric}=([\\d.]+)`).exec(line);
  return Number(tagged === null ? line : tagged[1]);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs every variant `rounds` times, interleaved, and prints a table. Returns the medians. */
export function runBench(variants: Variant[], options: BenchOptions): Map<string, number> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of variants) {
      if (variant.skip !== undefined) continue;
      const result = spawnSync(variant.command, variant.args, { encoding: "utf8", maxBuffer: 1 << 24 });
      const last = result.stdout.trim().split("\n").at(-1) ?? "";
      const value = parseMeasure(last, options.metric ?? "wall");
      if (result.status !== 0 || !Number.isFinite(value)) {
        process.stderr.write(`${variant.name} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}\n`);
        continue;
      }
      samples.get(variant.name)?.push(value);
    }
  }
  const medians = new Map<string, number>();
  for (const [name, values] of samples) if (values.length > 0) medians.set(name, median(values));
  const base = medians.get(options.baseline);
  const metric = options.metric === "cpu" ? ", CPU time" : "";
  console.log(`\n${options.title}  (median of ${options.rounds} rounds${metric}; ratio vs ${options.baseline})`);
  const width = Math.max(...variants.map((v) => v.name.length));
  for (const variant of variants) {
    if (variant.skip !== undefined) {
      console.log(`  ${variant.name.padEnd(width)}  skipped: ${variant.skip}`);
      continue;
    }
    const value = medians.get(variant.name);
    if (value === undefined) {
      console.log(`  ${variant.name.padEnd(width)}  failed`);
      continue;
    }
    const ratio = base === undefined ? "" : `  ${(value / base).toFixed(2)}x`;
    console.log(`  ${variant.name.padEnd(width)}  ${value.toFixed(1).padStart(10)} ${options.unit}${ratio}`);
  }
  return medians;
}

/** Debian's system Python (with python3-uvloop etc.), not whatever python3 is first on PATH. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
