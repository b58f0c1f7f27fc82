import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { StreamReader, readerFromStream } from "../../src/streams/reader.js";
import {
  BrokenResourceError,
  CancelledError,
  IncompleteReadError,
  InvalidStateError,
  LimitOverrunError,
  createTask,
  run,
  sleep,
} from "../../src/index.js";
import { MockClock } from "../../src/testing/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

const enc = (text: string): Buffer => Buffer.from(text);
const str = (data: Uint8Array): string => Buffer.from(data).toString();

void describe("StreamReader (memory)", () => {
  void test("readLine returns buffered lines, then the tail, then empty", async () => {
    const reader = new StreamReader();
    reader.feedData(enc("one\ntwo\nthr"));
    reader.feedData(enc("ee"));
    reader.feedEof();
    assert.equal(str(await reader.readLine()), "one\n");
    assert.equal(str(await reader.readLine()), "two\n");
    assert.equal(str(await reader.readLine()), "three");
    assert.equal((await reader.readLine()).length, 0);
    assert.equal(reader.atEof(), true);
  });

  void test("a line split across many chunks is joined", async () => {
    const reader = new StreamReader();
    const pending = reader.readLine();
    for (const ch of "hello world\nrest") reader.feedData(enc(ch));
    assert.equal(str(await pending), "hello world\n");
    assert.equal(reader.buffered, 4);
  });

  void test("returned buffers are never overwritten by later data", async () => {
    const reader = new StreamReader();
    reader.feedData(enc("ab"));
    reader.feedData(enc("c\nde"));
    const first = await reader.readLine();
    reader.feedData(enc("f\n"));
    reader.feedData(enc("zzzzzzzz\n"));
    const second = await reader.readLine();
    const third = await reader.readLine();
    assert.equal(str(first), "abc\n");
    assert.equal(str(second), "def\n");
    assert.equal(str(third), "zzzzzzzz\n");
  });

  void test("read(n) returns at most n bytes; read() reads to EOF", async () => {
    const reader = new StreamReader();
    reader.feedData(enc("abcdef"));
    assert.equal(str(await reader.read(4)), "abcd");
    assert.equal((await reader.read(0)).length, 0);
    const rest = reader.read();
    reader.feedData(enc("gh"));
    reader.feedEof();
    assert.equal(str(await rest), "efgh");
    assert.equal((await reader.read(10)).length, 0);
  });

  void test("readExactly waits for n bytes; IncompleteReadError at EOF carries the partial", async () => {
    const reader = new StreamReader();
    const pending = reader.readExactly(5);
    reader.feedData(enc("ab"));
    reader.feedData(enc("cdefg"));
    assert.equal(str(await pending), "abcde");
    const short = reader.readExactly(5);
    reader.feedEof();
    await assert.rejects(short, (error: unknown) => {
      assert.ok(error instanceof IncompleteReadError);
      assert.equal(str(error.partial), "fg");
      assert.equal(error.expected, 5);
      return true;
    });
  });

  void test("readUntil with a multi-byte separator split across chunks", async () => {
    const reader = new StreamReader();
    const pending = reader.readUntil("\r\n\r\n");
    reader.feedData(enc("GET / HTTP/1.1\r\nHost: x\r"));
    reader.feedData(enc("\n\r"));
    reader.feedData(enc("\nbody"));
    assert.equal(str(await pending), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(str(await reader.read(100)), "body");
  });

  void test("limit: readUntil raises LimitOverrunError and keeps the bytes; readLine discards the line", async () => {
    const reader = new StreamReader({ limit: 8 });
    reader.feedData(enc("0123456789abcdef\nnext\n"));
    await assert.rejects(reader.readUntil("\n"), (error: unknown) => {
      assert.ok(error instanceof LimitOverrunError);
      assert.equal(error.consumed, 16);
      return true;
    });
    assert.equal(reader.buffered, 22);
    await assert.rejects(reader.readLine(), LimitOverrunError);
    assert.equal(str(await reader.readLine()), "next\n");
  });

  void test("limit: a line without separator beyond the limit fails, then reading continues", async () => {
    const reader = new StreamReader({ limit: 4 });
    const pending = reader.readLine();
    reader.feedData(enc("abcdefgh"));
    await assert.rejects(pending, LimitOverrunError);
    assert.equal(reader.buffered, 0);
    reader.feedData(enc("ok\n"));
    assert.equal(str(await reader.readLine()), "ok\n");
  });

  void test("setException fails the waiting read and every later read", async () => {
    const reader = new StreamReader();
    const pending = reader.read(10);
    const boom = new Error("boom");
    reader.setException(boom);
    await assert.rejects(pending, (error) => error === boom);
    await assert.rejects(reader.readLine(), (error) => error === boom);
  });

  void test("bytes that arrived before setException are still read, then the error", async () => {
    const reader = new StreamReader();
    reader.feedData(enc("abc\nde"));
    const boom = new Error("boom");
    reader.setException(boom);
    assert.equal(str(await reader.readLine()), "abc\n");
    await assert.rejects(reader.readExactly(3), (error) => error === boom);
    assert.equal(str(await reader.read(10)), "de");
    await assert.rejects(reader.read(10), (error) => error === boom);
  });

  void test("two concurrent reads are refused", async () => {
    const reader = new StreamReader();
    const first = reader.read(1);
    await assert.rejects(async () => reader.read(1), InvalidStateError);
    reader.feedData(enc("x"));
    assert.equal(str(await first), "x");
  });

  void test("async iteration yields lines until EOF", async () => {
    const reader = new StreamReader();
    reader.feedData(enc("a\nb\n"));
    setImmediate(() => {
      reader.feedData(enc("c"));
      reader.feedEof();
    });
    const lines: string[] = [];
    for await (const line of reader) lines.push(str(line));
    assert.deepEqual(lines, ["a\n", "b\n", "c"]);
  });

  void test("bad arguments are refused with clear errors", async () => {
    assert.throws(() => new StreamReader({ limit: -1 }), /Expected 'limit' to be a positive integer: received -1/);
    const reader = new StreamReader();
    await assert.rejects(reader.readExactly(-1), RangeError);
    await assert.rejects(reader.readUntil(""), RangeError);
    reader.feedEof();
    assert.throws(() => reader.feedData(enc("x")), InvalidStateError);
  });

  void test("toString shows the state", () => {
    const reader = new StreamReader({ limit: 10 });
    reader.feedData(enc("abc"));
    assert.equal(reader.toString(), "StreamReader <3 bytes, limit=10>");
  });
});

void describe("StreamReader cancellation", () => {
  void test("cancelling readExactly loses no bytes", async () => {
    await withoutLeaks(() =>
      run(
        async () => {
          const reader = new StreamReader();
          const task = createTask(() => reader.readExactly(10));
          reader.feedData(enc("123456"));
          await sleep(0);
          task.cancel();
          await assert.rejects(task, CancelledError);
          reader.feedData(enc("7890"));
          assert.equal(str(await reader.readExactly(10)), "1234567890");
        },
        { clock: new MockClock({ autojump: true }) },
      ),
    );
  });

  void test("cancelling read() to EOF gives the bytes back", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const task = createTask(() => reader.read());
      reader.feedData(enc("abc"));
      await sleep(0);
      reader.feedData(enc("def"));
      await sleep(0);
      task.cancel();
      await assert.rejects(task, CancelledError);
      reader.feedEof();
      assert.equal(str(await reader.read()), "abcdef");
    });
  });

  void test("an aborted signal rejects the wait and keeps the buffer", async () => {
    const reader = new StreamReader();
    const controller = new AbortController();
    const pending = reader.readLine({ signal: controller.signal });
    reader.feedData(enc("partial"));
    controller.abort(new Error("stop"));
    await assert.rejects(pending, /stop/);
    reader.feedData(enc(" line\n"));
    assert.equal(str(await reader.readLine()), "partial line\n");
  });
});

void describe("readerFromStream", () => {
  void test("pauses the source when the buffer is full and resumes when drained", async () => {
    const source = new PassThrough({ highWaterMark: 16 });
    const reader = readerFromStream(source, { limit: 16 });
    const chunk = Buffer.alloc(10, 97);
    let writes = 0;
    while (source.write(chunk)) writes++;
    // The reader buffered > 32 bytes, paused the source, and the source's own buffer filled.
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(source.isPaused());
    assert.ok(writes < 20);
    const total = reader.buffered;
    await reader.readExactly(total);
    assert.equal(source.isPaused(), false);
    source.end();
    await reader.read();
    assert.equal(reader.atEof(), true);
  });

  void test("an error becomes a BrokenResourceError with the cause", async () => {
    const source = new PassThrough();
    const reader = readerFromStream(source);
    const pending = reader.read(1);
    const cause = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    source.destroy(cause);
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof BrokenResourceError);
      assert.equal(error.cause, cause);
      assert.match(error.message, /reset by the peer/);
      return true;
    });
  });

  void test("a source that already ended or failed before attaching is EOF or the error", async () => {
    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((resolve) => ended.once("end", resolve));
    assert.equal((await readerFromStream(ended).read()).length, 0);
    const failed = new PassThrough();
    failed.on("error", () => {});
    failed.destroy(new Error("gone"));
    await new Promise((resolve) => failed.once("close", resolve));
    await assert.rejects(readerFromStream(failed).read(), BrokenResourceError);
  });

  void test("string chunks become bytes; destroy without end is EOF", async () => {
    const source = new PassThrough({ encoding: "utf8" });
    const reader = readerFromStream(source);
    source.write("héllo\n");
    assert.equal(str(await reader.readLine()), "héllo\n");
    source.destroy();
    assert.equal((await reader.read()).length, 0);
  });
});
