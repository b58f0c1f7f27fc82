import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const bin = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));

test("the real binary runs the whole tour: every section, exit code 0, nothing left in its temp folder", async () => {
  // A private TMPDIR: whatever the tour creates there must be gone when it exits.
  const tmp = mkdtempSync(join(tmpdir(), "taskio-demo-tour-"));
  try {
    const child = spawn(process.execPath, [bin, "demo"], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 0, err + out);
    assert.equal(err, "");
    const headers = [...out.matchAll(/^== (\d+)\. .+ ==$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(headers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    assert.equal(out.match(/^evidence: /gm)?.length !== undefined && out.match(/^evidence: /gm)!.length >= 13, true);
    assert.doesNotMatch(out, /FAILED/);
    assert.match(out, /timeline:\n {2}A \|#+\| 1\.\d\ds/, "ASCII timeline when piped");
    const total = /tour finished in (\d+\.\d\d)s: all 13 ran/.exec(out);
    assert.ok(total !== null, out.slice(-300));
    assert.deepEqual(readdirSync(tmp), [], "temporary folder removed");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("Ctrl-C in the middle of the tour stops it cleanly: exit code 130, temp folder removed", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "taskio-demo-sigint-"));
  try {
    const child = spawn(process.execPath, [bin, "demo"], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      // Section 5 has worker threads blocked in Atomics.wait: the hardest place to stop.
      if (!sent && out.includes("== 5. ")) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("close", (c, s) => resolve([c, s])),
    );
    assert.equal(sent, true, out);
    assert.deepEqual([code, signal], [130, null], err);
    assert.match(err, /^taskio: demo interrupted in section 5; stopping its tasks and servers\n$/);
    assert.doesNotMatch(out, /== 6\. /);
    assert.deepEqual(readdirSync(tmp), [], "temporary folder removed");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("the executor section works from an installed copy of the package (worker modules found by URL)", async () => {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const app = mkdtempSync(join(tmpdir(), "taskio-demo-installed-"));
  try {
    const pkg = join(app, "node_modules", "taskio");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    cpSync(join(root, "package.json"), join(pkg, "package.json"));
    cpSync(join(root, "dist", "src"), join(pkg, "dist", "src"), { recursive: true });
    const child = spawn(process.execPath, [join(pkg, "dist", "src", "cli", "bin.js"), "demo", "--section", "5", "--json"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 0, err + out);
    const result = JSON.parse(out) as { ok: boolean; evidence: { results: string[]; primes: number } };
    assert.equal(result.ok, true);
    assert.deepEqual(result.evidence.results, ["slept 1s", "slept 2s"]);
    assert.equal(result.evidence.primes, 25997);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test("`taskio demo | head`: when stdout closes, the tour stops quietly and cleans up", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "taskio-demo-epipe-"));
  try {
    const child = spawn(process.execPath, [bin, "demo"], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      // Like `head`: read until section 3 (the temporary folder exists by then), then go away.
      if (out.includes("== 3. ")) child.stdout.destroy();
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 0, err);
    assert.equal(err, "", "no EPIPE stack trace");
    assert.doesNotMatch(out, /tour finished/);
    assert.deepEqual(readdirSync(tmp), [], "temporary folder removed");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
