// Type tests: these lines are checked by the compiler (npm test builds first); a wrong inferred
/* eslint-disable @typescript-eslint/no-unused-vars -- values declared only for their types */
// type fails the build. The runtime test only keeps node:test aware of the file.
import { test } from "node:test";
import { asCompleted, createTask, gather, moveOnAfter, shield, timeout, waitFor, type Task } from "../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

async function typeChecks(): Promise<void> {
  const task: Task<number> = createTask(async () => 1);
  const tuple = await gather(() => Promise.resolve("a"), Promise.resolve(2), task, async () => true);
  expectType<Equal<typeof tuple, [string, number, number, boolean]>>();

  const withErrors = await gather([async () => 1, Promise.resolve("x")], { returnExceptions: true });
  expectType<Equal<typeof withErrors, [number | Error, string | Error]>>();

  const plain = await gather([async () => 1, Promise.resolve("x")], {});
  expectType<Equal<typeof plain, [number, string]>>();

  expectType<Equal<Awaited<ReturnType<typeof waitFor<string>>>, string>>();
  const moved = await moveOnAfter(10, async () => 5);
  expectType<Equal<typeof moved, number | undefined>>();
  const scoped = await timeout(10, async () => "s");
  expectType<Equal<typeof scoped, string>>();
  const shielded = await shield(async () => 1n);
  expectType<Equal<typeof shielded, bigint>>();
  for await (const value of asCompleted([async () => 1, async () => 2])) expectType<Equal<typeof value, number>>();

  // @ts-expect-error: a gather item must be a promise or a function
  await gather(42);
  // @ts-expect-error: a task's result type is kept
  const wrong: Task<string> = createTask(async () => 1);
  void wrong;
}

test("gather, scopes and tasks keep their types (checked at compile time)", () => {
  void typeChecks;
});
