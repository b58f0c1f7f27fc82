// Seed section 10: controlling concurrency — at most three requests at a time with a Semaphore.
// The example starts its own server on 127.0.0.1 and reports the most requests it saw at once.
// Run: node dist/examples/10-limited-fetch.js
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gather, run, Semaphore } from "taskio";
import { ClientSession } from "taskio/http";

const semaphore = new Semaphore(3); // allow up to 3 concurrent tasks

async function limitedFetch(session: ClientSession, url: string): Promise<[string, number]> {
  using _permit = await semaphore.acquire();
  await using resp = await session.get(url);
  return [url, resp.status];
}

async function main(urls: string[]): Promise<void> {
  await using session = new ClientSession();
  const tasks = urls.map((u) => () => limitedFetch(session, u));
  const results = await gather(...tasks);
  console.log(results);
}

// --- a local stand-in for https://codesparklab.com/json/example.json ----------------------------
let inFlight = 0;
let maxInFlight = 0;
const server = createServer((_req, res) => {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  setTimeout(() => {
    inFlight--;
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  }, 50);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/json/example.json`;

try {
  await run(() => main(Array<string>(10).fill(url)));
  console.log(`Most requests the server saw at once: ${maxInFlight}`);
} finally {
  server.close();
}
