// The executor benchmark: 2,000 CPU-bound tasks of about 1 ms on 2 workers, and pool start-up.
// Usage: npm run build && node dist/bench/executor.bench.js [--rounds 5] [--tasks 2000] [--workers 2]
// Each variant runs in a fresh process (see bench/lib/harness.ts); this file is also the variant.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { run } from "../src/index.js";
import { ProcessPoolExecutor, ThreadPoolExecutor, runInExecutor, type Executor } from "../src/executor/index.js";
import { cpuTask, cpuWork, noop } from "./executor-tasks.js";
import { median, runBench, SYSTEM_PYTHON, type Variant } from "./lib/harness.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    tasks: { type: "string", default: "2000" },
    workers: { type: "string", default: "2" },
    variant: { type: "string" },
    iterations: { type: "string" },
    /** Comma-separated names of the variants to run (as printed), for quick A/B runs. */
    only: { type: "string" },
  },
});
const tasks = Number(values.tasks);
const workers = Number(values.workers);
const tasksFile = fileURLToPath(new URL("./executor-tasks.js", import.meta.url));
/** The per-item overhead run: this many no-op items. */
const NOOPS = 20_000;

/** The iteration count that makes cpuWork take about 1 ms on this machine (median of many). */
function calibrate(): number {
  let iterations = 10_000;
  for (let pass = 0; pass < 6; pass++) {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      cpuWork(iterations);
      times.push(performance.now() - t);
    }
    iterations = Math.round(iterations / median(times));
  }
  return iterations;
}

async function timeTaskio(pool: Executor, iterations: number): Promise<number> {
  await Promise.all(Array.from({ length: workers * 2 }, () => runInExecutor(pool, cpuTask, iterations)));
  const t = performance.now();
  await Promise.all(Array.from({ length: tasks }, () => runInExecutor(pool, cpuTask, iterations)));
  const elapsed = performance.now() - t;
  await pool.shutdown();
  return elapsed;
}

async function variant(name: string, iterations: number): Promise<number> {
  switch (name) {
    case "inline": {
      const t = performance.now();
      for (let i = 0; i < tasks; i++) cpuWork(iterations);
      return performance.now() - t;
    }
    case "thread":
      return timeTaskio(new ThreadPoolExecutor({ maxWorkers: workers }), iterations);
    case "thread-in-run":
      return run(() => timeTaskio(new ThreadPoolExecutor({ maxWorkers: workers }), iterations));
    case "process":
      return timeTaskio(new ProcessPoolExecutor({ maxWorkers: workers }), iterations);
    case "piscina": {
      const pool = new Piscina({ filename: tasksFile, name: "cpuWork", minThreads: workers, maxThreads: workers });
      await Promise.all(Array.from({ length: workers * 2 }, () => pool.run(iterations)));
      const t = performance.now();
      await Promise.all(Array.from({ length: tasks }, () => pool.run(iterations)));
      const elapsed = performance.now() - t;
      await pool.destroy();
      return elapsed;
    }
    case "thread-noop":
    case "process-noop": {
      const pool = name === "thread-noop" ? new ThreadPoolExecutor({ maxWorkers: workers }) : new ProcessPoolExecutor({ maxWorkers: workers });
      await Promise.all(Array.from({ length: workers * 2 }, () => runInExecutor(pool, noop)));
      const t = performance.now();
      await Promise.all(Array.from({ length: NOOPS }, () => runInExecutor(pool, noop)));
      const elapsed = performance.now() - t;
      await pool.shutdown();
      return elapsed;
    }
    case "piscina-noop": {
      const pool = new Piscina({ filename: tasksFile, name: "noopWork", minThreads: workers, maxThreads: workers });
      await Promise.all(Array.from({ length: workers * 2 }, () => pool.run(undefined)));
      const t = performance.now();
      await Promise.all(Array.from({ length: NOOPS }, () => pool.run(undefined)));
      const elapsed = performance.now() - t;
      await pool.destroy();
      return elapsed;
    }
    case "thread-startup":
    case "process-startup": {
      const t = performance.now();
      const pool = name === "thread-startup" ? new ThreadPoolExecutor({ maxWorkers: workers }) : new ProcessPoolExecutor({ maxWorkers: workers });
      await runInExecutor(pool, noop);
      const elapsed = performance.now() - t;
      await pool.shutdown();
      return elapsed;
    }
    case "constructor": {
      const t = performance.now();
      const pool = new ThreadPoolExecutor({ maxWorkers: workers });
      const elapsed = performance.now() - t;
      await pool.shutdown();
      return elapsed;
    }
    case "bare-worker": {
      const t = performance.now();
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(0)", { eval: true });
      await once(worker, "message");
      const elapsed = performance.now() - t;
      await worker.terminate();
      return elapsed;
    }
    case "piscina-startup": {
      const t = performance.now();
      const pool = new Piscina({ filename: tasksFile, name: "noopWork", minThreads: workers, maxThreads: workers });
      await pool.run(undefined);
      const elapsed = performance.now() - t;
      await pool.destroy();
      return elapsed;
    }
    default:
      throw new Error(`Unknown variant: ${name}`);
  }
}

if (values.variant !== undefined) {
  const result = await variant(values.variant, Number(values.iterations));
  console.log(result.toFixed(2));
} else {
  const iterations = calibrate();
  const self = fileURLToPath(import.meta.url);
  const py = fileURLToPath(new URL("../../bench/py/executor.py", import.meta.url));
  const skip = existsSync(SYSTEM_PYTHON) ? {} : { skip: "no /usr/bin/python3" };
  const common = ["--tasks", String(tasks), "--workers", String(workers), "--iterations", String(iterations)];
  const node = (name: string): Variant => ({ name: `taskio ${name}`, command: process.execPath, args: [self, "--variant", name, ...common] });
  const rounds = Number(values.rounds);
  const only = values.only?.split(",");
  const runBenchOnly = (variants: Variant[], options: Parameters<typeof runBench>[1]): void => {
    const chosen = only === undefined ? variants : variants.filter((v) => only.some((name) => v.name.includes(name)));
    if (chosen.length > 0) runBench(chosen, options);
  };
  console.log(`cpuWork calibrated to ${iterations} iterations (about 1 ms on the main thread)`);
  runBenchOnly(
    [
      { ...node("inline"), name: "inline (main thread)" },
      node("thread"),
      node("thread-in-run"),
      node("process"),
      { ...node("piscina"), name: "piscina" },
      { name: "Python ProcessPoolExecutor", command: SYSTEM_PYTHON, args: [py, "process", String(tasks), String(workers)], ...skip },
      { name: "Python ThreadPoolExecutor", command: SYSTEM_PYTHON, args: [py, "thread", String(tasks), String(workers)], ...skip },
    ],
    { title: `${tasks} CPU-bound ~1 ms tasks on ${workers} workers`, unit: "ms", rounds, better: "lower", baseline: "piscina" },
  );
  runBenchOnly(
    [
      { ...node("thread-noop"), name: "taskio thread pool" },
      { ...node("process-noop"), name: "taskio process pool" },
      { ...node("piscina-noop"), name: "piscina" },
    ],
    { title: `Per-item overhead: ${NOOPS} no-op items on ${workers} workers`, unit: "ms", rounds, better: "lower", baseline: "piscina" },
  );
  runBenchOnly(
    [
      { ...node("thread-startup"), name: "taskio thread pool" },
      { ...node("process-startup"), name: "taskio process pool" },
      { ...node("piscina-startup"), name: "piscina" },
      { ...node("bare-worker"), name: "a bare Worker (eval), to its first message" },
      { ...node("constructor"), name: "taskio ThreadPoolExecutor constructor alone" },
      { name: "Python ProcessPoolExecutor", command: SYSTEM_PYTHON, args: [py, "process-startup", "1", String(workers)], ...skip },
    ],
    { title: `Pool start-up: constructor to the first result of a no-op task, ${workers} workers`, unit: "ms", rounds, better: "lower", baseline: "piscina" },
  );
}
