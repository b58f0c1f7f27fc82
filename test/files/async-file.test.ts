import assert from "node:assert/strict";
import * as fs from "node:fs";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CancelledError, ClosedResourceError, InvalidStateError, createTask, run, sleep } from "../../src/index.js";
import { AsyncFile, open, readFile, writeFile } from "../../src/files/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";

const dir = mkdtempSync(join(tmpdir(), "taskio-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function tmp(content?: string | Uint8Array): string {
  const path = join(dir, `f${counter++}.txt`);
  if (content !== undefined) fs.writeFileSync(path, content);
  return path;
}
/**
 * How many of this process's fds are open on `path`. Counting only those (not every fd of the
 * process) keeps the check exact while other fds come and go around the test.
 */
function fdsOn(path: string): number {
  const target = fs.realpathSync(path);
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === target) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

void describe("open() and reading", () => {
  void test("text read() returns a string, binary read() a Uint8Array", () =>
    withoutLeaks(async () => {
      const path = tmp("héllo\nworld\n");
      {
        await using file = await open(path);
        assert.equal(await file.read(), "héllo\nworld\n");
        assert.equal(await file.read(), "");
        assert.equal(file.tell(), Buffer.byteLength("héllo\nworld\n"));
      }
      await using bin = await open(path, "rb");
      const bytes = await bin.read();
      assert.ok(bytes instanceof Uint8Array);
      assert.deepEqual(Buffer.from(bytes), Buffer.from("héllo\nworld\n"));
      assert.equal((await bin.read()).length, 0);
    }));

  void test("read(n) counts characters in text mode and bytes in binary mode", () =>
    withoutLeaks(async () => {
      const path = tmp("aé€😀z");
      await using file = await open(path, "r", { encoding: "utf-8" });
      assert.equal(await file.read(2), "aé");
      assert.equal(await file.read(1), "€");
      assert.equal(await file.read(1), "😀");
      assert.equal(await file.read(10), "z");
      assert.equal(await file.read(10), "");
      await using bin = await open(path, "rb");
      assert.deepEqual(Buffer.from(await bin.read(3)), Buffer.from("aé"));
      assert.equal(bin.tell(), 3);
      assert.equal((await bin.read(1000)).length, Buffer.byteLength("aé€😀z") - 3);
    }));

  void test("readLine, readLines and async iteration; a last line without newline", () =>
    withoutLeaks(async () => {
      const path = tmp("one\ntwo\n\nthree");
      await using file = await open(path);
      assert.equal(await file.readLine(), "one\n");
      assert.deepEqual(await file.readLines(), ["two\n", "\n", "three"]);
      assert.equal(await file.readLine(), "");
      await file.seek(0);
      const lines: string[] = [];
      for await (const line of file) lines.push(line);
      assert.deepEqual(lines, ["one\n", "two\n", "\n", "three"]);
    }));

  void test("reads a file larger than the buffer line by line in constant memory", () =>
    withoutLeaks(async () => {
      const path = tmp();
      const line = "x".repeat(99) + "\n";
      fs.writeFileSync(path, line.repeat(200_000)); // 20 MB
      const before = process.memoryUsage().arrayBuffers;
      let count = 0;
      let peak = 0;
      {
        await using file = await open(path, "rb");
        for await (const l of file) {
          assert.equal(l.length, 100);
          if (++count % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
        }
      }
      assert.equal(count, 200_000);
      assert.ok(peak < 8 * 1024 * 1024, `array buffers grew by ${peak} bytes`);
    }));

  void test("a line longer than the read-ahead buffer", () =>
    withoutLeaks(async () => {
      const long = "y".repeat(300_000) + "\n";
      const path = tmp(long + "short\n");
      await using file = await open(path);
      assert.equal(await file.readLine(), long);
      assert.equal(await file.readLine(), "short\n");
    }));

  void test("a file that grows after open is read to its end", () =>
    withoutLeaks(async () => {
      const path = tmp("abc");
      await using file = await open(path, "rb");
      fs.appendFileSync(path, "defgh");
      assert.equal(Buffer.from(await file.read()).toString(), "abcdefgh");
    }));
});

void describe("writing", () => {
  void test("w truncates, buffers writes, flush() writes them, tell() counts them", () =>
    withoutLeaks(async () => {
      const path = tmp("old content that is longer");
      await using file = await open(path, "w");
      assert.equal(fs.readFileSync(path, "utf8"), "");
      assert.equal(await file.write("héllo "), 6);
      await file.writeLines(["a\n", "b\n"]);
      assert.equal(file.tell(), Buffer.byteLength("héllo a\nb\n"));
      await file.flush();
      assert.equal(fs.readFileSync(path, "utf8"), "héllo a\nb\n");
    }));

  void test("a large write goes straight through; close() flushes", () =>
    withoutLeaks(async () => {
      const path = tmp();
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      const file = await open(path, "wb");
      await file.write(Buffer.from("head"));
      await file.write(big);
      await file.write(Buffer.from("tail"));
      await file.close();
      const data = fs.readFileSync(path);
      assert.equal(data.length, big.length + 8);
      assert.equal(data.subarray(0, 4).toString(), "head");
      assert.equal(data.subarray(-4).toString(), "tail");
    }));

  void test("a buffered binary write is copied: mutating the array afterwards changes nothing", () =>
    withoutLeaks(async () => {
      const path = tmp();
      const data = new Uint8Array([1, 2, 3]);
      {
        await using file = await open(path, "wb");
        await file.write(data);
        data[0] = 9;
      }
      assert.deepEqual([...fs.readFileSync(path)], [1, 2, 3]);
    }));

  void test("a appends, x refuses an existing file, r+ / w+ / a+ read and write", () =>
    withoutLeaks(async () => {
      const path = tmp("start\n");
      {
        await using file = await open(path, "a");
        assert.equal(file.tell(), 6);
        await file.write("more\n");
      }
      assert.equal(fs.readFileSync(path, "utf8"), "start\nmore\n");
      await assert.rejects(open(path, "x"), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, "EEXIST");
        assert.ok(error.message.includes(path));
        return true;
      });
      const fresh = tmp();
      {
        await using created = await open(fresh, "x");
        await created.write("new");
      }
      assert.equal(fs.readFileSync(fresh, "utf8"), "new");
      {
        await using rw = await open(path, "r+");
        assert.equal(await rw.readLine(), "start\n");
        await rw.write("MORE");
        await rw.seek(0);
        assert.equal(await rw.read(), "start\nMORE\n");
      }
      {
        await using wr = await open(path, "w+");
        await wr.write("abc");
        await wr.seek(0);
        assert.equal(await wr.read(), "abc");
      }
      {
        await using ap = await open(path, "a+");
        await ap.seek(0);
        assert.equal(await ap.read(1), "a");
        await ap.write("Z");
        assert.equal(ap.tell(), 4);
        await ap.seek(0);
        assert.equal(await ap.read(), "abcZ");
      }
    }));

  void test("seek() from the start, the current position and the end; truncate()", () =>
    withoutLeaks(async () => {
      const path = tmp("0123456789");
      await using file = await open(path, "r+b");
      assert.equal(await file.seek(3), 3);
      assert.equal(Buffer.from(await file.read(2)).toString(), "34");
      assert.equal(await file.seek(2, 1), 7);
      assert.equal(await file.seek(-1, 2), 9);
      assert.equal(Buffer.from(await file.read()).toString(), "9");
      await assert.rejects(file.seek(-20, 1), RangeError);
      await file.seek(4);
      assert.equal(await file.truncate(), 4);
      assert.equal(file.tell(), 4);
      assert.equal(fs.readFileSync(path, "utf8"), "0123");
      assert.equal(await file.truncate(2), 2);
      assert.equal(fs.statSync(path).size, 2);
    }));
});

void describe("errors", () => {
  void test("a bad mode is a TypeError and creates nothing", async () => {
    const path = join(dir, "never-created.txt");
    for (const mode of ["q", "rw", "rr", "r++", "bt", "", "wbt"]) {
      await assert.rejects(open(path, mode as "r"), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Expected 'mode' to be one of/);
        assert.ok(error.message.includes(path), error.message);
        return true;
      });
    }
    assert.equal(fs.existsSync(path), false);
    await assert.rejects(open(path, "wb", { encoding: "utf-8" } as object), TypeError);
    await assert.rejects(open(path, "w", { encoding: "klingon" }), /Expected 'encoding'/);
    assert.equal(fs.existsSync(path), false);
  });

  void test("a missing file and a directory: errors naming the path", () =>
    withoutLeaks(async () => {
      const missing = join(dir, "missing.txt");
      await assert.rejects(open(missing), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, "ENOENT");
        assert.ok(error.message.includes(missing), error.message);
        return true;
      });
      for (const mode of ["r", "w", "a", "r+"] as const) {
        await assert.rejects(open(dir, mode), (error: NodeJS.ErrnoException) => {
          assert.equal(error.code, "EISDIR", mode);
          assert.ok(error.message.includes(dir), error.message);
          return true;
        });
      }
      await assert.rejects(readFile(dir), (error: NodeJS.ErrnoException) => error.code === "EISDIR");
      assert.equal(fdsOn(dir), 0, "no fd leaked");
    }));

  void test("wrong direction, wrong data type, use after close", () =>
    withoutLeaks(async () => {
      const path = tmp("x");
      const file = await open(path);
      await assert.rejects(file.write("y"), (error: Error) => error instanceof InvalidStateError && error.message.includes(path));
      await assert.rejects((file as unknown as AsyncFile<Uint8Array>).read(1.5), TypeError);
      await file.close();
      await file.close(); // idempotent
      assert.equal(file.closed, true);
      await assert.rejects(file.read(), (error: Error) => error instanceof ClosedResourceError && error.message.includes(path));
      const out = await open(tmp(), "w");
      await assert.rejects((out as unknown as AsyncFile<Uint8Array>).write(new Uint8Array(1)), TypeError);
      await out.close();
      const bout = await open(tmp(), "wb");
      await assert.rejects((bout as unknown as AsyncFile<string>).write("text"), /Uint8Array in binary mode/);
      await bout.close();
    }));
});

void describe("cancellation", () => {
  void test("cancelling a large read: CancelledError, position unchanged, file usable", () =>
    withoutLeaks(async () => {
      const path = tmp(Buffer.alloc(20 * 1024 * 1024, 1));
      await run(async () => {
        await using file = await open(path, "rb");
        const reader = createTask(() => file.read());
        await sleep(0);
        reader.cancel();
        await assert.rejects(reader, CancelledError);
        assert.equal(file.tell(), 0);
        assert.equal((await file.read(10)).length, 10);
      });
    }));

  void test("a queued operation whose caller is cancelled never runs; the others do, in order", () =>
    withoutLeaks(async () => {
      const path = tmp("l1\nl2\nl3\n");
      await run(async () => {
        await using file = await open(path);
        const first = file.read(1); // goes to disk: the others queue behind it
        const second = createTask(() => file.readLine());
        const third = file.readLine();
        second.cancel();
        assert.equal(await first, "l");
        await assert.rejects(second, CancelledError);
        assert.equal(await third, "1\n");
        assert.equal(await file.readLine(), "l2\n");
      });
    }));

  void test("an aborted signal rejects with its reason; open() cancelled closes the late fd", () =>
    withoutLeaks(async () => {
      const path = tmp("data\n");
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assert.rejects(open(path, "r", { signal: controller.signal }), /stop/);
      await run(async () => {
        const opener = createTask(() => open(path));
        opener.cancel();
        await assert.rejects(opener, CancelledError);
        // The cancellation waited for the open in flight and closed its fd: nothing to wait for.
        assert.equal(fdsOn(path), 0, "the fd of the cancelled open is closed when the task ends");
      });
      const late = new AbortController();
      const aborted = open(path, "r", { signal: late.signal });
      late.abort(new Error("late stop"));
      await assert.rejects(aborted, /late stop/);
      assert.equal(fdsOn(path), 0, "the fd of the aborted open is closed when it rejects");
      await using file = await open(path);
      const aborter = new AbortController();
      const pending = file.read(-1, { signal: aborter.signal });
      aborter.abort(new Error("aborted read"));
      await assert.rejects(pending, /aborted read/);
      assert.equal(await file.read(), "data\n");
    }));

  void test("close() works while the task is being cancelled (await using in a cancelled task)", () =>
    withoutLeaks(async () => {
      const path = tmp();
      await run(async () => {
        let written!: () => void;
        const isWritten = new Promise<void>((resolve) => (written = resolve));
        const writer = createTask(async () => {
          await using file = await open(path, "w");
          await file.write("kept");
          written();
          await sleep(1_000_000);
        });
        await isWritten;
        writer.cancel();
        await assert.rejects(writer, CancelledError);
      });
      assert.equal(fs.readFileSync(path, "utf8"), "kept");
    }));
});

void describe("readFile and writeFile", () => {
  void test("round trip, text and bytes, append and exclusive", () =>
    withoutLeaks(async () => {
      const path = tmp();
      await writeFile(path, "héllo");
      assert.equal(await readFile(path, { encoding: "utf-8" }), "héllo");
      await writeFile(path, new Uint8Array([33]), { flag: "a" });
      assert.deepEqual(Buffer.from(await readFile(path)), Buffer.from("héllo!"));
      await assert.rejects(writeFile(path, "x", { flag: "x" }), (error: NodeJS.ErrnoException) => error.code === "EEXIST");
      await assert.rejects(readFile(join(dir, "nope")), (error: NodeJS.ErrnoException) => error.code === "ENOENT");
      const big = Buffer.alloc(10 * 1024 * 1024 + 3, 5);
      await writeFile(path, big);
      assert.equal((await readFile(path)).length, big.length);
    }));

  void test("readFile is cancellable and closes its fd", () =>
    withoutLeaks(async () => {
      const path = tmp(Buffer.alloc(1024));
      await run(async () => {
        const reader = createTask(() => readFile(path));
        reader.cancel();
        await assert.rejects(reader, CancelledError);
        assert.equal(fdsOn(path), 0, "the fd of the cancelled readFile is closed when the task ends");
      });
      const late = new AbortController();
      const aborted = readFile(path, { signal: late.signal });
      late.abort(new Error("late stop"));
      await assert.rejects(aborted, /late stop/);
      assert.equal(fdsOn(path), 0, "the fd of the aborted readFile is closed when it rejects");
    }));
});
