// Property-based tests: random interleavings of acquire/release/cancel/abort on a Semaphore and
// of put/get/cancel on the queues never lose or duplicate a permit or an item.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createTask, gather, run, type Task } from "../../src/index.js";
import { Event } from "../../src/sync/event.js";
import { LifoQueue } from "../../src/sync/lifo-queue.js";
import { PriorityQueue } from "../../src/sync/priority-queue.js";
import { Queue } from "../../src/sync/queue.js";
import { BoundedSemaphore, Semaphore } from "../../src/sync/semaphore.js";
import { Lock } from "../../src/sync/lock.js";
import { withoutLeaks } from "../_helpers/leaks.js";

/** Lets promise callbacks run: a few microtask turns, or one macrotask turn. */
async function flush(deep: boolean): Promise<void> {
  if (deep) await new Promise((resolve) => setImmediate(resolve));
  else for (let i = 0; i < 3; i++) await Promise.resolve();
}

const semCommand = fc.oneof(
  fc.record({ kind: fc.constant("spawn" as const), withSignal: fc.boolean() }),
  fc.record({ kind: fc.constant("release" as const), actor: fc.nat(15) }),
  fc.record({ kind: fc.constant("cancel" as const), actor: fc.nat(15) }),
  fc.record({ kind: fc.constant("abort" as const), actor: fc.nat(15) }),
  fc.record({ kind: fc.constant("take" as const) }),
  // Give a test-held permit back and cancel an actor in the same tick (the woken one, perhaps).
  fc.record({ kind: fc.constant("giveAndCancel" as const), actor: fc.nat(15) }),
  fc.record({ kind: fc.constant("flush" as const), deep: fc.boolean() }),
);

interface Actor {
  task: Task<void>;
  controller: AbortController | undefined;
  releaseNow: Event;
}

void describe("property: semaphores and locks", () => {
  for (const kind of ["Semaphore", "BoundedSemaphore", "Lock"] as const) {
    void test(`${kind}: random acquire/release/cancel/abort never loses or duplicates a permit`, () =>
      withoutLeaks(() =>
        fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 3 }),
            fc.array(semCommand, { maxLength: 40 }),
            (permits, commands) =>
              run(async () => {
                const k = kind === "Lock" ? 1 : permits;
                const sem = kind === "Lock" ? new Lock() : kind === "Semaphore" ? new Semaphore(k) : new BoundedSemaphore(k);
                const free = (): number =>
                  sem instanceof Lock ? (sem.locked() ? 0 : 1) : (sem).value;
                let holders = 0;
                let testHeld = 0;
                let peak = 0;
                const actors: Actor[] = [];
                const enter = (): void => {
                  holders++;
                  peak = Math.max(peak, holders + testHeld);
                  assert.ok(holders + testHeld <= k, `${holders} actors + ${testHeld} test permits > ${k}`);
                };
                for (const command of commands) {
                  switch (command.kind) {
                    case "spawn": {
                      const controller = command.withSignal ? new AbortController() : undefined;
                      const releaseNow = new Event();
                      const task = createTask(async () => {
                        const permit = await sem.acquire(controller === undefined ? undefined : { signal: controller.signal });
                        enter();
                        try {
                          await releaseNow.wait();
                        } finally {
                          holders--;
                          permit.release();
                        }
                      });
                      actors.push({ task, controller, releaseNow });
                      break;
                    }
                    case "release":
                      actors[command.actor % Math.max(1, actors.length)]?.releaseNow.set();
                      break;
                    case "cancel":
                      actors[command.actor % Math.max(1, actors.length)]?.task.cancel();
                      break;
                    case "abort":
                      actors[command.actor % Math.max(1, actors.length)]?.controller?.abort();
                      break;
                    case "take":
                      if (sem.tryAcquire()) {
                        testHeld++;
                        peak = Math.max(peak, holders + testHeld);
                        assert.ok(holders + testHeld <= k);
                      }
                      break;
                    case "giveAndCancel":
                      if (testHeld > 0) {
                        testHeld--;
                        sem.release();
                        actors[command.actor % Math.max(1, actors.length)]?.task.cancel();
                      }
                      break;
                    case "flush":
                      await flush(command.deep);
                      break;
                  }
                }
                // Wind down: release or cancel everybody, give back the test's permits.
                for (const actor of actors) {
                  actor.releaseNow.set();
                  actor.task.cancel();
                }
                while (testHeld > 0) {
                  testHeld--;
                  sem.release();
                }
                await gather(
                  actors.map((a) => a.task),
                  { returnExceptions: true },
                );
                assert.equal(holders, 0);
                assert.equal(free(), k, "every permit is back");
                assert.equal(sem.statistics().waiters, 0, "no waiter left behind");
                assert.ok(peak <= k);
              }),
          ),
          { numRuns: 150 },
        ),
      ));
  }
});

const queueCommand = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), withSignal: fc.boolean() }),
  fc.record({ kind: fc.constant("putNowait" as const) }),
  fc.record({ kind: fc.constant("get" as const), withSignal: fc.boolean() }),
  fc.record({ kind: fc.constant("getNowait" as const) }),
  fc.record({ kind: fc.constant("cancel" as const), actor: fc.nat(31) }),
  fc.record({ kind: fc.constant("abort" as const), actor: fc.nat(31) }),
  // Make room/put an item and cancel an actor in the same tick (perhaps the one just served).
  fc.record({ kind: fc.constant("serveAndCancel" as const), actor: fc.nat(31) }),
  fc.record({ kind: fc.constant("flush" as const), deep: fc.boolean() }),
);

void describe("property: queues", () => {
  for (const kind of ["Queue", "LifoQueue", "PriorityQueue"] as const) {
    void test(`${kind}: random put/get/cancel/abort never loses or duplicates an item`, () =>
      withoutLeaks(() =>
        fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(queueCommand, { maxLength: 40 }), (maxsize, commands) =>
            run(async () => {
              const q =
                kind === "Queue"
                  ? new Queue<number>(maxsize)
                  : kind === "LifoQueue"
                    ? new LifoQueue<number>(maxsize)
                    : new PriorityQueue<number>(maxsize);
              let next = 0;
              const accepted = new Set<number>(); // puts that completed
              const refused = new Set<number>(); // puts that were cancelled, aborted or refused
              const received: number[] = [];
              const actors: { task: Task<void>; controller: AbortController | undefined }[] = [];
              const pick = (n: number) => actors[n % Math.max(1, actors.length)];
              for (const command of commands) {
                switch (command.kind) {
                  case "put": {
                    const item = next++;
                    const controller = command.withSignal ? new AbortController() : undefined;
                    const task = createTask(async () => {
                      try {
                        await q.put(item, controller === undefined ? undefined : { signal: controller.signal });
                        accepted.add(item);
                      } catch (error) {
                        refused.add(item);
                        throw error;
                      }
                    });
                    actors.push({ task, controller });
                    break;
                  }
                  case "putNowait": {
                    const item = next++;
                    try {
                      q.putNowait(item);
                      accepted.add(item);
                    } catch {
                      refused.add(item);
                    }
                    break;
                  }
                  case "get": {
                    const controller = command.withSignal ? new AbortController() : undefined;
                    const task = createTask(async () => {
                      received.push(await q.get(controller === undefined ? undefined : { signal: controller.signal }));
                    });
                    actors.push({ task, controller });
                    break;
                  }
                  case "getNowait":
                    if (!q.empty()) received.push(q.getNowait());
                    break;
                  case "cancel":
                    pick(command.actor)?.task.cancel();
                    break;
                  case "abort":
                    pick(command.actor)?.controller?.abort();
                    break;
                  case "serveAndCancel":
                    if (!q.empty()) received.push(q.getNowait());
                    else if (!q.full()) {
                      const item = next++;
                      q.putNowait(item);
                      accepted.add(item);
                    }
                    pick(command.actor)?.task.cancel();
                    break;
                  case "flush":
                    await flush(command.deep);
                    break;
                }
              }
              // Wind down: drain what can be drained, cancel the rest.
              await flush(true);
              for (const actor of actors) actor.task.cancel();
              await gather(
                actors.map((a) => a.task),
                { returnExceptions: true },
              );
              while (!q.empty()) received.push(q.getNowait());
              // Putters cancelled after being served still count as accepted (their put resolved).
              const got = [...received].sort((a, b) => a - b);
              assert.equal(new Set(got).size, got.length, `an item was delivered twice: ${got.join(",")}`);
              for (const item of got) assert.ok(accepted.has(item), `item ${item} was delivered but its put never completed`);
              for (const item of accepted) assert.ok(got.includes(item), `item ${item} was put but lost`);
              for (const item of refused) assert.ok(!got.includes(item), `refused item ${item} was delivered`);
              const stats = q.statistics();
              assert.equal(stats.getters, 0);
              assert.equal(stats.putters, 0);
              assert.equal(stats.size, 0);
            }),
          ),
          { numRuns: 150 },
        ),
      ));
  }
});
