/**
 * Seed section 3: async file I/O (aiofiles) — three files read at once with taskio/files, their
 * sizes printed. The files are written first into the tour's temporary folder.
 */
import { join } from "node:path";
import { gather } from "../../../index.js";
import { open } from "../../../files/index.js";
import { type DemoSection } from "../section.js";

const CONTENTS: readonly [string, string][] = [
  ["example1.txt", "Hello from example 1!\n"],
  ["example2.txt", "Asynchronous file I/O reads these files concurrently.\n".repeat(3)],
  ["example3.txt", "Halo dari contoh 3.\n".repeat(10)],
];

/** Seed section 3, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 3,
  title: "async file I/O (aiofiles): open + gather",
  async run({ log, timeline, world }) {
    const dir = await world.tempDir();
    // Write the seed's example files (concurrently too).
    await gather(
      ...CONTENTS.map(([name, text]) => async () => {
        await using file = await open(join(dir, name), "w", { encoding: "utf-8" });
        await file.write(text);
      }),
    );

    const readFile = (path: string, name: string) =>
      timeline.track(name, async (): Promise<[string, number]> => {
        // Read file content asynchronously
        await using file = await open(path, "r", { encoding: "utf-8" });
        const contents = await file.read();
        return [name, contents.length];
      });
    const started = performance.now();
    const results = await gather(...CONTENTS.map(([name]) => () => readFile(join(dir, name), name)));
    const elapsed = Math.round((performance.now() - started) * 10) / 10;
    for (const [name, size] of results) log(`${name}: ${size} bytes`);

    const expected = CONTENTS.map(([, text]) => text.length);
    const matches = results.every(([, size], i) => size === expected[i]);
    log(`evidence: three files read concurrently in ${elapsed} ms; sizes match what was written: ${matches}`);
    return { dir, files: results.map(([name, size]) => ({ name, size })), sizesMatch: matches, elapsedMs: elapsed };
  },
};
