/**
 * One conformance suite for StreamReader/StreamWriter behaviour, run over real TCP on 127.0.0.1,
 * over Unix-domain sockets, and over an in-memory socket pair.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BrokenResourceError,
  CancelledError,
  ClosedResourceError,
  IncompleteReadError,
  LimitOverrunError,
  createTask,
  run,
  sleep,
} from "../../src/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { transports, until } from "./_transports.js";

const str = (data: Uint8Array): string => Buffer.from(data).toString();

for (const transport of transports) {
  void describe(`streams conformance over ${transport.name}`, () => {
    void test("read(n) returns what is there without waiting for n bytes, and '' at EOF", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          peer.writer.write("hello");
          assert.equal(str(await client.reader.read(1024)), "hello");
          peer.writer.write("abcdefgh");
          await until(() => client.reader.buffered === 8, "8 bytes");
          assert.equal(str(await client.reader.read(3)), "abc");
          assert.equal(str(await client.reader.read(100)), "defgh");
          peer.writer.close();
          assert.equal((await client.reader.read(1024)).length, 0);
          assert.equal(client.reader.atEof(), true);
        }),
      );
    });

    void test("readExactly at EOF raises IncompleteReadError with the partial bytes", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          peer.writer.write("1234567");
          peer.writer.close();
          assert.equal(str(await client.reader.readExactly(4)), "1234");
          await assert.rejects(client.reader.readExactly(4), (error: unknown) => {
            assert.ok(error instanceof IncompleteReadError);
            assert.equal(str(error.partial), "567");
            assert.equal(error.expected, 4);
            return true;
          });
          assert.equal((await client.reader.readExactly(0)).length, 0);
        }),
      );
    });

    void test("a line split across packets is read whole", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          const line = createTask(() => peer.reader.readLine());
          for (const piece of ["hel", "lo wo", "rld\nsec", "ond\n"]) {
            const before = peer.reader.buffered;
            client.writer.write(piece);
            await client.writer.drain();
            // Handshake: wait until the server has this piece, so each arrives as its own packet.
            if (!line.done()) await until(() => line.done() || peer.reader.buffered > before, "piece");
          }
          assert.equal(str(await line), "hello world\n");
          assert.equal(str(await peer.reader.readLine()), "second\n");
        }),
      );
    });

    void test("lines and readUntil over the stream; async iteration ends at EOF", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          client.writer.writeLines(["a\n", "b\n", "HEAD\r\n\r\nc"]);
          client.writer.writeEof();
          assert.equal(str(await peer.reader.readLine()), "a\n");
          assert.equal(str(await peer.reader.readLine()), "b\n");
          assert.equal(str(await peer.reader.readUntil("\r\n\r\n")), "HEAD\r\n\r\n");
          const rest: string[] = [];
          for await (const line of peer.reader) rest.push(str(line));
          assert.deepEqual(rest, ["c"]);
        }),
      );
    });

    void test("the limit: an overlong line is LimitOverrunError, not unbounded memory", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair({ limit: 1024 });
          const { client, peer } = pair;
          const long = "x".repeat(10_000);
          client.writer.write(`${long}\nshort\n`);
          await assert.rejects(peer.reader.readLine(), (error: unknown) => {
            assert.ok(error instanceof LimitOverrunError);
            assert.ok(error.consumed > 1024);
            return true;
          });
          // The overlong line is dropped piece by piece; the reader then finds the next line.
          let line: string;
          for (;;) {
            try {
              line = str(await peer.reader.readLine());
              break;
            } catch (error) {
              assert.ok(error instanceof LimitOverrunError);
            }
          }
          assert.equal(line, "short\n");
          assert.ok(peer.reader.buffered <= 3 * 1024);
        }),
      );
    });

    void test("writeEof half-closes: the peer sees EOF and can still answer", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          assert.equal(client.writer.canWriteEof(), true);
          client.writer.write("request");
          client.writer.writeEof();
          assert.throws(() => client.writer.write("more"), ClosedResourceError);
          assert.equal(str(await peer.reader.read()), "request");
          assert.equal(peer.reader.atEof(), true);
          peer.writer.write("response");
          await peer.writer.drain();
          peer.writer.close();
          assert.equal(str(await client.reader.read()), "response");
        }),
      );
    });

    void test("drain waits while a slow reader lets the kernel buffer fill; memory stays bounded", async () => {
      await withoutLeaks(() =>
        run(async () => {
          const limit = 16 * 1024;
          await using pair = await transport.pair({ limit });
          const { client, peer } = pair;
          const chunk = Buffer.alloc(64 * 1024, 120);
          const total = 16 * 1024 * 1024;
          let waited = 0;
          const sender = createTask(async () => {
            for (let sent = 0; sent < total; sent += chunk.length) {
              client.writer.write(chunk);
              if (client.writer.stream.writableNeedDrain) waited++;
              await client.writer.drain();
            }
            client.writer.writeEof();
          });
          // The server does not read until the sender is blocked in drain().
          await until(() => waited > 0, "drain to block");
          assert.equal(sender.done(), false);
          assert.ok(peer.reader.buffered <= 2 * limit + 64 * 1024, `buffered ${peer.reader.buffered}`);
          let received = 0;
          let maxBuffered = 0;
          for (;;) {
            maxBuffered = Math.max(maxBuffered, peer.reader.buffered);
            const data = await peer.reader.read(8192);
            if (data.length === 0) break;
            received += data.length;
          }
          await sender;
          assert.equal(received, total);
          assert.ok(maxBuffered <= 2 * limit + 256 * 1024, `max buffered ${maxBuffered}`);
        }),
      );
    });

    void test("cancelling a read over the socket loses no bytes", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          const reading = createTask(() => client.reader.readExactly(10));
          peer.writer.write("12345");
          await until(() => client.reader.buffered === 5, "5 bytes");
          reading.cancel();
          await assert.rejects(reading, CancelledError);
          peer.writer.write("67890");
          assert.equal(str(await client.reader.readExactly(10)), "1234567890");
        }),
      );
    });

    void test("a peer that goes away: reads see the reset or EOF, drain rejects", async () => {
      await withoutLeaks(() =>
        run(async () => {
          await using pair = await transport.pair();
          const { client, peer } = pair;
          peer.writer.write("partial");
          await until(() => client.reader.buffered === 7, "7 bytes");
          peer.writer.abort();
          // Bytes that arrived before the reset are still delivered, then the failure.
          assert.equal(str(await client.reader.read(100)), "partial");
          if (transport.canReset) {
            await assert.rejects(client.reader.read(100), (error: unknown) => {
              assert.ok(error instanceof BrokenResourceError, String(error));
              assert.equal((error.cause as { code?: string }).code, "ECONNRESET");
              return true;
            });
          } else {
            assert.equal((await client.reader.read(100)).length, 0);
          }
          // Writing into a connection the peer has dropped: drain() reports it, soon or at once.
          const data = Buffer.alloc(64 * 1024);
          await assert.rejects(async () => {
            for (let i = 0; i < 1000; i++) {
              client.writer.write(data);
              await client.writer.drain();
              await sleep(0);
            }
          }, BrokenResourceError);
        }),
      );
    });
  });
}
