/**
 * Type tests: `tsc` fails if a line marked `@ts-expect-error` compiles, so these pin that a task
 * handle types runInExecutor's arguments and result from the task's function.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ThreadPoolExecutor, runInExecutor, toThread, type TaskArgs, type TaskResult } from "../../src/executor/index.js";
import { add, asyncDouble, echo } from "./fixtures/tasks.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

expectType<Equal<TaskArgs<typeof add>, [a: number, b: number]>>(true);
expectType<Equal<TaskResult<typeof add>, number>>(true);
expectType<Equal<TaskResult<typeof asyncDouble>, number>>(true);

/** Never called: only compiled. */
async function typeChecks(pool: ThreadPoolExecutor): Promise<void> {
  const sum: number = await runInExecutor(pool, add, 1, 2);
  const doubled: number = await toThread(asyncDouble, 2);
  const fromRun: number = await pool.run(add, [1, 2]);
  void [sum, doubled, fromRun, echo];

  // @ts-expect-error: a string where a number is expected
  await runInExecutor(pool, add, 1, "2");
  // @ts-expect-error: a missing argument
  await runInExecutor(pool, add, 1);
  // @ts-expect-error: an extra argument
  await runInExecutor(pool, add, 1, 2, 3);
  // @ts-expect-error: the result is a number, not a string
  const wrong: string = await runInExecutor(pool, add, 1, 2);
  // @ts-expect-error: async results are unwrapped; it is not a Promise
  const nested: Promise<number> = await toThread(asyncDouble, 1);
  // @ts-expect-error: pool.run takes the arguments as a tuple
  await pool.run(add, [1, "2"]);
  // @ts-expect-error: a plain function is not a task handle
  await runInExecutor(pool, (n: number) => n, 1);
  for await (const n of pool.map(asyncDouble, [1, 2])) {
    const ok: number = n;
    // @ts-expect-error: map yields the task's result type
    const bad: string = n;
    void [ok, bad];
  }
  // @ts-expect-error: map's items must match the task's single parameter
  pool.map(asyncDouble, ["x"]);
  void [wrong, nested];
}

void test("type tests compile (see @ts-expect-error lines)", () => {
  assert.equal(typeof typeChecks, "function");
});
