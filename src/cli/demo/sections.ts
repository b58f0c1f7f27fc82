/**
 * The seed's patterns, live, in the seed's order. Each section prints what the seed's example
 * prints, plus the evidence that the pattern worked (elapsed vs the sum of the waits, the peak
 * concurrency, the retries, the bytes and memory, the timeout that fired...).
 */
import { section as gather } from "./sections/01-gather.js";
import { section as asyncWith } from "./sections/02-async-with.js";
import { section as aiofiles } from "./sections/03-aiofiles.js";
import { section as aiohttp } from "./sections/04-aiohttp.js";
import { section as executor } from "./sections/05-run-in-executor.js";
import { section as echo } from "./sections/06-echo-server.js";
import { section as streaming } from "./sections/07-streaming-download.js";
import { section as subprocess } from "./sections/08-subprocess.js";
import { section as timeouts } from "./sections/09-timeout.js";
import { section as semaphore } from "./sections/10-semaphore.js";
import { section as retry } from "./sections/11-retry.js";
import { section as debugging } from "./sections/12-debugging.js";
import { section as performance } from "./sections/13-performance.js";
import type { DemoSection } from "./section.js";

export type { DemoContext, DemoSection } from "./section.js";

/** Every section of the tour, by seed section number. */
export const sections: readonly DemoSection[] = [
  gather,
  asyncWith,
  aiofiles,
  aiohttp,
  executor,
  echo,
  streaming,
  subprocess,
  timeouts,
  semaphore,
  retry,
  debugging,
  performance,
];
