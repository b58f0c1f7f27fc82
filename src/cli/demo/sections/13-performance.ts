/**
 * Seed section 13 (performance): starting a great many small tasks at once costs memory and
 * event-loop time; batching them under a limit (mapConcurrent) keeps both bounded for the same
 * result. (CPU-bound work belongs in a process or thread pool: section 5.)
 */
import { allTasks, gather, mapConcurrent, sleep } from "../../../index.js";
import { gc } from "../memory-probe.js";
import { elapsedSince, mebibytes, type DemoSection } from "../section.js";

const JOBS = 5_000;
const CONCURRENCY = 64;

interface Measure {
  elapsedMs: number;
  /** Live tasks when the last job started. */
  peakTasks: number;
  /** Live heap growth (after a full GC) when the last job started. */
  heapGrowthBytes: number;
}

/** Runs `JOBS` one-millisecond jobs with `start`, sampling live tasks and live heap as the last one starts. */
async function measure(start: (job: (i: number) => Promise<number>) => Promise<number[]>): Promise<Measure> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakTasks = 0;
  let heapGrowth = 0;
  const started = performance.now();
  const results = await start(async (i) => {
    if (i === JOBS - 1) {
      peakTasks = allTasks().size;
      gc();
      heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    }
    await sleep(1);
    return i;
  });
  if (results.length !== JOBS || results[JOBS - 1] !== JOBS - 1) throw new Error(`Expected ${JOBS} results in order`);
  return { elapsedMs: elapsedSince(started), peakTasks, heapGrowthBytes: Math.max(0, heapGrowth) };
}

/** Seed section 13, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 13,
  title: "performance: batching with mapConcurrent vs everything at once",
  async run({ log }) {
    const indexes = Array.from({ length: JOBS }, (_, i) => i);
    const unbounded = await measure((job) => gather(...indexes.map((i) => () => job(i))));
    const bounded = await measure((job) => mapConcurrent(indexes, job, { concurrency: CONCURRENCY }));
    for (const [name, r] of [[`gather of ${JOBS} tasks`, unbounded], [`mapConcurrent(${CONCURRENCY})`, bounded]] as const) {
      log(
        `${name.padEnd(22)} ${String(r.elapsedMs).padStart(5)} ms, ${String(r.peakTasks).padStart(5)} live tasks, heap +${mebibytes(r.heapGrowthBytes)}`,
      );
    }
    log(
      `evidence: the same ${JOBS} results in order with at most ${bounded.peakTasks} live tasks instead of ${unbounded.peakTasks} ` +
        `(live heap +${mebibytes(bounded.heapGrowthBytes)} instead of +${mebibytes(unbounded.heapGrowthBytes)})`,
    );
    return { jobs: JOBS, concurrency: CONCURRENCY, unbounded, bounded };
  },
};
