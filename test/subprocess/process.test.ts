import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, test } from "node:test";
import { CancelledError, LimitOverrunError, createTask, gather, run, sleep } from "../../src/index.js";
import {
  DEVNULL,
  PIPE,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
  type Process,
} from "../../src/subprocess/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

const NODE = process.execPath;

/** True while `pid` runs (a zombie is dead: it only waits to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
}

async function readLineText(proc: Process): Promise<string> {
  return (await proc.stdout!.readLine()).toString().trimEnd();
}

void describe("createSubprocessExec", () => {
  void test("communicate(): stdout, stderr and the exit code", () =>
    withoutLeaks(async () => {
      const proc = await createSubprocessExec("sh", ["-c", "echo out; echo err >&2; exit 3"], { stdout: PIPE, stderr: PIPE });
      assert.ok(proc.pid > 0);
      assert.equal(proc.returncode, null);
      const { stdout, stderr } = await proc.communicate();
      assert.equal(stdout?.toString(), "out\n");
      assert.equal(stderr?.toString(), "err\n");
      assert.equal(proc.returncode, 3);
      assert.equal(await proc.wait(), 3);
      assert.match(String(proc), /^<Process \d+ "sh" returncode=3>$/);
    }));

  void test("communicate(input) with large outputs on both pipes does not deadlock", () =>
    withoutLeaks(async () => {
      const script = `
        let input = "";
        process.stdin.on("data", (d) => (input += d));
        process.stdin.on("end", () => {
          const chunk = "x".repeat(1023) + "\\n";
          for (let i = 0; i < 4096; i++) { process.stdout.write(chunk); process.stderr.write(chunk); }
          process.stdout.write(input.toUpperCase());
        });`;
      const proc = await createSubprocessExec(NODE, ["-e", script], { stdin: PIPE, stdout: PIPE, stderr: PIPE });
      const input = "hello ".repeat(200_000);
      const { stdout, stderr } = await proc.communicate(input);
      assert.equal(stderr?.length, 4096 * 1024);
      assert.equal(stdout?.length, 4096 * 1024 + input.length);
      assert.ok(stdout?.subarray(-12).toString() === "HELLO HELLO ");
      assert.equal(proc.returncode, 0);
    }));

  void test("the seed's pattern: both pipes read line by line, in real time", () =>
    withoutLeaks(async () => {
      await run(async () => {
        const script = `
          const rl = require("readline").createInterface({ input: process.stdin });
          console.log("ready"); console.error("warming up");
          rl.on("line", (line) => { if (line === "quit") { console.log("bye"); process.exit(0); } console.log("echo " + line); });`;
        await using proc = await createSubprocessExec(NODE, ["-e", script], { stdin: PIPE, stdout: PIPE, stderr: PIPE });
        assert.equal(await readLineText(proc), "ready"); // before the child exits: real time
        assert.equal((await proc.stderr!.readLine()).toString(), "warming up\n");
        proc.stdin!.write("one\n");
        assert.equal(await readLineText(proc), "echo one");
        proc.stdin!.write("quit\n");
        const seen: string[] = [];
        const readStream = async (stream: NonNullable<Process["stdout"]>, name: string): Promise<void> => {
          for await (const line of stream) seen.push(`[${name}] ${line.toString().trimEnd()}`);
        };
        await gather(
          () => readStream(proc.stdout!, "stdout"),
          () => readStream(proc.stderr!, "stderr"),
        );
        assert.deepEqual(seen, ["[stdout] bye"]);
        assert.equal(await proc.wait(), 0);
      });
    }));

  void test("a child that exits early without reading its input", () =>
    withoutLeaks(async () => {
      const proc = await createSubprocessExec("sh", ["-c", "echo early; exit 0"], { stdin: PIPE, stdout: PIPE });
      const { stdout } = await proc.communicate("x".repeat(4 * 1024 * 1024));
      assert.equal(stdout?.toString(), "early\n");
      assert.equal(proc.returncode, 0);
    }));

  void test("stderr: STDOUT merges both into one pipe in the child's order", () =>
    withoutLeaks(async () => {
      const proc = await createSubprocessExec("sh", ["-c", "echo 1; echo 2 >&2; echo 3; echo 4 >&2"], { stdout: PIPE, stderr: STDOUT });
      assert.equal(proc.stderr, null);
      const { stdout } = await proc.communicate();
      assert.equal(stdout?.toString(), "1\n2\n3\n4\n");
      const shell = await createSubprocessShell("echo a; echo b >&2", { stdout: PIPE, stderr: STDOUT });
      assert.equal((await shell.communicate()).stdout?.toString(), "a\nb\n");
    }));

  void test("cwd, env, DEVNULL, and the reader limit", () =>
    withoutLeaks(async () => {
      const proc = await createSubprocessExec("sh", ["-c", 'pwd; echo "$GREETING"; cat'], {
        stdin: DEVNULL,
        stdout: PIPE,
        cwd: tmpdir(),
        env: { GREETING: "salam", PATH: process.env["PATH"] },
      });
      const { stdout } = await proc.communicate();
      assert.equal(stdout?.toString(), `${tmpdir()}\nsalam\n`);
      const long = await createSubprocessExec("sh", ["-c", "head -c 300 /dev/zero | tr '\\0' a; echo; echo short"], { stdout: PIPE, limit: 100 });
      await assert.rejects(long.stdout!.readLine(), LimitOverrunError);
      await long.wait();
      await long[Symbol.asyncDispose]();
    }));

  void test("a missing program, a missing cwd, bad options: clear errors", async () => {
    await assert.rejects(createSubprocessExec("no-such-program-xyz", ["a"]), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, "ENOENT");
      assert.equal(error.message, 'Cannot run "no-such-program-xyz": no such program (ENOENT): check its name and PATH');
      return true;
    });
    await assert.rejects(createSubprocessExec("no-such-program-xyz", [], { stderr: STDOUT }), /no such program/);
    await assert.rejects(createSubprocessExec("ls", [], { cwd: "/no/such/dir" }), /working directory does not exist: '\/no\/such\/dir'/);
    await assert.rejects(createSubprocessExec("/etc/passwd"), (error: NodeJS.ErrnoException) => error.code === "EACCES" && error.message.includes("/etc/passwd"));
    await assert.rejects(createSubprocessExec(""), TypeError);
    await assert.rejects(createSubprocessExec("ls", [1 as unknown as string]), /Expected 'args'/);
    await assert.rejects(createSubprocessExec("ls", [], { stdout: "file" as "pipe" }), /Expected 'stdout' to be PIPE, DEVNULL, INHERIT or a file descriptor/);
    await assert.rejects(createSubprocessExec("ls", [], { limit: 0 }), RangeError);
    const proc = await createSubprocessExec("true");
    await assert.rejects(proc.communicate("input"), /Expected 'stdin' to be PIPE/);
    await proc.wait();
  });
});

void describe("stopping processes", () => {
  void test("kill() and terminate(): negative return codes", () =>
    withoutLeaks(async () => {
      const a = await createSubprocessExec("sleep", ["100"]);
      a.kill();
      assert.equal(await a.wait(), -9);
      const b = await createSubprocessExec("sleep", ["100"]);
      b.terminate();
      assert.equal(await b.wait(), -15);
      b.kill(); // after exit: nothing happens
      b.sendSignal("SIGTERM");
    }));

  void test("cancelling wait() stops the tree, reaps the child, and kills the grandchild", () =>
    withoutLeaks(async () => {
      await run(async () => {
        await using proc = await createSubprocessShell("sleep 1000 & echo $!; wait", { stdout: PIPE });
        const grandchild = Number(await readLineText(proc));
        assert.ok(running(grandchild));
        const waiter = createTask(() => proc.wait());
        await sleep(0);
        waiter.cancel();
        await assert.rejects(waiter, CancelledError);
        assert.equal(proc.returncode, -15); // reaped before the cancellation was delivered
        assert.equal(running(proc.pid), false);
        assert.equal(running(grandchild), false);
      });
    }));

  void test("a child that ignores SIGTERM is killed after the grace period", () =>
    withoutLeaks(async () => {
      await run(async () => {
        await using proc = await createSubprocessExec("sh", ["-c", "trap '' TERM; echo armed; while :; do sleep 0.05; done"], {
          stdout: PIPE,
          gracePeriod: 200,
        });
        assert.equal(await readLineText(proc), "armed");
        const waiter = createTask(() => proc.wait());
        await sleep(0);
        waiter.cancel();
        await assert.rejects(waiter, CancelledError);
        assert.equal(proc.returncode, -9);
      });
    }));

  void test("a grandchild that ignores SIGTERM after its parent exited is killed too", () =>
    withoutLeaks(async () => {
      await run(async () => {
        const script = "(trap '' TERM; while :; do sleep 0.05; done) & echo $!; wait";
        await using proc = await createSubprocessShell(script, { stdout: PIPE, gracePeriod: 200 });
        const grandchild = Number(await readLineText(proc));
        const waiter = createTask(() => proc.communicate());
        await sleep(0);
        waiter.cancel();
        await assert.rejects(waiter, CancelledError);
        assert.equal(running(grandchild), false);
      });
    }));

  void test("await using kills and reaps a running process and closes its pipes", () =>
    withoutLeaks(async () => {
      let proc: Process | undefined;
      {
        await using p = await createSubprocessExec("sh", ["-c", "echo hi; sleep 1000"], { stdin: PIPE, stdout: PIPE, stderr: PIPE });
        proc = p;
        assert.equal(await readLineText(p), "hi");
      }
      assert.equal(proc.returncode, -9);
      assert.equal(running(proc.pid), false);
    }));

  void test("the signal option stops the tree when aborted", () =>
    withoutLeaks(async () => {
      const controller = new AbortController();
      const proc = await createSubprocessExec("sleep", ["1000"], { signal: controller.signal });
      controller.abort();
      assert.equal(await proc.wait(), -15);
      await proc[Symbol.asyncDispose]();
      const aborted = AbortSignal.abort(new Error("too late"));
      await assert.rejects(createSubprocessExec("true", [], { signal: aborted }), /too late/);
    }));

  void test("run() disposes of the processes its tasks left running", () =>
    withoutLeaks(async () => {
      let pid = 0;
      await run(async () => {
        const proc = await createSubprocessExec("sleep", ["1000"], { stdout: PIPE });
        pid = proc.pid;
      });
      await until(() => !running(pid), "the leftover process to die");
    }));

  void test("cancelling communicate() keeps what was buffered readable after the stop", () =>
    withoutLeaks(async () => {
      await run(async () => {
        await using proc = await createSubprocessShell("echo partial; sleep 1000", { stdout: PIPE });
        assert.equal(await readLineText(proc), "partial");
        const talk = createTask(() => proc.communicate());
        await sleep(0);
        talk.cancel();
        await assert.rejects(talk, CancelledError);
        assert.equal(proc.returncode, -15);
        assert.equal((await proc.stdout!.read()).length, 0);
      });
    }));
});
