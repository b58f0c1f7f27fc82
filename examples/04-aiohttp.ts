// Seed section 4: an async HTTP client — fetch several URLs in parallel and print each result as
// it completes (asyncio.as_completed). There is no internet here, so the example starts its own
// HTTP server on 127.0.0.1 serving the three JSON files, answering them at different speeds.
// Run: node dist/examples/04-aiohttp.js   (example2 first, then example3, then example1)
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { asCompleted, run } from "taskio";
import { ClientSession } from "taskio/http";

async function fetch(session: ClientSession, url: string): Promise<[string, number, number]> {
  // Fetch a URL asynchronously and return status and size
  await using resp = await session.get(url);
  const text = await resp.text();
  return [url, resp.status, text.length];
}

async function main(urls: string[]): Promise<void> {
  await using session = new ClientSession();
  const tasks = urls.map((u) => () => fetch(session, u));
  for (const next of asCompleted(tasks)) {
    const [url, status, size] = await next;
    console.log(`${url} -> ${status}, ${size} bytes`);
  }
}

// --- a local stand-in for https://codesparklab.com/json/ ---------------------------------------
const delays: Record<string, number> = { "/json/example1.json": 300, "/json/example2.json": 50, "/json/example3.json": 150 };
const server = createServer((req, res) => {
  const delay = delays[req.url ?? ""];
  if (delay === undefined) return void res.writeHead(404).end();
  const body = JSON.stringify({ name: req.url, items: Array.from({ length: delay / 10 }, (_, i) => i) });
  setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), delay);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

try {
  const urls = [`${base}/json/example1.json`, `${base}/json/example2.json`, `${base}/json/example3.json`];
  await run(() => main(urls));
} finally {
  server.close();
}
