// The core benchmark: create and await 100,000 trivial tasks.
// Usage: npm run build && node dist/bench/core.bench.js [--rounds 5] [--n 100000] [--node /path/to/node] [--metric wall|cpu]
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runBench, SYSTEM_PYTHON, type Variant } from "./lib/harness.js";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, metric: { type: "string", default: "wall" }, n: { type: "string", default: "100000" }, node: { type: "string" } },
});
const node = values.node ?? process.execPath;
const n = values.n;
const script = fileURLToPath(new URL("./core-variant.js", import.meta.url));
const py = fileURLToPath(new URL("../../bench/py/core.py", import.meta.url));
const hasPython = existsSync(SYSTEM_PYTHON);

const variants: Variant[] = [
  { name: "raw Promise.all", command: node, args: [script, "promise-all", n] },
  { name: "taskio gather", command: node, args: [script, "taskio-gather", n] },
  { name: "taskio TaskGroup", command: node, args: [script, "taskio-taskgroup", n] },
  { name: "Effect forEach unbounded", command: node, args: [script, "effect", n] },
  { name: "Python asyncio.gather", command: SYSTEM_PYTHON, args: ["-P", py, "asyncio", n], ...(hasPython ? {} : { skip: "no /usr/bin/python3" }) },
  { name: "Python uvloop gather", command: SYSTEM_PYTHON, args: ["-P", py, "uvloop", n], ...(hasPython ? {} : { skip: "no /usr/bin/python3" }) },
];
const version = (await import("node:child_process")).spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
runBench(variants, {
  title: `${n} trivial tasks created and awaited, Node ${version}`,
  unit: "ms",
  rounds: Number(values.rounds),
  better: "lower",
  baseline: "raw Promise.all",
  metric: values.metric === "cpu" ? "cpu" : "wall",
});
