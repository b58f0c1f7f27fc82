// Seed section 11: errors and retry — up to 3 attempts with exponential backoff and jitter, using
// taskio's retry(). The flaky call is a local stand-in that fails twice, then succeeds, so no
// network is needed; the HTTP version is examples/11-fetch-with-retry.ts.
// Run: node dist/examples/11-retry.js
import { retry, run, sleep } from "taskio";

// --- a local stand-in for session.get(url) that fails the first two times ----------------------
let calls = 0;
async function flakyFetch(url: string): Promise<string> {
  calls++;
  await sleep(20);
  if (calls <= 2) throw new Error(`503 Service Unavailable for ${url}`);
  return `<!doctype html><title>codesparklab</title>${"<p>hello</p>".repeat(100)}`;
}

async function fetchWithRetry(url: string, retries = 3): Promise<string> {
  return retry(() => flakyFetch(url), {
    attempts: retries,
    baseDelay: 500, // then 1000 ms, 2000 ms... (factor 2), capped by maxDelay
    jitter: "full", // a random pause between 0 and the computed delay
    onRetry: ({ attempt, error, delay }) =>
      console.log(`Attempt ${attempt} failed: ${(error as Error).message}; retrying in ${Math.round(delay)} ms`),
  }); // after the last attempt, the last error is re-thrown unchanged (the seed's bare `raise`)
}

async function main(): Promise<void> {
  const text = await fetchWithRetry("https://codesparklab.com/");
  console.log("Fetched length:", text.length);
}

await run(main);
