import assert from "node:assert/strict";
import { test } from "node:test";
import { runExample } from "./_run.js";

void test("04-aiohttp: results print in completion order (as_completed)", async () => {
  const { code, stdout, stderr } = await runExample("04-aiohttp");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0] ?? "", /^http:\/\/127\.0\.0\.1:\d+\/json\/example2\.json -> 200, 50 bytes$/);
  assert.match(lines[1] ?? "", /^http:\/\/127\.0\.0\.1:\d+\/json\/example3\.json -> 200, 75 bytes$/);
  assert.match(lines[2] ?? "", /^http:\/\/127\.0\.0\.1:\d+\/json\/example1\.json -> 200, 120 bytes$/);
});

void test("07-streaming-download: the whole body reaches the file", async () => {
  const { code, stdout, stderr } = await runExample("07-streaming-download", ["8"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^Downloaded 8388608 bytes to download\.bin$/m);
});

void test("10-limited-fetch: ten results, never more than three requests at once", async () => {
  const { code, stdout, stderr } = await runExample("10-limited-fetch");
  assert.equal(code, 0, stderr);
  assert.equal(stdout.match(/\[ 'http:\/\/127\.0\.0\.1:\d+\/json\/example\.json', 200 \]/g)?.length, 10);
  assert.match(stdout, /Most requests the server saw at once: 3$/m);
});

void test("11-fetch-with-retry: two failures, then the page", async () => {
  const { code, stdout, stderr } = await runExample("11-fetch-with-retry");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^Attempt 1 failed: The server answered 503 Service Unavailable: GET http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(lines[1] ?? "", /^Attempt 2 failed: /);
  assert.equal(lines[2], "Fetched length: 1242");
});
