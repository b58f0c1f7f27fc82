/** Seed section 1: async/await and the event loop — three workers at once with gather. */
import { gather, sleep } from "../../../index.js";
import { elapsedSince, pyRepr, seconds, type DemoSection } from "../section.js";

/** Seed section 1, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 1,
  title: "async/await and the event loop: gather",
  async run({ log, timeline }) {
    const worker = (name: string, delay: number) =>
      timeline.track(name, async (): Promise<[string, number]> => {
        // Simulate I/O-bound work by sleeping
        log(`${name} started`);
        await sleep(delay * 1000);
        log(`${name} finished after ${delay}s`);
        return [name, delay];
      });
    const started = performance.now();
    const results = await gather(
      () => worker("A", 1.5),
      () => worker("B", 1.0),
      () => worker("C", 0.5),
    );
    const elapsed = elapsedSince(started);
    log(`Results: ${pyRepr(results)}`);
    log(`evidence: elapsed ${seconds(elapsed)} for waits summing to 3.00s: the workers ran concurrently`);
    return { results, elapsedMs: elapsed, sumOfWaitsMs: 3000 };
  },
};
