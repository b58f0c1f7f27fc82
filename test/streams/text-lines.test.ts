/**
 * StreamReader.lines(): text lines decoded block by block, over real sockets and a real child
 * process, checked against the readLine() loop they must equal.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CancelledError, LimitOverrunError, createTask, run, sleep } from "../../src/index.js";
import { StreamReader } from "../../src/streams/reader.js";
import { PIPE, createSubprocessExec } from "../../src/subprocess/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { transports, until } from "./_transports.js";

const tcp = transports[0]!;

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of iterable) out.push(line);
  return out;
}

void describe("StreamReader.lines() over a socket pair", () => {
  void test("multi-byte characters split across chunks, CRLF, empty lines, a last line without newline", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        const { client, peer } = pair;
        const bytes = Buffer.from("é€😀\r\n\n\r\nplain\nlone\rcr\nlast é", "utf-8");
        // Every byte in its own chunk, each one buffered before the next is sent: every
        // multi-byte character is split between feeds.
        const lines = peer.reader.lines();
        const got: string[] = [];
        const reading = (async () => {
          for await (const line of lines) got.push(line);
        })();
        for (let i = 0; i < bytes.length; i++) {
          client.writer.write(bytes.subarray(i, i + 1));
          await client.writer.drain();
          await sleep(0);
        }
        client.writer.writeEof();
        await reading;
        assert.deepEqual(got, ["é€😀", "", "", "plain", "lone\rcr", "last é"]);
      }),
    );
  });

  void test("keepEnds keeps \\n and \\r\\n; the last line has none", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        pair.client.writer.write("a\r\nb\n\nc");
        pair.client.writer.writeEof();
        assert.deepEqual(await collect(pair.peer.reader.lines({ keepEnds: true })), ["a\r\n", "b\n", "\n", "c"]);
      }),
    );
  });

  void test("latin1 decodes each byte as one character", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        pair.client.writer.write(Buffer.from([0xe9, 0x0a, 0xff, 0x41]));
        pair.client.writer.writeEof();
        assert.deepEqual(await collect(pair.peer.reader.lines({ encoding: "latin1" })), ["é", "ÿA"]);
      }),
    );
  });

  void test("a line over the limit throws LimitOverrunError after the lines before it; the rest stays readable", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair({ limit: 30 });
        const long = "x".repeat(40);
        pair.client.writer.write(`ok1\nok2\n${long}\nafter\n`);
        pair.client.writer.writeEof();
        const reader = pair.peer.reader;
        await until(() => reader.buffered >= 55, "all bytes buffered");
        const got: string[] = [];
        await assert.rejects(async () => {
          for await (const line of reader.lines()) got.push(line);
        }, LimitOverrunError);
        assert.deepEqual(got, ["ok1", "ok2"]);
        // As readLine does, the overlong line is discarded; the next read starts after it.
        assert.deepEqual(await collect(reader.lines()), ["after"]);
      }),
    );
  });

  void test("a multi-byte line within the limit in bytes is not refused, one over it is", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair({ limit: 30 });
        const fits = "€".repeat(10); // 30 bytes
        const over = "€".repeat(11); // 33 bytes
        pair.client.writer.write(`${fits}\n${fits}\n${over}\nend\n`);
        pair.client.writer.writeEof();
        const reader = pair.peer.reader;
        await until(() => reader.buffered >= 99, "all bytes buffered");
        const got: string[] = [];
        await assert.rejects(async () => {
          for await (const line of reader.lines()) got.push(line);
        }, LimitOverrunError);
        assert.deepEqual(got, [fits, fits]);
        assert.equal((await reader.readLine()).toString(), "end\n");
      }),
    );
  });

  void test("a line with no newline growing past the limit throws, never buffering without bound", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair({ limit: 1000 });
        const reader = pair.peer.reader;
        const task = createTask(() => collect(reader.lines()));
        for (let i = 0; i < 50 && !task.done(); i++) {
          pair.client.writer.write("y".repeat(200));
          await pair.client.writer.drain();
          await sleep(0);
        }
        await assert.rejects(task, LimitOverrunError);
        assert.ok(reader.buffered <= 2000, `buffered ${reader.buffered}`);
      }),
    );
  });

  void test("break puts the lines not yielded back: the next read gets them, in order", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        pair.client.writer.write("l1\nl2\nl3\nl4\npartial");
        const reader = pair.peer.reader;
        await until(() => reader.buffered >= 19, "all bytes buffered");
        for await (const line of reader.lines()) {
          assert.equal(line, "l1");
          break;
        }
        assert.equal(reader.buffered, 19 - 3);
        assert.equal((await reader.readLine()).toString(), "l2\n");
        // Mixed use while iterating: another read takes the batch's lines back first.
        const it = reader.lines();
        assert.deepEqual(await it.next(), { done: false, value: "l3" });
        assert.equal((await reader.readExactly(3)).toString(), "l4\n");
        pair.client.writer.write(" line\n");
        pair.client.writer.writeEof();
        assert.deepEqual(await it.next(), { done: false, value: "partial line" });
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        assert.deepEqual(await it.next(), { done: true, value: undefined });
      }),
    );
  });

  void test("cancelling the task mid-iteration loses no line", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        const reader = pair.peer.reader;
        pair.client.writer.write("a\nb\nc\n");
        await until(() => reader.buffered >= 6, "all bytes buffered");
        const seen: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const task = createTask(async () => {
          for await (const line of reader.lines()) {
            seen.push(line);
            if (line === "a") release();
            await sleep(0);
          }
        });
        await gate;
        task.cancel();
        await assert.rejects(task, CancelledError);
        const rest = seen.length === 1 ? ["b", "c"] : ["c"];
        pair.client.writer.write("d\n");
        pair.client.writer.writeEof();
        assert.deepEqual(await collect(reader.lines()), [...rest, "d"]);
      }),
    );
  });

  void test("cancelling a lines() wait releases it; an aborted signal too", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using pair = await tcp.pair();
        const reader = pair.peer.reader;
        const task = createTask(() => collect(reader.lines()));
        await sleep(0);
        task.cancel();
        await assert.rejects(task, CancelledError);
        const controller = new AbortController();
        const it = reader.lines({ signal: controller.signal });
        const pending = it.next();
        controller.abort();
        await assert.rejects(pending);
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        pair.client.writer.write("still here\n");
        pair.client.writer.writeEof();
        assert.deepEqual(await collect(reader.lines()), ["still here"]);
      }),
    );
  });

  void test("bad options are refused with the option named", () => {
    const reader = new StreamReader();
    assert.throws(() => reader.lines({ encoding: "utf16le" as "utf-8" }), /'encoding'/);
    assert.throws(() => reader.lines({ keepEnds: 1 as unknown as boolean }), /'keepEnds'/);
    assert.throws(() => reader.lines(null as unknown as undefined), /'options'/);
  });
});

void describe("StreamReader.lines() backpressure", () => {
  void test("a decoded block is at most 2 × limit bytes, and taking it resumes the source at limit", async () => {
    const events: string[] = [];
    const reader = new StreamReader({ limit: 100 });
    reader.setTransport({ pauseReading: () => events.push("pause"), resumeReading: () => events.push("resume") });
    for (let i = 0; i < 10; i++) reader.feedData(Buffer.from(`${"z".repeat(49)}\n`)); // 500 bytes
    assert.deepEqual(events, ["pause"]);
    const it = reader.lines();
    for (let i = 0; i < 4; i++) assert.equal((await it.next()).value, "z".repeat(49));
    assert.deepEqual(events, ["pause"], "the first block took 200 bytes, 300 are left: still paused");
    await it.next();
    assert.deepEqual(events, ["pause", "resume"], "the second block leaves 100 bytes: resumed");
    await it.return?.();
    assert.equal(reader.buffered, 500 - 5 * 50, "the 3 lines decoded but not yielded are back");
  });
});

void describe("StreamReader.lines() over a child process", () => {
  void test("seq 200000 is read whole, in order, in run() and not", async () => {
    const count = 200_000;
    const read = async (): Promise<void> => {
      await using proc = await createSubprocessExec("seq", [String(count)], { stdout: PIPE });
      let n = 0;
      for await (const line of proc.stdout!.lines()) {
        n++;
        if (line !== String(n)) assert.fail(`line ${n} is ${JSON.stringify(line)}`);
      }
      assert.equal(n, count);
      assert.equal(await proc.wait(), 0);
    };
    await withoutLeaks(() => run(read));
    await withoutLeaks(read);
  });
});

void describe("StreamReader.lines() equals a readLine() loop", () => {
  void test("random bytes in random chunks, random limits, both keepEnds", async () => {
    const byte = fc.oneof(
      fc.constantFrom(0x0a, 0x0d, 0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80),
      fc.integer({ min: 0, max: 255 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(byte, { maxLength: 40 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 60 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        async (chunks, limit, keepEnds, breakAt, mix) => {
          const feed = (reader: StreamReader): void => {
            for (const chunk of chunks) reader.feedData(Uint8Array.from(chunk));
            reader.feedEof();
          };
          const drain = async (reader: StreamReader, take: (reader: StreamReader, out: unknown[]) => Promise<void>): Promise<unknown[]> => {
            const out: unknown[] = [];
            for (;;) {
              try {
                await take(reader, out);
                if (reader.atEof()) return out;
              } catch (error) {
                if (!(error instanceof LimitOverrunError)) throw error;
                out.push("<overrun>");
              }
            }
          };
          const expected = new StreamReader({ limit });
          feed(expected);
          const want = await drain(expected, async (r, out) => {
            const line = await r.readLine();
            if (line.length > 0) out.push(keepEnds ? line.toString() : line.toString().replace(/\r?\n$/, ""));
          });
          const actual = new StreamReader({ limit });
          feed(actual);
          // Break after `breakAt` lines each time, so unread lines are put back over and over;
          // with `mix`, every third line is read by readLine() while the iterator is live.
          const got = await drain(actual, async (r, out) => {
            const it = r.lines({ keepEnds });
            let n = 0;
            for (let k = 1; ; k++) {
              if (mix && k % 3 === 0) {
                const line = await r.readLine();
                if (line.length > 0) out.push(keepEnds ? line.toString() : line.toString().replace(/\r?\n$/, ""));
                continue;
              }
              const result = await it.next();
              if (result.done === true) return;
              out.push(result.value);
              if (breakAt > 0 && ++n >= breakAt) {
                await it.return?.();
                return;
              }
            }
          });
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 300 },
    );
  });
});
