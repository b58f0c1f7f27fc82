import assert from "node:assert/strict";
import { test } from "node:test";
import { runExample } from "./_run.js";

void test("examples/10-semaphore: at most 3 at a time, results in order", async () => {
  const { code, stdout, stderr } = await runExample("10-semaphore");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.equal(lines[0], `[${Array(10).fill("('https://codesparklab.com/json/example.json', 200)").join(", ")}]`);
  assert.equal(lines[1], "Most downloads at once with Semaphore(3): 3");
  assert.equal(lines[2], `mapConcurrent statuses: ${Array(10).fill("200").join(" ")}`);
  assert.equal(lines[3], "Most downloads at once with mapConcurrent: 3");
});

void test("examples/11-retry: two failures, then success", async () => {
  const { code, stdout, stderr } = await runExample("11-retry");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 3, stdout);
  assert.match(lines[0]!, /^Attempt 1 failed: 503 Service Unavailable for https:\/\/codesparklab\.com\/; retrying in \d+ ms$/);
  assert.match(lines[1]!, /^Attempt 2 failed: 503 .*; retrying in \d+ ms$/);
  assert.equal(lines[2], `Fetched length: ${"<!doctype html><title>codesparklab</title>".length + 1200}`);
});
