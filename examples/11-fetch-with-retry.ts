// Seed section 11: errors and retry — up to N attempts with a growing, jittered pause.
// The example's own server on 127.0.0.1 fails the first two requests (503), then answers.
// Run: node dist/examples/11-fetch-with-retry.js
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { run, sleep } from "taskio";
import { ClientSession } from "taskio/http";

async function fetchWithRetry(session: ClientSession, url: string, retries = 3): Promise<string> {
  for (let attempt = 1; attempt <= retries; attempt++) {
    try {
      await using resp = await session.get(url);
      resp.raiseForStatus();
      const text = await resp.text();
      return text;
    } catch (e) {
      if (attempt === retries) throw e;
      console.log(`Attempt ${attempt} failed: ${(e as Error).message}`);
      await sleep((0.5 * attempt + Math.random()) * 1000);
    }
  }
  throw new Error("unreachable");
}

async function main(url: string): Promise<void> {
  await using session = new ClientSession();
  const text = await fetchWithRetry(session, url);
  console.log("Fetched length:", text.length);
  // taskio also has it built in: new ClientSession({ retry: { attempts: 3 } }) retries idempotent
  // requests on connection errors and 429/502/503/504, honouring Retry-After.
}

// --- a local stand-in for https://codesparklab.com/ that fails twice ----------------------------
let requests = 0;
const page = `<!doctype html><title>codesparklab</title>${"<p>hello</p>".repeat(100)}`;
const server = createServer((_req, res) => {
  requests++;
  if (requests <= 2) return void res.writeHead(503, "Service Unavailable").end();
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

try {
  await run(() => main(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
} finally {
  server.close();
}
