// One variant of the core benchmark, in its own process: creating and awaiting N trivial tasks.
// Prints the median time in ms of several in-process iterations (after warm-up) as its last line.
import { gather, run, TaskGroup } from "taskio";
import { measure, report } from "./lib/measure.js";

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
report(inRun ? await run(() => measure(once)) : await measure(once));
