/**
 * Seed section 7: large streaming data — a 64 MiB body, generated on the fly by the local
 * server, written to disk chunk by chunk (content.iterChunked(64 KiB) + an async file), so the
 * memory stays flat whatever the size. Then the same with taskio's one-call download().
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { open } from "../../../files/index.js";
import { ClientSession, download } from "../../../http/index.js";
import { elapsedSince, mebibytes, seconds, type DemoSection } from "../section.js";

/** The seed downloads 100MB.bin; 64 MiB keeps the tour short and shows the same flat memory. */
export const DOWNLOAD_SIZE = 64 * 1024 * 1024;

export const section: DemoSection = {
  id: 7,
  title: "large streaming data: iterChunked + async file writes",
  async run({ log, world }) {
    const server = await world.http();
    const dir = await world.tempDir();
    const url = server.url(`/bytes/${DOWNLOAD_SIZE}`);
    const dest = join(dir, "download.bin");

    const servedBefore = server.stats.bytesServed;
    const baseline = process.memoryUsage.rss();
    let peakRss = baseline;
    let chunks = 0;
    const started = performance.now();
    {
      // Stream download and write to file in chunks
      await using session = new ClientSession();
      await using resp = await session.get(url);
      await using f = await open(dest, "wb");
      for await (const chunk of resp.content.iterChunked(1024 * 64)) {
        await f.write(chunk);
        if ((++chunks & 15) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }
    }
    const elapsed = elapsedSince(started);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const written = (await stat(dest)).size;
    const served = server.stats.bytesServed - servedBefore;
    log(`Downloaded ${written} bytes to download.bin`);
    if (written !== served) throw new Error(`Expected the file to hold the ${served} bytes served: received ${written}`);
    log(
      `evidence: ${mebibytes(written)} streamed in ${chunks} chunks in ${seconds(elapsed)} ` +
        `(${Math.round(written / 1024 / 1024 / Math.max(elapsed / 1000, 0.001))} MiB/s); ` +
        `RSS ${mebibytes(baseline)} before, peak ${mebibytes(peakRss)} during (+${mebibytes(Math.max(0, peakRss - baseline))} for a ${mebibytes(DOWNLOAD_SIZE)} body)`,
    );

    // taskio's download(): the same in one call, to <dest>.part then renamed, with progress.
    let peakRss2 = process.memoryUsage.rss();
    const started2 = performance.now();
    let result;
    {
      await using session = new ClientSession();
      result = await download(session, url, join(dir, "download2.bin"), {
        onProgress: () => {
          peakRss2 = Math.max(peakRss2, process.memoryUsage.rss());
        },
      });
    }
    const elapsed2 = elapsedSince(started2);
    log(`evidence: download() wrote ${result.bytes} bytes in ${seconds(elapsed2)}, peak RSS ${mebibytes(peakRss2)}`);
    return {
      dest,
      bytesServed: served,
      bytesWritten: written,
      chunks,
      elapsedMs: elapsed,
      rssBeforeBytes: baseline,
      peakRssBytes: peakRss,
      downloadBytes: result.bytes,
      downloadElapsedMs: elapsed2,
      downloadPeakRssBytes: peakRss2,
    };
  },
};
