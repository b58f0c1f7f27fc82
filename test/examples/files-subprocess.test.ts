import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runExample } from "./_run.js";

void test("03-aiofiles: three files read concurrently, their sizes printed", async () => {
  const { code, stdout, stderr } = await runExample("03-aiofiles");
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split("\n"), ["example1.txt: 22 bytes", "example2.txt: 162 bytes", "example3.txt: 200 bytes"]);
});

void test("08-subprocess: python --version (or node --version) read line by line", async () => {
  const { code, stdout, stderr } = await runExample("08-subprocess");
  assert.equal(code, 0, stderr);
  assert.match(stdout.trim(), /^\[(stdout|stderr)\] (Python \d+\.\d+\.\d+\S*|v\d+\.\d+\.\d+)$/);
});

void test("08-subprocess: node --version when python is missing", async () => {
  const script = fileURLToPath(new URL("../../examples/08-subprocess.js", import.meta.url));
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [script], { env: { PATH: "/nonexistent-taskio-dir" } }, (error, stdout, stderr) =>
      error === null ? resolve({ stdout, stderr }) : reject(error),
    );
  });
  assert.equal(stdout.trim(), `[stdout] ${process.version}`);
  assert.match(stderr, /Cannot run "python": no such program \(ENOENT\).*running node --version instead/);
});

void test("08-subprocess: a missing program that was asked for fails; a given command runs", async () => {
  const fallback = await runExample("08-subprocess", ["no-such-python-xyz", "--version"]);
  assert.notEqual(fallback.code, 0);
  assert.match(fallback.stderr, /Cannot run "no-such-python-xyz": no such program/);
  const given = await runExample("08-subprocess", ["sh", "-c", "echo out; echo err >&2; exit 5"]);
  assert.equal(given.code, 5);
  assert.deepEqual(given.stdout.trim().split("\n").sort(), ["[stderr] err", "[stdout] out"]);
});
