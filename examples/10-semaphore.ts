// Seed section 10: controlling concurrency — at most three "downloads" at a time with a Semaphore,
// then the same with mapConcurrent. The download is a local stand-in (a short sleep), so no
// network is needed; the HTTP version is examples/10-limited-fetch.ts.
// Run: node dist/examples/10-semaphore.js
import { gather, mapConcurrent, run, Semaphore, sleep } from "taskio";

const semaphore = new Semaphore(3); // allow up to 3 concurrent tasks

// --- a local stand-in for session.get(url): counts how many run at once ------------------------
let inFlight = 0;
let maxInFlight = 0;
async function fakeGet(url: string): Promise<{ url: string; status: number }> {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    await sleep(100);
    return { url, status: 200 };
  } finally {
    inFlight--;
  }
}

async function limitedFetch(url: string): Promise<[string, number]> {
  using _permit = await semaphore.acquire(); // `async with semaphore:`
  const resp = await fakeGet(url);
  return [resp.url, resp.status];
}

async function main(urls: string[]): Promise<void> {
  const tasks = urls.map((u) => () => limitedFetch(u));
  const results = await gather(...tasks);
  console.log(`[${results.map(([u, status]) => `('${u}', ${status})`).join(", ")}]`);
  console.log(`Most downloads at once with Semaphore(3): ${maxInFlight}`);

  // The same limit without a semaphore: mapConcurrent keeps input order and stops on the first error.
  maxInFlight = 0;
  const statuses = await mapConcurrent(urls, async (u) => (await fakeGet(u)).status, { concurrency: 3 });
  console.log(`mapConcurrent statuses: ${statuses.join(" ")}`);
  console.log(`Most downloads at once with mapConcurrent: ${maxInFlight}`);
}

const urls = Array<string>(10).fill("https://codesparklab.com/json/example.json");
await run(() => main(urls));
