import assert from "node:assert/strict";
import { test } from "node:test";
import { runExample } from "./_run.js";

for (const kind of ["thread", "process"] as const) {
  void test(`05-run-in-executor (${kind} pool): both blocking calls run at once`, async () => {
    const { code, stdout, stderr } = await runExample("05-run-in-executor", kind === "process" ? ["--process"] : []);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split("\n");
    assert.equal(lines[0], "Blocking results: [ 'slept 1s', 'slept 2s' ]");
    assert.match(lines[1] ?? "", new RegExp(`on a ${kind} pool`));
    const elapsed = Number(/Elapsed: ([\d.]+)s/.exec(stdout)?.[1]);
    assert.ok(elapsed >= 1.9, `elapsed ${elapsed}s`);
    // Concurrency, judged without counting the workers' start-up (a child process can take a
    // second to start on a loaded machine): one after the other, the second call would end 2 s
    // after the first; together, 1 s after.
    const gap = Number(/blocking_io\(2\) finished ([\d.]+)s after/.exec(stdout)?.[1]);
    // Run one after the other, the gap would be at least 2 s: anything below proves overlap,
    // with room for a worker that started late on a loaded machine.
    assert.ok(gap >= 0.9 && gap < 1.95, `gap ${gap}s`);
  });
}

void test("05-cpu-bound: the pools find the same count as the main thread", async () => {
  const { code, stdout, stderr } = await runExample("05-cpu-bound");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^main thread: {2}283146 primes below 4000000 in [\d.]+s$/);
  assert.match(lines[1]!, /^thread pool: {2}283146 primes below 4000000 in [\d.]+s$/);
  assert.match(lines[2]!, /^process pool: 283146 primes below 4000000 in [\d.]+s$/);
});
