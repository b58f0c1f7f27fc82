/**
 * The in-process side of a benchmark variant: runs `once` a few times, throws away the warm-up
 * iterations, and prints `wall=<ms> cpu=<ms>` (the medians) as the last line for the harness.
 */

export interface MeasureOptions {
  /** Iterations not counted (JIT warm-up). @default 2 */
  warmup?: number;
  /** Iterations in all, warm-up included. @default 7 */
  iterations?: number;
  /**
   * A time budget in ms for slow variants: past it, stop after the first measured iteration
   * (and measure the second iteration when the first took longer than half of it). @default Infinity
   */
  budget?: number;
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const mid = (list: number[]): number => [...list].sort((a, b) => a - b)[list.length >> 1] as number;

/** Measures `once` and returns the medians of its wall and CPU times, in milliseconds. */
export async function measure(once: () => Promise<unknown>, options: MeasureOptions = {}): Promise<{ wall: number; cpu: number }> {
  const { warmup = 2, iterations = 7, budget = Infinity } = options;
  const walls: number[] = [];
  const cpus: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const wall = performance.now();
    const cpu = cpuMs();
    await once();
    if (i >= warmup || (i === warmup - 1 && performance.now() - started > budget / 2)) {
      walls.push(performance.now() - wall);
      cpus.push(cpuMs() - cpu);
    }
    if (walls.length > 0 && performance.now() - started > budget) break;
  }
  return { wall: mid(walls), cpu: mid(cpus) };
}

/** The line the harness reads (see `parseMeasure` in harness.ts). */
export function report(result: { wall: number; cpu: number }): void {
  console.log(`wall=${result.wall.toFixed(2)} cpu=${result.cpu.toFixed(2)}`);
}
