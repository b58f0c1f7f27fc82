/**
 * Seed section 4: an async HTTP client — three URLs fetched at once, each printed as it
 * completes (asCompleted). The local server answers example1/2/3 after 300, 50, 150 ms.
 */
import { asCompleted } from "../../../index.js";
import { ClientSession } from "../../../http/index.js";
import { elapsedSince, seconds, type DemoSection } from "../section.js";
import { EXAMPLE_DELAYS } from "../servers.js";

/** Seed section 4, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 4,
  title: "async HTTP client (aiohttp): ClientSession + asCompleted",
  async run({ log, timeline, world }) {
    const server = await world.http();
    const names = Object.keys(EXAMPLE_DELAYS);
    const urls = names.map((name) => server.url(`/json/${name}`));

    const fetch = (session: ClientSession, url: string, name: string) =>
      timeline.track(name, async (): Promise<[string, number, number]> => {
        // Fetch a URL asynchronously and return status and size
        await using resp = await session.get(url);
        const text = await resp.text();
        return [url, resp.status, text.length];
      });

    const order: string[] = [];
    const started = performance.now();
    {
      await using session = new ClientSession();
      const tasks = urls.map((u, i) => () => fetch(session, u, names[i]!));
      for (const next of asCompleted(tasks)) {
        const [url, status, size] = await next;
        order.push(url.slice(url.lastIndexOf("/") + 1));
        log(`${url} -> ${status}, ${size} bytes`);
      }
    }
    const elapsed = elapsedSince(started);
    const sum = Object.values(EXAMPLE_DELAYS).reduce((a, b) => a + b, 0);
    log(`evidence: completion order ${order.join(", ")} (fastest first); elapsed ${seconds(elapsed)} for server delays summing to ${seconds(sum)}`);
    return { order, elapsedMs: elapsed, sumOfDelaysMs: sum };
  },
};
