import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { runExample } from "./_run.js";

const serverScript = fileURLToPath(new URL("../../examples/06-echo-server.js", import.meta.url));

/** Waits until `condition` holds (a handshake on state, not a timed sleep); gives up after 20 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (let turn = 0; ; turn++) {
    if (condition()) return;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    if (turn < 1000) await new Promise((resolve) => setImmediate(resolve));
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

void describe("examples: section 6 (streams)", () => {
  void test("06-echo-server serves 06-echo-client, logs like the seed, and stops on Ctrl-C", async () => {
    const server = spawn(process.execPath, [serverScript, "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    server.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    server.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    try {
      await until(() => out.includes("Serving on") || server.exitCode !== null, "the server to listen");
      const match = /^Serving on \('127\.0\.0\.1', (\d+)\)\n/.exec(out);
      assert.ok(match, `${out}\n${err}`);
      const port = match[1]!;

      const client = await runExample("06-echo-client", [port, "Hello World!", "Apa kabar?"]);
      assert.equal(client.code, 0, client.stderr);
      assert.equal(
        client.stdout,
        "Send: 'Hello World!'\nReceived: 'Hello World!'\nClose the connection\n" +
          "Send: 'Apa kabar?'\nReceived: 'Apa kabar?'\nClose the connection\n",
      );
      await until(() => out.split("Connection closed").length === 3, "both disconnections logged");
      const lines = out.trimEnd().split("\n");
      assert.equal(lines.length, 5, out);
      // Each client's "from" comes before its "closed" (the two clients may interleave).
      const events = lines.slice(1).map((line) => {
        const match = /^Connection (from|closed) \('127\.0\.0\.1', (\d+)\)$/.exec(line);
        assert.ok(match, line);
        return { kind: match[1]!, port: match[2]! };
      });
      const ports = new Set(events.map((event) => event.port));
      assert.equal(ports.size, 2);
      for (const port of ports) {
        const kinds = events.filter((event) => event.port === port).map((event) => event.kind);
        assert.deepEqual(kinds, ["from", "closed"]);
      }
    } finally {
      server.kill("SIGINT");
    }
    // Ctrl-C cancels main: the server closes and the process exits like Python's would (130).
    assert.equal(await exited, 130, err);
    assert.equal(err, "");
  });
});
