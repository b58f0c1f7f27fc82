// The sync benchmark: 100,000 jobs through a concurrency limit of 64, each yielding once
// (setImmediate): taskio's Semaphore + gather and mapConcurrent against p-limit, p-map, p-queue,
// Effect's forEach({ concurrency: 64 }), a hand-written semaphore, 64 hand-written worker loops
// (the floor), and Python's asyncio.Semaphore(64) + gather (default loop and uvloop).
// Usage: npm run build && node dist/bench/sync.bench.js [--rounds 5] [--n 100000] [--limit 64] [--metric wall|cpu]
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runBench, SYSTEM_PYTHON, type Variant } from "./lib/harness.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    metric: { type: "string", default: "wall" },
    n: { type: "string", default: "100000" },
    limit: { type: "string", default: "64" },
    node: { type: "string" },
    only: { type: "string" },
  },
});
const node = values.node ?? process.execPath;
const { n, limit } = values;
const script = fileURLToPath(new URL("./sync-variant.js", import.meta.url));
const py = fileURLToPath(new URL("../../bench/py/sync.py", import.meta.url));
const hasPython = existsSync(SYSTEM_PYTHON);
const noPython = hasPython ? {} : { skip: "no /usr/bin/python3" };

const js = (name: string, key: string): Variant => ({ name, command: node, args: [script, key, n, limit] });
let variants: Variant[] = [
  js("64 worker loops (floor)", "worker-loops"),
  js("taskio mapConcurrent", "taskio-mapconcurrent"),
  js("taskio Semaphore + gather", "taskio-semaphore-gather"),
  js("taskio Semaphore + gather, try/finally", "taskio-semaphore-gather-finally"),
  js("taskio Semaphore + Promise.all", "taskio-semaphore-promise-all"),
  js("hand-written semaphore", "hand-semaphore"),
  js("64 worker loops, inside run()", "worker-loops-in-run"),
  js("hand-written semaphore, inside run()", "hand-semaphore-in-run"),
  js("p-limit", "p-limit"),
  js("p-map", "p-map"),
  js("p-queue", "p-queue"),
  js("Effect forEach concurrency 64", "effect"),
  js("p-limit, inside run()", "p-limit-in-run"),
  js("p-map, inside run()", "p-map-in-run"),
  js("Effect forEach, inside run()", "effect-in-run"),
  { name: "Python asyncio Semaphore+gather", command: SYSTEM_PYTHON, args: [py, "asyncio", n, limit], ...noPython },
  { name: "Python uvloop Semaphore+gather", command: SYSTEM_PYTHON, args: [py, "uvloop", n, limit], ...noPython },
];
if (values.only !== undefined) {
  const keep = values.only.split(",");
  variants = variants.filter((v) => v.name === "64 worker loops (floor)" || keep.some((k) => v.args.includes(k)));
}
const version = (await import("node:child_process")).spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
runBench(variants, {
  title: `${n} jobs (each yielding once) through a limit of ${limit}, Node ${version}`,
  unit: "ms",
  rounds: Number(values.rounds),
  better: "lower",
  baseline: "64 worker loops (floor)",
  metric: values.metric === "cpu" ? "cpu" : "wall",
});
