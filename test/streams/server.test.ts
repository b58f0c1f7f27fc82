import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import {
  BrokenResourceError,
  CancelledError,
  ClosedResourceError,
  InvalidStateError,
  createTask,
  currentTask,
  dumpTasks,
  run,
  setExceptionHandler,
  type ExceptionContext,
} from "../../src/index.js";
import {
  Connection,
  openConnection,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../src/streams/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { until } from "./_transports.js";

const str = (data: Uint8Array): string => Buffer.from(data).toString();

async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (;;) {
    const data = await reader.read(1024);
    if (data.length === 0) break;
    writer.write(data);
    await writer.drain();
  }
}

async function echoOnce(port: number, text: string): Promise<string> {
  const [reader, writer] = await openConnection("127.0.0.1", port);
  try {
    writer.write(`${text}\n`);
    await writer.drain();
    return str(await reader.readLine());
  } finally {
    writer.close();
    await writer.waitClosed();
  }
}

/** Collects reports sent to the exception handler while `fn` runs. */
async function collectReports<T>(fn: (reports: ExceptionContext[]) => Promise<T>): Promise<T> {
  const reports: ExceptionContext[] = [];
  const previous = setExceptionHandler((context) => reports.push(context));
  try {
    return await fn(reports);
  } finally {
    setExceptionHandler(previous);
  }
}

void describe("startServer / openConnection", () => {
  void test("the seed's echo server: echo, peername/sockname, sockets, destructuring", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const peers: unknown[] = [];
        const server = await startServer(async (reader, writer) => {
          peers.push(writer.getExtraInfo("peername"));
          await handleEcho(reader, writer);
        }, "127.0.0.1", 0);
        const address = server.sockets[0]!.getsockname();
        assert.ok(Array.isArray(address));
        assert.equal(address[0], "127.0.0.1");
        assert.equal(address[1], server.port);
        const conn = await openConnection("127.0.0.1", server.port!);
        assert.ok(conn instanceof Connection);
        const [reader, writer] = conn;
        assert.equal(reader, conn.reader);
        assert.equal(writer, conn[1]);
        const sockname = writer.getExtraInfo<readonly [string, number]>("sockname")!;
        writer.write("Hello, taskio!\n");
        await writer.drain();
        assert.equal(str(await reader.readLine()), "Hello, taskio!\n");
        await until(() => peers.length === 1, "handler");
        assert.deepEqual(peers[0], ["127.0.0.1", sockname[1]]);
        assert.deepEqual(writer.getExtraInfo("peername"), ["127.0.0.1", server.port]);
        assert.equal(writer.getExtraInfo("nope", 42), 42);
        await conn[Symbol.asyncDispose]();
        assert.equal(writer.isClosing(), true);
        await server[Symbol.asyncDispose]();
        assert.equal(server.isServing(), false);
        assert.deepEqual(server.sockets, []);
      }),
    );
  });

  void test("handlers are named child tasks of the task that started the server", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const main = currentTask()!;
        let handlerTask: ReturnType<typeof currentTask>;
        let reached!: () => void;
        const entered = new Promise<void>((resolve) => (reached = resolve));
        await using server = await startServer(
          async function handleThing(reader) {
            handlerTask = currentTask();
            reached();
            await reader.read(1);
          },
          "127.0.0.1",
          0,
        );
        await using conn = await openConnection("127.0.0.1", server.port!);
        await entered;
        const sockname = conn.writer.getExtraInfo<readonly [string, number]>("sockname")!;
        assert.equal(handlerTask!.name, `handleThing[127.0.0.1:${sockname[1]}]`);
        assert.equal(handlerTask!.parent, main);
        assert.ok(main.children().includes(handlerTask!));
        assert.equal(server.connectionCount, 1);
        conn.writer.write("x");
      }),
    );
  });

  void test("a failing handler is reported, its connection closed, and the server keeps serving", async () => {
    await collectReports((reports) =>
      withoutLeaks(() =>
        run(async () => {
          await using server = await startServer(async (reader, writer) => {
            const line = str(await reader.readLine());
            if (line.startsWith("boom")) throw new Error("handler exploded");
            writer.write(line);
            await writer.drain();
          }, "127.0.0.1", 0, { name: "picky" });
          await using bad = await openConnection("127.0.0.1", server.port!);
          await using good = await openConnection("127.0.0.1", server.port!);
          bad.writer.write("boom\n");
          // The failing connection is closed by the server: EOF.
          assert.equal((await bad.reader.read()).length, 0);
          assert.equal(reports.length, 1);
          assert.equal(reports[0]!.message, "Unhandled error in a connection handler");
          assert.match(reports[0]!.taskName!, /^picky\[127\.0\.0\.1:\d+\]$/);
          assert.equal((reports[0]!.error as Error).message, "handler exploded");
          good.writer.write("fine\n");
          assert.equal(str(await good.reader.readLine()), "fine\n");
          assert.equal(await echoOnce(server.port!, "again\n").catch(String), "again\n");
          assert.equal(server.isServing(), true);
        }),
      ),
    );
  });

  void test("close() cancels the handlers, runs their finally blocks, and waitClosed waits for them", async () => {
    await collectReports((reports) =>
      withoutLeaks(() =>
        run(async () => {
          const events: string[] = [];
          let started = 0;
          const server = await startServer(async (reader) => {
            started++;
            try {
              await reader.read(10);
            } catch (error) {
              events.push(error instanceof CancelledError ? "cancelled" : String(error));
              throw error;
            } finally {
              events.push("finally");
            }
          }, "127.0.0.1", 0);
          const a = await openConnection("127.0.0.1", server.port!);
          const b = await openConnection("127.0.0.1", server.port!);
          await until(() => started === 2, "two handlers");
          server.close();
          server.close();
          await server.waitClosed();
          assert.deepEqual(events, ["cancelled", "finally", "cancelled", "finally"]);
          assert.equal((await a.reader.read()).length, 0);
          assert.equal((await b.reader.read()).length, 0);
          await a[Symbol.asyncDispose]();
          await b[Symbol.asyncDispose]();
          assert.equal(reports.length, 0, "a cancelled handler is not an error");
          await assert.rejects(openConnection("127.0.0.1", server.port ?? 1), BrokenResourceError);
        }),
      ),
    );
  });

  void test("serveForever is cancellable: cancelling it closes the server", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const server = await startServer(handleEcho, "127.0.0.1", 0);
        const port = server.port!;
        const serving = createTask(() => server.serveForever(), { name: "serve" });
        assert.equal(await echoOnce(port, "ping"), "ping\n");
        await assert.rejects(server.serveForever(), InvalidStateError);
        serving.cancel();
        await assert.rejects(serving, CancelledError);
        assert.equal(server.isServing(), false);
        await server.waitClosed();
        await assert.rejects(server.serveForever(), ClosedResourceError);
      }),
    );
  });

  void test("serveForever returns when someone else closes the server", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const server = await startServer(handleEcho, "127.0.0.1", 0);
        const serving = createTask(() => server.serveForever());
        server.close();
        await serving;
        assert.equal(serving.state, "finished");
      }),
    );
  });

  void test("closeClients and abortClients close the client connections", async () => {
    await withoutLeaks(() =>
      run(async () => {
        let entered = 0;
        await using server = await startServer(async (reader) => {
          entered++;
          await reader.read();
        }, "127.0.0.1", 0);
        await using a = await openConnection("127.0.0.1", server.port!);
        await until(() => entered === 1, "handler");
        server.closeClients();
        assert.equal((await a.reader.read()).length, 0);
        await using b = await openConnection("127.0.0.1", server.port!);
        await until(() => entered === 2, "handler");
        server.abortClients();
        await assert.rejects(b.reader.read(), BrokenResourceError);
      }),
    );
  });

  void test("the server is closed when its run() ends, and its handlers are cancelled", async () => {
    let port = 0;
    let cancelled = false;
    let conn: Connection | undefined;
    await withoutLeaks(async () => {
      await run(async () => {
        const server = await startServer(async (reader) => {
          try {
            await reader.read();
          } catch (error) {
            cancelled = error instanceof CancelledError;
            throw error;
          }
        }, "127.0.0.1", 0);
        port = server.port!;
        conn = await openConnection("127.0.0.1", port);
        await until(() => server.connectionCount === 1, "connection");
        // main returns without closing anything: run() cleans up.
      });
      // The server closed its side: the client sees EOF.
      assert.equal((await conn!.reader.read()).length, 0);
      await conn![Symbol.asyncDispose]();
    });
    assert.equal(cancelled, true);
    await assert.rejects(openConnection("127.0.0.1", port), BrokenResourceError);
  });

  void test("errors: refused connection, address in use, bad arguments", async () => {
    await withoutLeaks(async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as { port: number }).port;
      await assert.rejects(startServer(handleEcho, "127.0.0.1", port), (error: unknown) => {
        assert.ok(error instanceof BrokenResourceError);
        assert.equal(error.message, `Could not listen on 127.0.0.1:${port}: EADDRINUSE`);
        assert.equal((error.cause as { code: string }).code, "EADDRINUSE");
        return true;
      });
      await new Promise((resolve) => blocker.close(resolve));
      await assert.rejects(openConnection("127.0.0.1", port), (error: unknown) => {
        assert.ok(error instanceof BrokenResourceError);
        assert.equal(error.message, `Could not connect to 127.0.0.1:${port}: ECONNREFUSED`);
        return true;
      });
      await assert.rejects(openConnection("127.0.0.1", 70000), /Expected 'port' to be an integer from 0 to 65535: received 70000/);
      await assert.rejects(startServer(handleEcho, "127.0.0.1", 0, { limit: 0 }), RangeError);
      await assert.rejects(startServer("nope" as never, "127.0.0.1", 0), TypeError);
    });
  });

  void test("openConnection is cancellable and leaves no socket behind", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using server = await startServer(handleEcho, "127.0.0.1", 0);
        const connecting = createTask(() => openConnection("127.0.0.1", server.port!));
        connecting.cancel();
        await assert.rejects(connecting, CancelledError);
        const controller = new AbortController();
        controller.abort(new Error("never mind"));
        await assert.rejects(openConnection("127.0.0.1", server.port!, { signal: controller.signal }), /never mind/);
      }),
    );
  });

  void test("works outside run(): plain promises, signal still honoured", async () => {
    await withoutLeaks(async () => {
      const server = await startServer(handleEcho, "127.0.0.1", 0);
      assert.equal(await echoOnce(server.port!, "plain"), "plain\n");
      const conn = await openConnection("127.0.0.1", server.port!);
      const controller = new AbortController();
      const pending = conn.reader.read(10, { signal: controller.signal });
      controller.abort(new Error("stop reading"));
      await assert.rejects(pending, /stop reading/);
      await conn[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
    });
  });

  void test("drain waits for the drain event and can be cancelled", async () => {
    await withoutLeaks(() =>
      run(async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        await using server = await startServer(async (reader) => {
          await gate;
          await reader.read();
        }, "127.0.0.1", 0, { limit: 1024 });
        await using conn = await openConnection("127.0.0.1", server.port!);
        const chunk = Buffer.alloc(256 * 1024);
        while (!conn.writer.stream.writableNeedDrain) conn.writer.write(chunk);
        const draining = createTask(() => conn.writer.drain());
        draining.cancel();
        await assert.rejects(draining, CancelledError);
        const waiting = conn.writer.drain();
        release();
        await waiting;
        conn.writer.writeEof();
      }),
    );
  });

  void test("dumpTasks shows each handler and the socket read it waits on", async () => {
    await withoutLeaks(() =>
      run(async () => {
        let started = 0;
        await using server = await startServer(async function handleEcho(reader, writer) {
          started++;
          for (;;) {
            const data = await reader.read(1024);
            if (data.length === 0) break;
            writer.write(data);
          }
        }, "127.0.0.1", 0);
        await using conn = await openConnection("127.0.0.1", server.port!);
        await until(() => started === 1, "handler");
        const sockname = conn.writer.getExtraInfo<readonly [string, number]>("sockname")!;
        const dump = dumpTasks();
        assert.match(
          dump,
          new RegExp(`Task 'handleEcho\\[127\\.0\\.0\\.1:${sockname[1]}\\]'.*waiting on StreamReader\\.read\\(1024\\) on 127\\.0\\.0\\.1:${sockname[1]}`),
          dump,
        );
        const reading = createTask(() => conn.reader.readLine(), { name: "client-read" });
        await until(() => dumpTasks().includes("client-read"), "client read task");
        assert.match(dumpTasks(), new RegExp(`waiting on StreamReader\\.readLine\\(\\) on 127\\.0\\.0\\.1:${server.port}`));
        reading.cancel();
        await assert.rejects(reading, CancelledError);
      }),
    );
  });

  void test("toString shows the state", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const server = await startServer(handleEcho, "127.0.0.1", 0);
        assert.equal(String(server), `Server 'handleEcho' <serving 127.0.0.1:${server.port}, 0 connection(s)>`);
        const conn = await openConnection("127.0.0.1", server.port!);
        assert.equal(String(conn.writer), "StreamWriter <open>");
        assert.equal(String(conn.reader), `StreamReader '127.0.0.1:${server.port}' <0 bytes>`);
        conn.close();
        assert.equal(String(conn.writer).startsWith("StreamWriter <clos"), true);
        await conn.writer.waitClosed();
        assert.equal(String(conn.writer), "StreamWriter <closed>");
        server.close();
        await server.waitClosed();
        assert.equal(String(server), "Server 'handleEcho' <closed, 0 connection(s)>");
      }),
    );
  });
});
