import { Readable } from "node:stream";
import type { CliIO } from "../../src/cli/io.js";

/** A fake terminal for in-process CLI tests: collects what the command writes. */
export function fakeIO(options: { tty?: boolean; stdin?: string } = {}): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]) as Readable & { isTTY?: boolean };
  return {
    stdout: { write: (text: string) => (out += text), isTTY: options.tty ?? false, columns: 100 },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    stdin,
    env: {},
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
  };
}
