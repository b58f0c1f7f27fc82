/**
 * Memory evidence for the streaming section. RSS alone cannot tell a streamed body from a
 * buffered one (V8 collects the garbage chunks lazily, so RSS climbs either way), so the probe
 * also measures live buffer memory after a forced garbage collection: what is really retained.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined;

/** A full garbage collection (V8's `gc()`, exposed on first use for this process). */
export function gc(): void {
  if (collect === undefined) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  collect();
}

/** Samples peak RSS and, at chosen moments, the live Buffer/ArrayBuffer memory. */
export class MemoryProbe {
  readonly rssBefore = process.memoryUsage.rss();
  readonly liveBefore: number;
  peakRss = this.rssBefore;
  readonly live: number[] = [];

  constructor() {
    gc();
    this.liveBefore = process.memoryUsage().arrayBuffers;
  }

  /** Updates the peak RSS (cheap: call it often). */
  sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  /** Records the live buffer memory above the start, after a full collection (costs a few ms). */
  checkpoint(): void {
    this.sample();
    gc();
    this.live.push(Math.max(0, process.memoryUsage().arrayBuffers - this.liveBefore));
  }
}
