// One variant of the sync benchmark, in its own process: 100,000 jobs through a limit of 64,
// each job yielding once to the event loop (setImmediate). Prints `wall=<ms> cpu=<ms>`, the
// medians of several in-process iterations after warm-up, as its last line.
import { gather, mapConcurrent, run, Semaphore } from "taskio";
import { measure, report } from "./lib/measure.js";

const [variant = "", nArg = "100000", limitArg = "64"] = process.argv.slice(2);
const n = Number(nArg);
const limit = Number(limitArg);
const items = Array.from({ length: n }, (_, i) => i);

const immediate = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
async function job(i: number): Promise<number> {
  await immediate();
  return i;
}

/** The smallest correct semaphore: a counter and a head-indexed FIFO of resolvers. */
class HandSemaphore {
  #value: number;
  #waiters: (() => void)[] = [];
  #head = 0;
  constructor(value: number) {
    this.#value = value;
  }
  acquire(): Promise<void> | undefined {
    if (this.#value > 0) {
      this.#value--;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head] as () => void;
      this.#waiters[this.#head++] = undefined as never;
      if (this.#head === this.#waiters.length) {
        this.#waiters.length = 0;
        this.#head = 0;
      }
      next();
    } else {
      this.#value++;
    }
  }
}

// "<key>-in-run" runs a plain variant inside taskio's run(): on Node 20 the AsyncLocalStorage
// that run() enables taxes every promise in the process, so this is the like-for-like baseline
// for the taskio variants (which always run inside run()).
const key = variant.replace(/-in-run$/, "");

async function once(): Promise<void> {
  switch (key) {
    case "worker-loops": {
      const it = items[Symbol.iterator]();
      const results: number[] = new Array<number>(n);
      const worker = async (): Promise<void> => {
        for (let r = it.next(); r.done !== true; r = it.next()) results[r.value] = await job(r.value);
      };
      await Promise.all(Array.from({ length: limit }, worker));
      return;
    }
    case "hand-semaphore": {
      const sem = new HandSemaphore(limit);
      await Promise.all(
        items.map(async (i) => {
          await sem.acquire();
          try {
            return await job(i);
          } finally {
            sem.release();
          }
        }),
      );
      return;
    }
    case "taskio-semaphore-gather": {
      const sem = new Semaphore(limit);
      await gather(
        items.map((i) => async () => {
          using _permit = await sem.acquire();
          return await job(i); // `return await`: the permit must outlive the job
        }),
        {},
      );
      return;
    }
    case "taskio-semaphore-gather-finally": {
      // The same without `using`: TypeScript compiles `using` for Node 20 into helper calls.
      const sem = new Semaphore(limit);
      await gather(
        items.map((i) => async () => {
          const permit = await sem.acquire();
          try {
            return await job(i);
          } finally {
            permit.release();
          }
        }),
        {},
      );
      return;
    }
    case "taskio-semaphore-promise-all": {
      const sem = new Semaphore(limit);
      await Promise.all(
        items.map(async (i) => {
          using _permit = await sem.acquire();
          return await job(i); // `return await`: the permit must outlive the job
        }),
      );
      return;
    }
    case "taskio-mapconcurrent":
      await mapConcurrent(items, job, { concurrency: limit });
      return;
    case "p-limit": {
      const { default: pLimit } = await import("p-limit");
      const limiter = pLimit(limit);
      await Promise.all(items.map((i) => limiter(job, i)));
      return;
    }
    case "p-map": {
      const { default: pMap } = await import("p-map");
      await pMap(items, job, { concurrency: limit });
      return;
    }
    case "p-queue": {
      const { default: PQueue } = await import("p-queue");
      const queue = new PQueue({ concurrency: limit });
      await Promise.all(items.map((i) => queue.add(() => job(i))));
      return;
    }
    case "effect": {
      const { Effect } = await import("effect");
      const yieldOnce = (i: number) =>
        Effect.callback<number>((resume) => {
          setImmediate(() => resume(Effect.succeed(i)));
        });
      await Effect.runPromise(Effect.forEach(items, yieldOnce, { concurrency: limit }));
      return;
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

const inRun = variant.startsWith("taskio") || variant.endsWith("-in-run");
// Two warm-up iterations, then up to seven measured ones, within a time budget (p-queue takes
// seconds per iteration here).
const options = { iterations: 9, budget: 20_000 };
report(inRun ? await run(() => measure(once, options)) : await measure(once, options));
