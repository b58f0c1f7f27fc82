// Type tests: the mode decides whether a file reads strings or bytes (checked by tsc).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AsyncFile, OpenMode } from "../../src/files/index.js";
import { open, readFile } from "../../src/files/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

void test("open() is typed by its mode", () => {
  const text = (): Promise<AsyncFile<string>> => open("x");
  const text2 = (): Promise<AsyncFile<string>> => open("x", "a+");
  const bin = (): Promise<AsyncFile<Uint8Array>> => open("x", "rb");
  const bin2 = (): Promise<AsyncFile<Uint8Array>> => open("x", "r+b");
  const any = (mode: OpenMode): Promise<AsyncFile<string> | AsyncFile<Uint8Array>> => open("x", mode);
  expectType<Equal<Awaited<ReturnType<AsyncFile<string>["read"]>>, string>>(true);
  expectType<Equal<Awaited<ReturnType<AsyncFile<Uint8Array>["readLine"]>>, Uint8Array>>(true);
  const textContent = (): Promise<string> => readFile("x", { encoding: "utf-8" });
  const bytes = (): Promise<Uint8Array> => readFile("x");
  // @ts-expect-error: not a mode
  const worse = (): unknown => open("x", "rw");
  assert.equal(typeof text, "function");
  void [text2, bin, bin2, any, worse, textContent, bytes];
});
