// The files benchmark (issue 5): read 5,000 files of 4 KiB concurrently, as text.
// Usage: npm run build && node dist/bench/files.bench.js [--rounds 5] [--n 5000] [--metric wall|cpu]
// Each variant runs in its own process (see lib/harness.ts); this file is also the variant
// runner: `node dist/bench/files.bench.js --variant NAME --dir DIR`.
import * as fs from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gather, run } from "taskio";
import { open, readFile } from "taskio/files";
import { median, runBench, SYSTEM_PYTHON, type Variant } from "./lib/harness.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    n: { type: "string", default: "5000" },
    metric: { type: "string", default: "wall" },
    variant: { type: "string" },
    dir: { type: "string" },
  },
});
const n = Number(values.n);

async function variantMain(variant: string, dir: string): Promise<void> {
  const paths = Array.from({ length: n }, (_, i) => join(dir, `f${i}.txt`));
  const once: Record<string, () => Promise<unknown>> = {
    "taskio open+read": () =>
      run(() =>
        gather(
          paths.map((path) => async () => {
            await using file = await open(path, "r", { encoding: "utf-8" });
            return (await file.read()).length;
          }),
          {},
        ),
      ),
    "taskio readFile": () => run(() => gather(paths.map((path) => () => readFile(path, { encoding: "utf-8" })), {})),
    "fs.promises.readFile": () => Promise.all(paths.map((path) => fs.promises.readFile(path, "utf8"))),
    "callback fs.readFile": () =>
      Promise.all(
        paths.map(
          (path) => new Promise<string>((resolve, reject) => fs.readFile(path, "utf8", (error, data) => (error === null ? resolve(data) : reject(error)))),
        ),
      ),
    readFileSync: async () => paths.map((path) => fs.readFileSync(path, "utf8")),
  };
  const fn = once[variant];
  if (fn === undefined) throw new Error(`unknown variant ${variant}`);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    const wall = performance.now() - t;
    const cpu = process.cpuUsage(c);
    if (i >= 2) {
      walls.push(wall);
      cpus.push((cpu.user + cpu.system) / 1000);
    }
  }
  console.log(`wall=${median(walls).toFixed(2)} cpu=${median(cpus).toFixed(2)}`);
}

if (values.variant !== undefined) {
  await variantMain(values.variant, values.dir ?? ".");
} else {
  const dir = mkdtempSync(join(tmpdir(), "taskio-bench-files-"));
  try {
    const content = "x".repeat(4095) + "\n";
    for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}.txt`), content);
    const self = fileURLToPath(import.meta.url);
    const py = fileURLToPath(new URL("../../bench/py/files.py", import.meta.url));
    const hasPython = fs.existsSync(SYSTEM_PYTHON);
    const names = ["taskio open+read", "taskio readFile", "fs.promises.readFile", "callback fs.readFile", "readFileSync"];
    const variants: Variant[] = names.map((name) => ({
      name,
      command: process.execPath,
      args: [self, "--variant", name, "--dir", dir, "--n", String(n)],
    }));
    variants.push({
      name: "Python aiofiles + gather",
      command: SYSTEM_PYTHON,
      args: [py, dir, String(n)],
      ...(hasPython ? {} : { skip: "no /usr/bin/python3" }),
    });
    runBench(variants, {
      title: `${n} files of 4 KiB read concurrently as text, Node ${process.version}`,
      unit: "ms",
      rounds: Number(values.rounds),
      better: "lower",
      baseline: "callback fs.readFile",
      metric: values.metric === "cpu" ? "cpu" : "wall",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
