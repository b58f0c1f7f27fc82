// Seed section 3: async file I/O (aiofiles) — three files read concurrently, their sizes printed.
// Run: node dist/examples/03-aiofiles.js
// The seed reads example1.txt..example3.txt from the current directory; so that the example runs
// anywhere, it first writes them into a fresh temporary directory (and removes it at the end).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gather, run } from "taskio";
import { open } from "taskio/files";

async function readFile(path: string): Promise<[string, number]> {
  // Read file content asynchronously
  await using file = await open(path, "r", { encoding: "utf-8" });
  const contents = await file.read();
  return [basename(path), contents.length];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "taskio-aiofiles-"));
  try {
    const files = [join(dir, "example1.txt"), join(dir, "example2.txt"), join(dir, "example3.txt")];
    await writeFile(files[0]!, "Hello from example 1!\n");
    await writeFile(files[1]!, "Asynchronous file I/O reads these files concurrently.\n".repeat(3));
    await writeFile(files[2]!, "Halo dari contoh 3.\n".repeat(10));

    const results = await gather(...files.map((path) => () => readFile(path)));
    for (const [name, size] of results) {
      console.log(`${name}: ${size} bytes`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await run(main);
