/**
 * Reliability: a server under 1,000 concurrent connections keeps serving; misbehaving clients
 * (silent, garbage, reset mid-stream) affect no other connection; nothing leaks after close.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allTasks, gather, run, setExceptionHandler, type ExceptionContext } from "../../src/index.js";
import { openConnection, startServer } from "../../src/streams/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { lineEcho, rawConnect } from "../_helpers/net.js";
import { until } from "./_transports.js";

const str = (data: Uint8Array): string => Buffer.from(data).toString();


void describe("server reliability", () => {
  void test("1,000 concurrent connections are all served, then nothing is left", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const server = await startServer(lineEcho, "127.0.0.1", 0, { backlog: 2048 });
        const port = server.port!;
        const count = 1000;
        const conns = await gather(
          ...Array.from({ length: count }, () => () => openConnection("127.0.0.1", port)),
        );
        await until(() => server.connectionCount === count, "all connections accepted");
        // Every connection talks at once, twice.
        const answers = await gather(
          ...conns.map((conn, i) => async () => {
            conn.writer.write(`hello ${i}\n`);
            const first = str(await conn.reader.readLine());
            conn.writer.write(`bye ${i}\n`);
            const second = str(await conn.reader.readLine());
            return first + second;
          }),
        );
        answers.forEach((answer, i) => assert.equal(answer, `hello ${i}\nbye ${i}\n`));
        await gather(...conns.map((conn) => () => conn[Symbol.asyncDispose]()));
        await until(() => server.connectionCount === 0, "all handlers done");
        server.close();
        await server.waitClosed();
        assert.equal(allTasks().size, 1, "only main is left");
      }),
    );
  });

  void test("silent, garbage and resetting clients do not disturb a good client", async () => {
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    try {
      await withoutLeaks(() =>
        run(async () => {
          await using server = await startServer(lineEcho, "127.0.0.1", 0, { limit: 1024 });
          const port = server.port!;
          await using good = await openConnection("127.0.0.1", port);
          const roundTrip = async (text: string): Promise<void> => {
            good.writer.write(`${text}\n`);
            assert.equal(str(await good.reader.readLine()), `${text}\n`);
          };
          await roundTrip("before");

          // A client that connects and says nothing.
          const silent = await rawConnect(port);
          // A client that sends binary garbage with no newline, far beyond the limit.
          const garbage = await rawConnect(port);
          garbage.on("error", () => {});
          garbage.write(Buffer.alloc(64 * 1024, 0xff));
          // A client that sends half a line, then resets the connection.
          const resetter = await rawConnect(port);
          resetter.write("half a li");
          await until(() => server.connectionCount === 4, "4 connections");
          await roundTrip("during");
          resetter.resetAndDestroy();

          // The garbage client's handler fails on the limit and its connection is closed.
          await until(() => garbage.closed || garbage.readableEnded, "garbage connection closed");
          await until(() => server.connectionCount === 2, "garbage and resetter gone");
          await roundTrip("after");
          assert.equal(server.isServing(), true);

          const messages = reports.map((report) => (report.error as Error).name);
          assert.ok(messages.includes("LimitOverrunError"), `reports: ${messages.join(", ")}`);
          // A reset is a BrokenResourceError in that handler, reported, and nothing else.
          assert.ok(messages.every((name) => name === "LimitOverrunError" || name === "BrokenResourceError"));

          silent.destroy();
          garbage.destroy();
          await until(() => server.connectionCount === 1, "only the good client left");
          await roundTrip("last");
        }),
      );
    } finally {
      setExceptionHandler(previous);
    }
  });

  void test("clients that connect and reset at once leave nothing behind; the server still closes", async () => {
    const reports: ExceptionContext[] = [];
    const previous = setExceptionHandler((context) => reports.push(context));
    await withoutLeaks(() =>
      run(async () => {
        const server = await startServer(lineEcho, "127.0.0.1", 0);
        const port = server.port!;
        for (let i = 0; i < 50; i++) {
          const socket = await rawConnect(port);
          socket.on("error", () => {});
          socket.resetAndDestroy();
        }
        await using good = await openConnection("127.0.0.1", port);
        good.writer.write("still here\n");
        assert.equal(str(await good.reader.readLine()), "still here\n");
        await until(() => server.connectionCount === 1, "the reset connections gone");
        good.close();
        server.close();
        await server.waitClosed();
        assert.equal(server.connectionCount, 0);
      }),
    ).finally(() => setExceptionHandler(previous));
    // A reset is the peer's doing: each handler that saw one reported a BrokenResourceError.
    assert.ok(reports.every((report) => (report.error as Error).name === "BrokenResourceError"));
  });
});
