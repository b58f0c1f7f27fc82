// The subprocess benchmark (issue 5): (1) spawn 500 `true`, 4 at a time; (2) read the 1,000,000
// lines of `seq 1000000` one by one (decoded to strings, as the seed does), with readLine() and lines().
// Usage: npm run build && node dist/bench/subprocess.bench.js [--rounds 3] [--only spawn|lines] [--metric wall|cpu]
// Each variant runs in its own process (see lib/harness.ts); this file is also the variant
// runner: `node dist/bench/subprocess.bench.js --variant NAME`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { run } from "taskio";
import { createSubprocessExec, PIPE } from "taskio/subprocess";
import { median, runBench, SYSTEM_PYTHON, type Variant } from "./lib/harness.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    metric: { type: "string", default: "wall" },
    variant: { type: "string" },
    spawns: { type: "string", default: "500" },
    lines: { type: "string", default: "1000000" },
  },
});
const spawns = Number(values.spawns);
const lineCount = Number(values.lines);
const CONCURRENCY = 4;

/** `count` calls of `fn`, at most CONCURRENCY at a time. */
async function pool(count: number, fn: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) await fn();
    }),
  );
}

async function variantMain(variant: string): Promise<void> {
  const { execa } = await import("execa");
  const check = (n: number): void => {
    if (n !== lineCount) throw new Error(`read ${n} lines, expected ${lineCount}`);
  };
  // The seed's loop. Inside run() every await pays Node 20's AsyncLocalStorage promise hooks
  // (readline pays them too when run inside a run()); outside run() taskio works the same, uncancellable.
  async function readLines(): Promise<void> {
    await using proc = await createSubprocessExec("seq", [String(lineCount)], { stdout: PIPE });
    const stdout = proc.stdout!;
    let n = 0;
    for (;;) {
      const line = await stdout.readLine();
      if (line.length === 0) break;
      line.toString();
      n++;
    }
    await proc.wait();
    check(n);
  }
  // The text line iterator: each buffered block decoded once and split, as readline does.
  async function readTextLines(): Promise<void> {
    await using proc = await createSubprocessExec("seq", [String(lineCount)], { stdout: PIPE });
    let n = 0;
    for await (const _line of proc.stdout!.lines()) n++;
    await proc.wait();
    check(n);
  }
  const once: Record<string, () => Promise<unknown>> = {
    "spawn: taskio": () =>
      run(() =>
        pool(spawns, async () => {
          await using proc = await createSubprocessExec("true");
          await proc.wait();
        }),
      ),
    "spawn: child_process": () =>
      pool(
        spawns,
        () =>
          new Promise((resolve, reject) => {
            const child = spawn("true");
            child.on("error", reject);
            child.on("close", resolve);
          }),
      ),
    "spawn: execa": () => pool(spawns, () => execa("true")),
    "lines: taskio in run()": () => run(readLines),
    "lines: taskio, no run()": readLines,
    "lines: taskio lines() in run()": () => run(readTextLines),
    "lines: taskio lines(), no run()": readTextLines,
    "lines: child_process + readline": async () => {
      const child = spawn("seq", [String(lineCount)], { stdio: ["ignore", "pipe", "inherit"] });
      let n = 0;
      for await (const _line of createInterface({ input: child.stdout, crlfDelay: Infinity })) n++;
      check(n);
    },
    "lines: child_process + readline in run()": () =>
      run(async () => {
        const child = spawn("seq", [String(lineCount)], { stdio: ["ignore", "pipe", "inherit"] });
        let n = 0;
        for await (const _line of createInterface({ input: child.stdout, crlfDelay: Infinity })) n++;
        check(n);
      }),
    "lines: execa": async () => {
      let n = 0;
      for await (const _line of execa("seq", [String(lineCount)])) n++;
      check(n);
    },
  };
  const fn = once[variant];
  if (fn === undefined) throw new Error(`unknown variant ${variant}`);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 4; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    const wall = performance.now() - t;
    const cpu = process.cpuUsage(c);
    if (i >= 1) {
      walls.push(wall);
      cpus.push((cpu.user + cpu.system) / 1000);
    }
  }
  console.log(`wall=${median(walls).toFixed(2)} cpu=${median(cpus).toFixed(2)}`);
}

if (values.variant !== undefined) {
  await variantMain(values.variant);
} else {
  const self = fileURLToPath(import.meta.url);
  const py = fileURLToPath(new URL("../../bench/py/subprocess_anchor.py", import.meta.url));
  const hasPython = existsSync(SYSTEM_PYTHON);
  const node = (name: string): Variant => ({
    name,
    command: process.execPath,
    args: [self, "--variant", name, "--spawns", String(spawns), "--lines", String(lineCount)],
  });
  const python = (name: string, mode: string, loop: string): Variant => ({
    name,
    command: SYSTEM_PYTHON,
    args: [py, mode, loop, String(mode === "spawn" ? spawns : lineCount)],
    ...(hasPython ? {} : { skip: "no /usr/bin/python3" }),
  });
  const options = { unit: "ms", rounds: Number(values.rounds), better: "lower" as const, metric: values.metric === "cpu" ? ("cpu" as const) : ("wall" as const) };
  if (values.only !== "lines") {
    runBench(
      [
        node("spawn: taskio"),
        node("spawn: child_process"),
        node("spawn: execa"),
        python("spawn: Python asyncio", "spawn", "asyncio"),
        python("spawn: Python uvloop", "spawn", "uvloop"),
      ],
      { ...options, title: `${spawns} × \`true\`, ${CONCURRENCY} at a time, Node ${process.version}`, baseline: "spawn: child_process" },
    );
  }
  if (values.only !== "spawn") {
    runBench(
      [
        node("lines: taskio in run()"),
        node("lines: taskio, no run()"),
        node("lines: taskio lines() in run()"),
        node("lines: taskio lines(), no run()"),
        node("lines: child_process + readline"),
        node("lines: child_process + readline in run()"),
        node("lines: execa"),
        python("lines: Python asyncio", "lines", "asyncio"),
        python("lines: Python uvloop", "lines", "uvloop"),
      ],
      { ...options, title: `\`seq ${lineCount}\` read line by line, Node ${process.version}`, baseline: "lines: child_process + readline" },
    );
  }
}
