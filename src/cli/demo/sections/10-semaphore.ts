/**
 * Seed section 10: controlling concurrency — ten requests, at most three at a time under a
 * Semaphore(3). The timeline shows each request waiting for a permit, then running.
 */
import { gather, Semaphore } from "../../../index.js";
import { ClientSession } from "../../../http/index.js";
import { elapsedSince, pyRepr, seconds, type DemoSection } from "../section.js";

const REQUESTS = 10;
const LIMIT = 3;
const DELAY_MS = 100;

/** Seed section 10, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 10,
  title: "concurrency limits: Semaphore(3)",
  async run({ log, timeline, world }) {
    const server = await world.http();
    const url = server.url("/json/example.json");
    const semaphore = new Semaphore(LIMIT); // allow up to 3 concurrent tasks
    let running = 0;
    let peak = 0;

    const limitedFetch = (session: ClientSession, index: number) =>
      timeline.track(`fetch-${index}`, async (span): Promise<[string, number]> => {
        using _permit = await semaphore.acquire();
        span.running();
        running++;
        peak = Math.max(peak, running);
        try {
          await using resp = await session.get(url);
          return [url, resp.status];
        } finally {
          running--;
        }
      });

    server.resetPeak();
    const started = performance.now();
    let results: [string, number][];
    {
      await using session = new ClientSession();
      results = await gather(...Array.from({ length: REQUESTS }, (_, i) => () => limitedFetch(session, i + 1)));
    }
    const elapsed = elapsedSince(started);
    // Python prints the list of (url, status) tuples (shortened here to the path).
    log(pyRepr(results.map(([u, status]) => [u.replace(server.baseUrl, ""), status])));
    const waves = Math.ceil(REQUESTS / LIMIT);
    log(
      `evidence: peak concurrency ${peak} under Semaphore(${LIMIT}) (the server saw at most ${server.stats.peakInFlight} at once); ` +
        `${REQUESTS} requests of ${DELAY_MS} ms took ${seconds(elapsed)}: ${waves} waves, not 1 and not ${REQUESTS}`,
    );
    return {
      requests: REQUESTS,
      limit: LIMIT,
      peakConcurrency: peak,
      serverPeak: server.stats.peakInFlight,
      statuses: results.map(([, status]) => status),
      elapsedMs: elapsed,
      waves,
    };
  },
};
