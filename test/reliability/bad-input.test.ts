/**
 * Reliability: bad input through the CLI (runMain with a fake terminal). Bad flags, durations,
 * counts, ports, URLs and unknown commands each give exactly one line on stderr, exit code 2,
 * and nothing written to the output directory (nor the working directory).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runMain } from "../../src/cli/main.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { fakeIO } from "../cli/_io.js";

const URL_OK = "http://127.0.0.1:9/file.bin";

/** Each case: argv with OUT standing for the output directory. */
const cases: Record<string, string[][]> = {
  "unknown commands and flags": [
    ["frobnicate"],
    ["fetchh", URL_OK],
    ["--frobnicate"],
    ["fetch", "--frobnicate", URL_OK, "-o", "OUT"],
    ["run", "--bogus", "--", "true"],
    ["echo", "--bogus"],
    ["demo", "--bogus"],
  ],
  "missing values and arguments": [
    ["fetch", "-o", "OUT"],
    ["fetch", URL_OK, "-o"],
    ["fetch", URL_OK, "-o", "OUT", "-j"],
    ["fetch", URL_OK, "-o", "OUT", "--timeout"],
    ["run", "--"],
    ["run", "-j"],
    ["echo", "--port"],
  ],
  "bad durations": [
    ["fetch", URL_OK, "-o", "OUT", "--timeout", "soon"],
    ["fetch", URL_OK, "-o", "OUT", "--timeout", "-5s"],
    ["fetch", URL_OK, "-o", "OUT", "--timeout", "10 parsecs"],
    ["fetch", URL_OK, "-o", "OUT", "--timeout", ""],
    ["run", "--timeout", "1x", "--", "true"],
    ["run", "--timeout", "NaNms", "--", "true"],
  ],
  "bad counts": [
    ["fetch", URL_OK, "-o", "OUT", "-j", "0"],
    ["fetch", URL_OK, "-o", "OUT", "-j", "-1"],
    ["fetch", URL_OK, "-o", "OUT", "-j", "1.5"],
    ["fetch", URL_OK, "-o", "OUT", "-j", "many"],
    ["fetch", URL_OK, "-o", "OUT", "--retries", "-1"],
    ["fetch", URL_OK, "-o", "OUT", "--retries", "lots"],
    ["run", "-j", "0", "--", "true"],
    ["run", "--retries", "x", "--", "true"],
    ["demo", "--section", "99"],
    ["demo", "--section", "two"],
  ],
  "bad ports and hosts": [
    ["echo", "--port", "65536"],
    ["echo", "--port", "-1"],
    ["echo", "--port", "http"],
    ["echo", "--port", "80.5"],
    ["echo", "--host", ""],
  ],
  "bad URLs for fetch": [
    ["fetch", "not a url", "-o", "OUT"],
    ["fetch", "ftp://127.0.0.1/file", "-o", "OUT"],
    ["fetch", "file:///etc/passwd", "-o", "OUT"],
    ["fetch", "http://", "-o", "OUT"],
    ["fetch", "127.0.0.1:8080/x", "-o", "OUT"],
  ],
};

void describe("bad input through the CLI", () => {
  for (const [group, list] of Object.entries(cases)) {
    void test(`${group}: one line on stderr, exit code 2, nothing written`, () =>
      withoutLeaks(async () => {
        const failures: string[] = [];
        for (const template of list) {
          const cwd = mkdtempSync(join(tmpdir(), "taskio-bad-cwd-"));
          const out = mkdtempSync(join(tmpdir(), "taskio-bad-out-"));
          try {
            const argv = template.map((arg) => (arg === "OUT" ? out : arg));
            // A fake terminal whose working directory is a fresh, empty directory.
            const base = fakeIO();
            const view = { ...base, cwd };
            try {
              const code = await runMain(argv, view);
              const label = JSON.stringify(template);
              const err = base.err();
              assert.equal(code, 2, `${label}: exit code ${code}, stderr ${JSON.stringify(err)}`);
              assert.ok(err.endsWith("\n"), `${label}: stderr ends with a newline: ${JSON.stringify(err)}`);
              assert.equal(err.trimEnd().split("\n").length, 1, `${label}: one line on stderr: ${JSON.stringify(err)}`);
              assert.ok(err.trim().length > 10, `${label}: a readable message`);
              assert.doesNotMatch(err, /^\s+at /m, `${label}: no stack trace`);
              assert.equal(base.out(), "", `${label}: nothing on stdout`);
              assert.deepEqual(readdirSync(out), [], `${label}: nothing written to the output directory`);
              assert.deepEqual(readdirSync(cwd), [], `${label}: nothing written to the working directory`);
            } catch (error) {
              failures.push((error as Error).message);
            }
          } finally {
            rmSync(cwd, { recursive: true, force: true });
            rmSync(out, { recursive: true, force: true });
          }
        }
        assert.deepEqual(failures, []);
      }),
    );
  }
});
