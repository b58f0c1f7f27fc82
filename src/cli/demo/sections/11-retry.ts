/**
 * Seed section 11: errors and retry — the local server's /flaky endpoint fails twice (503), then
 * answers. retry() tries again with exponential backoff and jitter; ClientSession can do the same
 * by itself (`retry` option, honouring Retry-After).
 */
import { retry } from "../../../index.js";
import { ClientSession } from "../../../http/index.js";
import { elapsedSince, seconds, type DemoSection } from "../section.js";

/** Seed section 11, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 11,
  title: "errors and retry: exponential backoff with jitter",
  async run({ log, world }) {
    const server = await world.http();
    const key = `seed-${process.pid}-${Date.now()}`;
    const url = server.url(`/flaky/${key}`);
    const delays: number[] = [];
    let attempts = 0;

    const started = performance.now();
    let text: string;
    {
      await using session = new ClientSession();
      // The seed's fetch_with_retry: up to 3 attempts, a growing, jittered pause between them.
      text = await retry(
        async (attempt) => {
          attempts = attempt;
          await using resp = await session.get(url);
          resp.raiseForStatus();
          return await resp.text();
        },
        {
          attempts: 3,
          baseDelay: 200,
          factor: 2,
          jitter: "equal",
          onRetry: ({ attempt, error, delay }) => {
            delays.push(Math.round(delay));
            log(`Attempt ${attempt} failed: ${(error as Error).message} (next try in ${Math.round(delay)} ms)`);
          },
        },
      );
    }
    const elapsed = elapsedSince(started);
    log(`Fetched length: ${text.length}`);
    const retries = delays.length;
    log(
      `evidence: ${retries} retries, ${attempts} attempts; backoff waits ${delays.map((d) => `${d} ms`).join(" then ")} ` +
        `(base 200 ms, x2, equal jitter); the server answered ${server.stats.requests.get(`/flaky/${key}`)} requests; total ${seconds(elapsed)}`,
    );

    // Built in: the session retries idempotent requests on 429/502/503/504 by itself.
    const builtInUrl = server.url(`/flaky/${key}-session`);
    let sessionStatus: number;
    {
      await using session = new ClientSession({ retry: { attempts: 3, baseDelay: 50 } });
      await using resp = await session.get(builtInUrl);
      sessionStatus = resp.status;
    }
    const sessionRequests = server.stats.requests.get(`/flaky/${key}-session`) ?? 0;
    log(`evidence: new ClientSession({ retry: { attempts: 3 } }) got ${sessionStatus} after ${sessionRequests} requests (Retry-After: 0 honoured)`);
    return { fetchedLength: text.length, retries, attempts, delaysMs: delays, elapsedMs: elapsed, sessionStatus, sessionRequests };
  },
};
