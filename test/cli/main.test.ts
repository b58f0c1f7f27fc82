import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { parseCount, parseDuration } from "../../src/cli/io.js";
import { runMain } from "../../src/cli/main.js";
import { fakeIO } from "./_io.js";

const bin = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));

describe("taskio command line", () => {
  test("--help lists the commands; no command is a usage error", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["--help"], io), 0);
    assert.match(io.out(), /demo\s+tour the seed/);
    assert.equal(await runMain([], fakeIO()), 2);
  });

  test("an unknown command is one line on stderr and exit code 2", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["frobnicate"], io), 2);
    assert.equal(io.err(), 'taskio: Unknown command: "frobnicate". Run `taskio --help` to list the commands\n');
  });

  test("--version prints the package version", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["--version"], io), 0);
    assert.match(io.out(), /^\d+\.\d+\.\d+\n$/);
  });

  test("demo --section 9 --json reports the timeout that fired", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["demo", "--section", "9", "--json"], io), 0);
    const result = JSON.parse(io.out().trim()) as { section: number; evidence: { timedOut: boolean; innerCleanedUp: boolean } };
    assert.equal(result.section, 9);
    assert.equal(result.evidence.timedOut, true);
    assert.equal(result.evidence.innerCleanedUp, true);
  });

  test("demo rejects a bad section and unknown flags with exit code 2", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["demo", "--section", "99"], io), 2);
    assert.match(io.err(), /^taskio: Expected --section to be an integer from 1 to 13: received "99"\n$/);
    const io2 = fakeIO();
    assert.equal(await runMain(["demo", "--bogus"], io2), 2);
    assert.equal(io2.err().split("\n").length, 2, "one line");
  });

  test("the real binary runs demo section 1 and draws a timeline", () => {
    const result = spawnSync(process.execPath, [bin, "demo", "--section", "1"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /C finished after 0.5s\nB finished after 1s\nA finished after 1.5s/);
    assert.match(result.stdout, /timeline:\n {2}A \|#+\| 1\.\d\ds/);
  });

  test("durations and counts are parsed strictly", () => {
    assert.equal(parseDuration("500", "--timeout"), 500);
    assert.equal(parseDuration("2s", "--timeout"), 2000);
    assert.equal(parseDuration("1.5m", "--timeout"), 90_000);
    assert.throws(() => parseDuration("soon", "--timeout"), /Expected --timeout to be a duration/);
    assert.equal(parseCount("4", "-j", { min: 1 }), 4);
    assert.throws(() => parseCount("0", "-j", { min: 1 }), /Expected -j to be an integer from 1/);
    assert.throws(() => parseCount("-3", "-j"), /received "-3"/);
  });
});
