import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { BrokenBarrierError, CancelledError, createTask, gather, sleep } from "../../src/index.js";
import { Barrier } from "../../src/sync/barrier.js";
import { turn, virtual } from "./_helpers.js";

void describe("Barrier", () => {
  void test("releases all parties together, with distinct indexes, and is reusable", () =>
    virtual(async (clock) => {
      const barrier = new Barrier(3);
      const passed: number[] = [];
      for (let round = 0; round < 2; round++) {
        const indexes = await gather(
          ...[10, 20, 30].map((ms) => async () => {
            await sleep(ms);
            const index = await barrier.wait();
            passed.push(clock.now());
            return index;
          }),
        );
        assert.deepEqual([...indexes].sort(), [0, 1, 2]);
        assert.equal(indexes[2], 2, "the last arrival completes the round");
      }
      assert.deepEqual(passed, [30, 30, 30, 60, 60, 60]);
      assert.equal(barrier.nWaiting, 0);
    }));

  void test("a cancelled waiter leaves the round", () =>
    virtual(async () => {
      const barrier = new Barrier(2);
      const a = createTask(() => barrier.wait());
      await turn();
      assert.equal(inspect(barrier), "<Barrier waiting=1/2>");
      a.cancel();
      await assert.rejects(a, CancelledError);
      assert.equal(barrier.nWaiting, 0);
      const b = createTask(() => barrier.wait());
      await turn();
      assert.equal(b.done(), false);
      assert.equal(await barrier.wait(), 1);
      assert.equal(await b, 0);
    }));

  void test("abort breaks waiting and future waits until reset", () =>
    virtual(async () => {
      const barrier = new Barrier(3);
      const a = createTask(() => barrier.wait());
      await turn();
      barrier.abort();
      await assert.rejects(a, BrokenBarrierError);
      await assert.rejects(barrier.wait(), BrokenBarrierError);
      assert.equal(barrier.broken, true);
      assert.equal(String(barrier), "<Barrier broken waiting=0/3>");
      barrier.reset();
      assert.deepEqual(barrier.statistics(), { parties: 3, waiting: 0, broken: false });
      const b = createTask(() => barrier.wait());
      await turn();
      barrier.reset();
      await assert.rejects(b, BrokenBarrierError);
    }));

  void test("validates parties; a one-party barrier never waits", async () => {
    assert.throws(() => new Barrier(0), /'parties'/);
    assert.equal(await new Barrier(1).wait(), 0);
  });
});
