// One variant of the core benchmark, in its own process: creating and awaiting N trivial tasks.
// Prints the median time in ms of several in-process iterations (after warm-up) as its last line.
import { gather, run, TaskGroup } from "taskio";

const [variant = "", nArg = "100000"] = process.argv.slice(2);
const n = Number(nArg);
const trivial = async (): Promise<number> => 1;
const fns = Array.from({ length: n }, () => trivial);

async function once(): Promise<void> {
  switch (variant) {
    case "promise-all":
      await Promise.all(fns.map((fn) => fn()));
      return;
    case "taskio-gather":
      await gather(fns, {});
      return;
    case "taskio-taskgroup":
      await TaskGroup.run((tg) => {
        for (const fn of fns) tg.createTask(fn);
      });
      return;
    case "effect": {
      const { Effect } = await import("effect");
      await Effect.runPromise(Effect.forEach(fns, (fn) => Effect.promise(fn), { concurrency: "unbounded" }));
      return;
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

const inRun = variant.startsWith("taskio");
const walls: number[] = [];
const cpus: number[] = [];
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const body = async (): Promise<void> => {
  for (let i = 0; i < 7; i++) {
    const wall = performance.now();
    const cpu = cpuMs();
    await once();
    if (i >= 2) {
      walls.push(performance.now() - wall);
      cpus.push(cpuMs() - cpu);
    }
  }
};
if (inRun) await run(body);
else await body();
const mid = (list: number[]): number => [...list].sort((a, b) => a - b)[list.length >> 1] as number;
console.log(`wall=${mid(walls).toFixed(2)} cpu=${mid(cpus).toFixed(2)}`);
