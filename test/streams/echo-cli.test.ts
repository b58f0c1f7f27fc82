import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { runMain } from "../../src/cli/main.js";
import { openConnection } from "../../src/streams/index.js";
import { fakeIO } from "../cli/_io.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { until } from "./_transports.js";

const bin = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));
const str = (data: Uint8Array): string => Buffer.from(data).toString();

async function echoThrough(port: number, text: string): Promise<string> {
  await using conn = await openConnection("127.0.0.1", port);
  conn.writer.write(text);
  await conn.writer.drain();
  const answer = await conn.reader.readExactly(Buffer.byteLength(text));
  return str(answer);
}

void describe("taskio echo", () => {
  void test("serves, logs connects and disconnects like the seed, and closes cleanly on Ctrl-C", async () => {
    await withoutLeaks(async () => {
      const io = fakeIO();
      const exit = runMain(["echo", "--port", "0"], io);
      await until(() => io.out().includes("Serving on"), "Serving on");
      const match = /^Serving on \('127\.0\.0\.1', (\d+)\)\n/.exec(io.out());
      assert.ok(match, io.out());
      const port = Number(match[1]);
      assert.equal(await echoThrough(port, "Hello, echo!"), "Hello, echo!");
      await until(() => io.out().includes("Connection closed"), "Connection closed");
      // A client still connected at Ctrl-C is closed by the server.
      const idle = await openConnection("127.0.0.1", port);
      await until(() => io.out().split("Connection from").length === 3, "second connection");
      process.emit("SIGINT");
      assert.equal(await exit, 130);
      assert.equal((await idle.reader.read()).length, 0);
      await idle[Symbol.asyncDispose]();
      const lines = io.out().trimEnd().split("\n");
      assert.match(lines[1]!, /^Connection from \('127\.0\.0\.1', \d+\)$/);
      assert.match(lines[2]!, /^Connection closed \('127\.0\.0\.1', \d+\)$/);
      assert.match(lines[3]!, /^Connection from \('127\.0\.0\.1', \d+\)$/);
      assert.match(lines[4]!, /^Connection closed \('127\.0\.0\.1', \d+\) \(server shutting down\)$/);
      assert.equal(lines[5], "Server closed");
      assert.equal(io.err(), "");
    });
  });

  void test("a bad port is one error line and exit code 2", async () => {
    for (const port of ["abc", "70000", "-1", "8.5", ""]) {
      const io = fakeIO();
      assert.equal(await runMain(["echo", `--port=${port}`], io), 2);
      assert.equal(io.err(), `taskio: Expected --port to be an integer from 0 to 65535: received "${port}"\n`);
    }
    for (const args of [["--bogus"], ["--port", "-1"], ["--port"]]) {
      const io = fakeIO();
      assert.equal(await runMain(["echo", ...args], io), 2);
      assert.equal(io.err().split("\n").length, 2, `one line: ${io.err()}`);
    }
  });

  void test("a port in use is one error line and exit code 1", async () => {
    await withoutLeaks(async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as { port: number }).port;
      const io = fakeIO();
      assert.equal(await runMain(["echo", "--port", String(port)], io), 1);
      assert.equal(
        io.err(),
        `taskio: Could not listen on 127.0.0.1:${port}: EADDRINUSE (is another server using that port? Try --port 0)\n`,
      );
      await new Promise((resolve) => blocker.close(resolve));
    });
  });

  void test("the real binary: echo, then Ctrl-C exits 130 after closing", async () => {
    const child = spawn(process.execPath, [bin, "echo", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(() => out.includes("Serving on") || child.exitCode !== null, "Serving on");
    const port = Number(/\('127\.0\.0\.1', (\d+)\)/.exec(out)?.[1]);
    assert.equal(await echoThrough(port, "over the wire"), "over the wire");
    await until(() => out.includes("Connection closed"), "Connection closed");
    child.kill("SIGINT");
    assert.equal(await exited, 130, err);
    assert.match(out, /Server closed\n$/);
    assert.equal(err, "");
  });
});
