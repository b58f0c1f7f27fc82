import assert from "node:assert/strict";
import { test } from "node:test";
import { runExample } from "./_run.js";

test("01-gather: C, B, A finish in that order, concurrently", async () => {
  const { code, stdout, stderr } = await runExample("01-gather");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.deepEqual(lines.slice(0, 6), [
    "A started",
    "B started",
    "C started",
    "C finished after 0.5s",
    "B finished after 1s",
    "A finished after 1.5s",
  ]);
  assert.equal(lines[6], "Results: [ [ 'A', 1.5 ], [ 'B', 1 ], [ 'C', 0.5 ] ]");
  const elapsed = Number(/Elapsed: ([\d.]+)s/.exec(stdout)?.[1]);
  // Concurrency, judged generously: far below the 3 s sum of the waits.
  assert.ok(elapsed >= 1.4 && elapsed < 2.9, `elapsed ${elapsed}s`);
});

test("02-async-context-manager: open, use, close in order", async () => {
  const { code, stdout, stderr } = await runExample("02-async-context-manager");
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split("\n"), [
    "Opening resource...",
    "Resource opened",
    "Using resource...",
    "Closing resource...",
    "Resource closed",
  ]);
});

test("09-timeout: prints Task timed out", async () => {
  const { code, stdout, stderr, elapsed } = await runExample("09-timeout");
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), "Task timed out");
  assert.ok(elapsed < 4900, "the 5 s task was cancelled, not awaited");
});
