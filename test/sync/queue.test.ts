import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import {
  CancelledError,
  createTask,
  gather,
  InvalidStateError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  sleep,
} from "../../src/index.js";
import { LifoQueue } from "../../src/sync/lifo-queue.js";
import { PriorityQueue } from "../../src/sync/priority-queue.js";
import { Queue } from "../../src/sync/queue.js";
import { turn, virtual } from "./_helpers.js";

void describe("Queue", () => {
  void test("FIFO with the nowait pair, QueueEmpty and QueueFull", () => {
    const q = new Queue<number>(2);
    assert.equal(q.empty(), true);
    assert.throws(() => q.getNowait(), QueueEmpty);
    q.putNowait(1);
    q.putNowait(2);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(3), QueueFull);
    assert.equal(q.qsize(), 2);
    assert.equal(q.getNowait(), 1);
    assert.equal(q.getNowait(), 2);
    assert.equal(q.maxsize, 2);
    assert.equal(new Queue().maxsize, Infinity);
    assert.equal(new Queue({ maxsize: 0 }).full(), false);
    assert.throws(() => new Queue(1.5), /'maxsize'/);
  });

  void test("a large FIFO keeps order through its compaction", () => {
    const q = new Queue<number>();
    const out: number[] = [];
    let n = 0;
    for (let i = 0; i < 5000; i++) {
      q.putNowait(n++);
      q.putNowait(n++);
      out.push(q.getNowait());
    }
    while (!q.empty()) out.push(q.getNowait());
    assert.deepEqual(out, Array.from({ length: 10000 }, (_, i) => i));
  });

  void test("put waits for room, get waits for an item; both FIFO", () =>
    virtual(async () => {
      const q = new Queue<string>({ maxsize: 1 });
      await q.put("a");
      const putters = ["b", "c"].map((item) => createTask(() => q.put(item)));
      await turn();
      assert.equal(q.statistics().putters, 2);
      assert.equal(await q.get(), "a");
      assert.equal(q.qsize(), 1, "the first putter's item moved into the freed room");
      assert.equal(await q.get(), "b");
      assert.equal(await q.get(), "c");
      await gather(...putters);
      const getters = [0, 1].map(() => createTask(() => q.get()));
      await turn();
      assert.equal(inspect(q), "<Queue size=0 maxsize=1 getters=2 unfinished=3>");
      await q.put("x");
      await q.put("y");
      assert.deepEqual(await gather(...getters), ["x", "y"]);
    }));

  void test("a getter cancelled before the put never receives the item; the next one does", () =>
    virtual(async () => {
      const q = new Queue<number>();
      const a = createTask(() => q.get());
      const b = createTask(() => q.get());
      await turn();
      a.cancel();
      q.putNowait(7);
      await assert.rejects(a, CancelledError);
      assert.equal(await b, 7);
      assert.equal(q.qsize(), 0);
    }));

  void test("a getter served and cancelled in the same tick still gets its item (not lost)", () =>
    virtual(async () => {
      const q = new Queue<number>();
      const received: number[] = [];
      const a = createTask(async () => {
        const item = await q.get();
        received.push(item);
        await sleep(1); // the cancellation lands here
      });
      await turn();
      q.putNowait(1);
      a.cancel();
      await assert.rejects(a, CancelledError);
      assert.deepEqual(received, [1]);
      assert.equal(q.qsize(), 0);
    }));

  void test("a putter cancelled while waiting does not put its item", () =>
    virtual(async () => {
      const q = new Queue<string>(1);
      q.putNowait("kept");
      const a = createTask(() => q.put("dropped"));
      const controller = new AbortController();
      const b = q.put("aborted", { signal: controller.signal });
      const c = createTask(() => q.put("queued"));
      await turn();
      a.cancel();
      controller.abort();
      await assert.rejects(a, CancelledError);
      await assert.rejects(b, { name: "AbortError" });
      assert.equal(q.getNowait(), "kept");
      await c;
      assert.equal(q.getNowait(), "queued");
      assert.equal(q.empty(), true);
      assert.equal(q.statistics().unfinishedTasks, 2);
    }));

  void test("join waits for taskDone of every item; too many taskDone throws", () =>
    virtual(async (clock) => {
      const q = new Queue<number>();
      await q.join();
      for (let i = 0; i < 3; i++) q.putNowait(i);
      const worker = createTask(async () => {
        for (;;) {
          await q.get();
          await sleep(10);
          q.taskDone();
        }
      });
      await q.join();
      assert.equal(clock.now(), 30);
      worker.cancel();
      await assert.rejects(worker, CancelledError);
      assert.throws(() => q.taskDone(), InvalidStateError);
    }));

  void test("join is cancellable", () =>
    virtual(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      const controller = new AbortController();
      const joining = q.join({ signal: controller.signal });
      controller.abort(new Error("stop"));
      await assert.rejects(joining, /stop/);
      const j = createTask(() => q.join());
      await turn();
      j.cancel();
      await assert.rejects(j, CancelledError);
    }));

  void test("shutdown(): put refused, get drains then raises, waiters woken with QueueShutDown", () =>
    virtual(async () => {
      const q = new Queue<number>(1);
      const getter = createTask(() => q.get());
      await turn();
      q.shutdown();
      await assert.rejects(getter, QueueShutDown);
      assert.throws(() => q.putNowait(1), QueueShutDown);
      await assert.rejects(q.put(1), QueueShutDown);

      const q2 = new Queue<number>(1);
      q2.putNowait(1);
      const putter = createTask(() => q2.put(2));
      await turn();
      q2.shutdown();
      await assert.rejects(putter, QueueShutDown);
      assert.equal(await q2.get(), 1, "items left are still delivered");
      await assert.rejects(q2.get(), QueueShutDown);
      assert.throws(() => q2.getNowait(), QueueShutDown);
      assert.equal(String(q2), "<Queue size=0 maxsize=1 unfinished=1 shutdown>");
      assert.equal(q2.isShutdown, true);
    }));

  void test("shutdown(true) drops the items, counts them done, and releases join", () =>
    virtual(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      q.putNowait(2);
      q.putNowait(3);
      await q.get(); // taken but not done
      const joining = createTask(() => q.join());
      await turn();
      q.shutdown(true);
      assert.equal(q.qsize(), 0);
      assert.equal(q.statistics().unfinishedTasks, 1);
      assert.equal(joining.done(), false);
      q.taskDone();
      await joining;
    }));

  void test("async iteration ends at shutdown once drained", () =>
    virtual(async () => {
      const q = new Queue<number>();
      const seen: number[] = [];
      const consumer = createTask(async () => {
        for await (const item of q) seen.push(item);
      });
      for (const i of [1, 2, 3]) await q.put(i);
      await turn();
      q.shutdown();
      await consumer;
      assert.deepEqual(seen, [1, 2, 3]);
    }));
});

void describe("PriorityQueue and LifoQueue", () => {
  void test("PriorityQueue returns the smallest first; tuples compare like Python's", () =>
    virtual(async () => {
      const q = new PriorityQueue<[number, string]>();
      const input: [number, string][] = [
        [5, "e"],
        [1, "a"],
        [3, "c"],
        [1, "0"],
        [4, "d"],
        [2, "b"],
      ];
      for (const entry of input) await q.put(entry);
      const out: string[] = [];
      while (!q.empty()) out.push((await q.get())[1]);
      assert.deepEqual(out, ["0", "a", "b", "c", "d", "e"]);
    }));

  void test("PriorityQueue heap stays ordered under random use, and takes compare", () => {
    const q = new PriorityQueue<number>({ compare: (a, b) => b - a });
    const ref: number[] = [];
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 2000; i++) {
      if (rand() < 0.6) {
        const v = Math.floor(rand() * 100);
        q.putNowait(v);
        ref.push(v);
      } else if (ref.length > 0) {
        ref.sort((a, b) => b - a);
        assert.equal(q.getNowait(), ref.shift());
      }
    }
    assert.throws(() => new PriorityQueue({ compare: 1 as never }), /'compare'/);
    const bad = new PriorityQueue<unknown>();
    bad.putNowait({});
    assert.throws(() => bad.putNowait({}), /cannot order/);
    assert.deepEqual(bad.statistics().unfinishedTasks, 1, "a refused item is not counted");
    assert.equal(bad.qsize(), 1);
  });

  void test("a getter waiting on an empty PriorityQueue gets the next item put", () =>
    virtual(async () => {
      const q = new PriorityQueue<number>(2);
      const g = createTask(() => q.get());
      await turn();
      q.putNowait(9);
      assert.equal(await g, 9);
      assert.equal(String(q), "<PriorityQueue size=0 maxsize=2 unfinished=1>");
    }));

  void test("LifoQueue returns the last item first", () =>
    virtual(async () => {
      const q = new LifoQueue<number>(3);
      for (const i of [1, 2, 3]) q.putNowait(i);
      assert.throws(() => q.putNowait(4), QueueFull);
      const putter = createTask(() => q.put(4));
      await turn();
      assert.equal(await q.get(), 3);
      await putter;
      assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait()], [4, 2, 1]);
    }));
});
