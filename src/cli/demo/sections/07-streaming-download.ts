/**
 * Seed section 7: large streaming data — a 64 MiB body, generated on the fly by the local
 * server, written to disk chunk by chunk (content.iterChunked(64 KiB) + an async file), so the
 * memory stays flat whatever the size. Then the same with taskio's one-call download().
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { open } from "../../../files/index.js";
import { ClientSession, download } from "../../../http/index.js";
import { MemoryProbe } from "../memory-probe.js";
import { elapsedSince, mebibytes, seconds, type DemoSection } from "../section.js";

/** The seed downloads 100MB.bin; 64 MiB keeps the tour short and shows the same flat memory. */
export const DOWNLOAD_SIZE = 64 * 1024 * 1024;

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** Seed section 7, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 7,
  title: "large streaming data: iterChunked + async file writes",
  async run({ log, world }) {
    const server = await world.http();
    const dir = await world.tempDir();
    const url = server.url(`/bytes/${DOWNLOAD_SIZE}`);
    const dest = join(dir, "download.bin");

    const servedBefore = server.stats.bytesServed;
    const probe = new MemoryProbe();
    let chunks = 0;
    let received = 0;
    const started = performance.now();
    {
      // Stream download and write to file in chunks
      await using session = new ClientSession();
      await using resp = await session.get(url);
      await using f = await open(dest, "wb");
      for await (const chunk of resp.content.iterChunked(1024 * 64)) {
        await f.write(chunk);
        received += chunk.length;
        if ((++chunks & 15) === 0) probe.sample();
        // Live memory at each quarter of the body: a buffered body would grow 16 MiB each time.
        if (received >= ((probe.live.length + 1) * DOWNLOAD_SIZE) / 4) probe.checkpoint();
      }
    }
    const elapsed = elapsedSince(started);
    probe.sample();
    const written = (await stat(dest)).size;
    const served = server.stats.bytesServed - servedBefore;
    log(`Downloaded ${written} bytes to download.bin`);
    if (written !== served) throw new Error(`Expected the file to hold the ${served} bytes served: received ${written}`);
    log(
      `evidence: ${mebibytes(written)} streamed in ${chunks} chunks in ${seconds(elapsed)} ` +
        `(${Math.round(written / 1024 / 1024 / Math.max(elapsed / 1000, 0.001))} MiB/s); ` +
        `peak RSS ${mebibytes(probe.peakRss)} (${mebibytes(probe.rssBefore)} before; garbage chunks wait for the GC)`,
    );
    log(
      `evidence: live buffer memory after a GC at 25/50/75/100% of the body: ${probe.live.map(mib).join(" / ")} MiB ` +
        `(holding the body would take ${[1, 2, 3, 4].map((q) => mib((q * DOWNLOAD_SIZE) / 4)).join(" / ")} MiB)`,
    );

    // taskio's download(): the same in one call, to <dest>.part then renamed, with progress.
    const probe2 = new MemoryProbe();
    const started2 = performance.now();
    let result;
    {
      await using session = new ClientSession();
      result = await download(session, url, join(dir, "download2.bin"), { onProgress: () => probe2.sample() });
    }
    const elapsed2 = elapsedSince(started2);
    log(`evidence: download() wrote ${result.bytes} bytes in ${seconds(elapsed2)}, peak RSS ${mebibytes(probe2.peakRss)}`);
    return {
      dest,
      bytesServed: served,
      bytesWritten: written,
      chunks,
      elapsedMs: elapsed,
      rssBeforeBytes: probe.rssBefore,
      peakRssBytes: probe.peakRss,
      liveAtQuartersBytes: probe.live,
      downloadBytes: result.bytes,
      downloadElapsedMs: elapsed2,
      downloadPeakRssBytes: probe2.peakRss,
    };
  },
};
