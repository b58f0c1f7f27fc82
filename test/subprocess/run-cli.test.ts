import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runMain } from "../../src/cli/main.js";
import { fakeIO } from "../cli/_io.js";
import { withoutLeaks } from "../_helpers/leaks.js";

const BIN = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

void describe("taskio run", () => {
  void test("streams prefixed lines live and prints a summary; exit 0 when all succeed", () =>
    withoutLeaks(async () => {
      const io = fakeIO();
      const code = await runMain(["run", "-j", "1", "--", "echo one; echo two >&2", "printf 'a\\nb'"], io);
      assert.equal(code, 0, io.err());
      const out = io.out();
      assert.ok(out.startsWith("[1:echo one; echo two >&2] [stdout] one\n") || out.includes("[1:echo one; echo two >&2] [stdout] one\n"));
      assert.ok(out.includes("[1:echo one; echo two >&2] [stderr] two\n"));
      assert.ok(out.indexOf("[2:printf 'a\\nb'] [stdout] a\n[2:printf 'a\\nb'] [stdout] b\n") > out.indexOf("[1:"));
      assert.match(out, /Summary: 2 commands, 2 succeeded, 0 failed\n/);
    }));

  void test("a failing command makes the exit code 1; retries are reported", () =>
    withoutLeaks(async () => {
      const io = fakeIO();
      const code = await runMain(["run", "--retries", "2", "--", "echo try; exit 4", "true"], io);
      assert.equal(code, 1);
      assert.equal(io.out().split("[stdout] try").length - 1, 3);
      assert.match(io.err(), /attempt 1 failed \(exit code 4\): retrying in 100ms/);
      assert.match(io.out(), /FAILED \(exit code 4\)\s+\d+\.\d+s, 3 attempts {2}echo try; exit 4/);
      assert.match(io.out(), /1 succeeded, 1 failed/);
    }));

  void test("--timeout stops the process tree of a slow command", () =>
    withoutLeaks(async () => {
      const io = fakeIO();
      const code = await runMain(["run", "--timeout", "300ms", "--", "sleep 30 & echo $!; wait"], io);
      assert.equal(code, 1);
      const grandchild = Number(/\[stdout\] (\d+)/.exec(io.out())?.[1]);
      assert.ok(grandchild > 0);
      assert.equal(running(grandchild), false);
      assert.match(io.out(), /TIMED OUT/);
    }));

  void test("a line longer than 1 MiB is printed once, cut; CRLF and a last line without newline", () =>
    withoutLeaks(async () => {
      const io = fakeIO();
      const command = "head -c 3000000 /dev/zero | tr '\\0' a; echo; printf 'crlf\\r\\nlast'";
      const code = await runMain(["run", "--", command], io);
      assert.equal(code, 0, io.err());
      const lines = io.out().split("\n");
      const prefix = `[${command.slice(0, 23)}…] [stdout] `;
      assert.equal(lines[0], `${prefix}${"a".repeat(1024 * 1024)}… <line cut at 1048576 bytes>`);
      assert.equal(lines[1], `${prefix}crlf`);
      assert.equal(lines[2], `${prefix}last`);
    }));

  void test("-j limits the concurrency", () =>
    withoutLeaks(async () => {
      const io = fakeIO();
      // Each command appends "start"/"end" to a shared log through the shell; with -j 1 they never overlap.
      const code = await runMain(["run", "-j", "1", "--json", "--", "echo a", "echo b", "echo c"], io);
      assert.equal(code, 0);
      const records = io.out().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
      const order = records.filter((r) => "stream" in r).map((r) => r["line"]);
      assert.deepEqual(order, ["a", "b", "c"]);
      assert.deepEqual(records.at(-1), { summary: { commands: 3, succeeded: 3, failed: 0, interrupted: false } });
    }));

  void test("commands from stdin, comments skipped", () =>
    withoutLeaks(async () => {
      const io = fakeIO({ stdin: "echo x\n# not a command\n\necho y\n" });
      const code = await runMain(["run", "-j", "1"], io);
      assert.equal(code, 0);
      assert.match(io.out(), /\[1:echo x\] \[stdout\] x\n\[2:echo y\] \[stdout\] y\n/);
    }));

  void test("usage errors: one line, exit code 2", async () => {
    for (const args of [["-j", "0", "--", "true"], ["--timeout", "soon", "--", "true"], ["--retries", "-1", "--", "true"], ["--bogus"]]) {
      const io = fakeIO();
      assert.equal(await runMain(["run", ...args], io), 2, args.join(" "));
      assert.match(io.err(), /^taskio: .+\n$/);
    }
    const empty = fakeIO({ stdin: "\n# nothing\n" });
    assert.equal(await runMain(["run"], empty), 2);
  });

  void test("Ctrl-C stops every child (also one that ignores SIGTERM) and exits 130", () =>
    withoutLeaks(async () => {
      const child = spawn(process.execPath, [BIN, "run", "--", "sleep 100 & echo $!; wait", "trap '' TERM; echo $$; sleep 100"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      const pids: number[] = [];
      await new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const found = [...out.matchAll(/\[stdout\] (\d+)/g)].map((m) => Number(m[1]));
          if (found.length === 2 && pids.length === 0) {
            pids.push(...found);
            resolve();
          }
        });
      });
      child.kill("SIGINT");
      const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      assert.equal(code, 130, out);
      assert.match(out, /0 succeeded, 0 failed, 2 stopped \(interrupted\)/);
      for (const pid of pids) assert.equal(running(pid), false, `pid ${pid} still runs`);
    }));
});
