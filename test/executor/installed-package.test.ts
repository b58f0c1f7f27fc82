/**
 * The worker entry modules are found from the executor's own URL, so the pools work when taskio
 * is installed in node_modules (not only from this repository's dist/).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const execFileAsync = promisify(execFile);

void test("thread and process pools work from an installed copy of the package", async () => {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const app = mkdtempSync(join(tmpdir(), "taskio-installed-"));
  try {
    const pkg = join(app, "node_modules", "taskio");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    cpSync(join(root, "package.json"), join(pkg, "package.json"));
    cpSync(join(root, "dist", "src"), join(pkg, "dist", "src"), { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(app, "tasks.js"),
      `import { defineTask } from "taskio/executor";\nexport const square = defineTask(import.meta.url, "square", (n) => n * n);\n`,
    );
    writeFileSync(
      join(app, "main.js"),
      `import { run } from "taskio";
import { ThreadPoolExecutor, ProcessPoolExecutor, runInExecutor, toThread } from "taskio/executor";
import { square } from "./tasks.js";
await run(async () => {
  const threads = new ThreadPoolExecutor({ maxWorkers: 1 });
  const processes = new ProcessPoolExecutor({ maxWorkers: 1 });
  try {
    console.log(await runInExecutor(threads, square, 3), await runInExecutor(processes, square, 4), await toThread(square, 5));
  } finally {
    await threads.shutdown();
    await processes.shutdown();
  }
});
`,
    );
    const { stdout } = await execFileAsync(process.execPath, [join(app, "main.js")], { cwd: app, timeout: 30_000 });
    assert.equal(stdout.trim(), "9 16 25");
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
