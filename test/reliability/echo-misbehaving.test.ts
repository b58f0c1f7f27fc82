/**
 * Reliability: a taskio TCP line-echo server hit by 1,000 clients at once, a random tenth of which
 * misbehave (connect and stay silent, slowloris: dribble a line one byte at a time without ever
 * ending it, send garbage with no newline beyond the line limit, reset abruptly mid-stream). Every well-behaved client gets its exact echoes; the server then closes
 * cleanly and nothing is left.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import { gather, run, setExceptionHandler, type ExceptionContext } from "../../src/index.js";
import { openConnection, startServer } from "../../src/streams/index.js";
import { until, withoutLeaks } from "../_helpers/leaks.js";
import { lineEcho, rawConnect } from "../_helpers/net.js";

const CLIENTS = 1000;
const LIMIT = 4096;

type Role = "good" | "silent" | "slowloris" | "garbage" | "reset";

for (const seed of [1, 2, 3]) {
  void test(`echo server, ${CLIENTS} clients, a random tenth misbehaving (seed ${seed})`, async () => {
    // Which clients misbehave, and how: random but reproducible.
    const misbehaving: Role[] = ["silent", "slowloris", "garbage", "reset"];
    const roles = fc
      .sample(fc.integer({ min: 0, max: 39 }), { numRuns: CLIENTS, seed })
      .map((n, i): Role => (i === 0 || n < 36 ? "good" : misbehaving[n - 36]!));
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    try {
      await withoutLeaks(() =>
        run(async () => {
          const server = await startServer(lineEcho, "127.0.0.1", 0, { limit: LIMIT, backlog: 1024 });
          const port = server.port!;
          const rawSockets: Socket[] = [];
          try {
            const results = await gather(
              ...roles.map((role, i) => async (): Promise<string> => {
                if (role === "good") {
                  await using conn = await openConnection("127.0.0.1", port);
                  let echoed = "";
                  for (let n = 0; n < 3; n++) {
                    const text = `client ${i} line ${n} ${"x".repeat((i * 7 + n) % 200)}\n`;
                    conn.writer.write(text);
                    const line = Buffer.from(await conn.reader.readLine()).toString();
                    assert.equal(line, text);
                    echoed += line;
                  }
                  return echoed;
                }
                const socket = await rawConnect(port);
                socket.on("error", () => {});
                rawSockets.push(socket);
                if (role === "garbage") {
                  socket.write(Buffer.alloc(LIMIT * 4, 0xfe));
                  await until(() => socket.closed || socket.readableEnded, `garbage client ${i} cut off`, 20_000);
                } else if (role === "slowloris") {
                  // Holds its connection with a line that never ends, one byte at a time.
                  for (let b = 0; b < 30 && !socket.destroyed; b++) {
                    socket.write("s");
                    await new Promise((resolve) => setTimeout(resolve, 3));
                  }
                } else if (role === "reset") {
                  socket.write("half a li");
                  await new Promise((resolve) => setImmediate(resolve));
                  socket.resetAndDestroy();
                }
                return role;
              }),
            );
            const good = roles.filter((role) => role === "good").length;
            assert.equal(results.filter((r) => r.startsWith("client ")).length, good);
            assert.ok(good >= CLIENTS * 0.8, `${good} good clients`);
            assert.equal(server.isServing(), true);
          } finally {
            // The silent ones are still connected: the server's close must not wait on them forever.
            for (const socket of rawSockets) socket.destroy();
            server.close();
            await server.waitClosed();
          }
          assert.equal(server.connectionCount, 0);
        }),
      );
    } finally {
      setExceptionHandler(previous);
    }
    for (const report of reports) {
      const name = (report.error as Error).name;
      assert.ok(["LimitOverrunError", "BrokenResourceError"].includes(name), `unexpected report: ${name}`);
    }
    if (roles.includes("garbage")) {
      assert.ok(reports.some((r) => (r.error as Error).name === "LimitOverrunError"));
    }
  });
}
