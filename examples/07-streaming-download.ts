// Seed section 7: handling large streaming data — a download written to disk chunk by chunk
// (resp.content.iterChunked(64 KiB) + an async file), so memory stays low whatever the size.
// The example serves its own "100MB.bin" on 127.0.0.1 (pass a size in MB to change it).
// Run: node dist/examples/07-streaming-download.js [MB]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { stat, unlink } from "node:fs/promises";
import { run } from "taskio";
import { open } from "taskio/files";
import { ClientSession } from "taskio/http";

async function streamDownload(url: string, dest: string): Promise<void> {
  // Stream download and write to file in chunks
  await using session = new ClientSession();
  await using resp = await session.get(url);
  await using f = await open(dest, "wb");
  for await (const chunk of resp.content.iterChunked(1024 * 64)) {
    await f.write(chunk);
  }
}

// --- a local stand-in for https://codesparklab.com/100MB.bin ------------------------------------
const size = Number(process.argv[2] ?? 100) * 1024 * 1024;
const block = Buffer.alloc(1024 * 1024, 0x2a);
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
  let left = size;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, block.length);
      left -= n;
      if (!res.write(block.subarray(0, n))) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/100MB.bin`;

try {
  await run(() => streamDownload(url, "download.bin"));
  const { size: written } = await stat("download.bin");
  console.log(`Downloaded ${written} bytes to download.bin`);
  console.log(`Peak memory (RSS): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
} finally {
  server.close();
  await unlink("download.bin").catch(() => undefined);
}
