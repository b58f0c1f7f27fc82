/**
 * Reliability: bad input at the library API (the CLI has bad-input.test.ts). Files, subprocesses,
 * sync primitives, retry and maps, durations, streams and executors each refuse a bad argument
 * with exactly one clear error — a TypeError or RangeError naming the argument and the value it
 * received, a taskio error, or for an OS refusal Node's system error naming the path — and leave
 * nothing behind: no file created or changed, no child process, no worker, no listening socket,
 * no task, no unhandled rejection.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  Barrier,
  BoundedSemaphore,
  ClosedResourceError,
  iterConcurrent,
  LifoQueue,
  mapConcurrent,
  moveOnAfter,
  PriorityQueue,
  Queue,
  retry,
  Semaphore,
  sleep,
  timeout,
  waitFor,
} from "../../src/index.js";
import { open, readFile, writeFile } from "../../src/files/index.js";
import { createSubprocessExec, createSubprocessShell, PIPE } from "../../src/subprocess/index.js";
import { openConnection, openUnixConnection, startServer, startUnixServer, StreamReader } from "../../src/streams/index.js";
import {
  defineTask,
  ProcessPoolExecutor,
  runInExecutor,
  TaskNotFoundError,
  ThreadPoolExecutor,
  type TaskHandle,
} from "../../src/executor/index.js";
import * as tasks from "../executor/fixtures/tasks.js";
import { childPids, withoutLeaks } from "../_helpers/leaks.js";

type ErrorClass = new (...args: never[]) => Error;

/**
 * Asserts that `fn` throws synchronously exactly one error of class `type` whose message matches
 * `message` (the option's name and the value received).
 */
function refusesSync(fn: () => unknown, type: ErrorClass, message: RegExp): void {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  assert.ok(threw, `expected ${type.name} matching ${String(message)}, but nothing was thrown`);
  assertError(thrown, type, message);
}

/**
 * Asserts that `fn` returns a promise (it does not throw synchronously) that rejects with one
 * error of class `type` whose message matches `message`.
 */
async function refuses(fn: () => unknown, type: ErrorClass, message: RegExp): Promise<void> {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    assert.fail(`expected a rejected promise, but it threw synchronously: ${String(error)}`);
  }
  assert.ok(result instanceof Promise, "expected a promise");
  let rejected = false;
  let reason: unknown = undefined;
  try {
    await result;
  } catch (error) {
    rejected = true;
    reason = error;
  }
  assert.ok(rejected, `expected ${type.name} matching ${String(message)}, but it resolved`);
  assertError(reason, type, message);
}

function assertError(error: unknown, type: ErrorClass, message: RegExp): void {
  assert.ok(error instanceof type, `expected a ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  assert.ok(!(error instanceof AggregateError), "expected one error, got an AggregateError");
  assert.match(error.message, message);
  // One line: a message, not a dump.
  assert.ok(!error.message.includes("\n"), `a multi-line message: ${error.message}`);
}

/** Asserts a Node system error (an OS refusal) with `code` that names `path`. */
async function refusedByOs(fn: () => Promise<unknown>, code: string, path: string): Promise<void> {
  await assert.rejects(fn(), (error: unknown) => {
    assert.ok(error instanceof Error, String(error));
    assert.equal((error as { code?: string }).code, code, error.message);
    assert.ok(error.message.includes(path), `the message does not name ${path}: ${error.message}`);
    return true;
  });
}

/** Every file and directory under `dir`, with its size and modification time. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const info = statSync(path);
      entries.push(`${path} ${info.isDirectory() ? "dir" : info.size} ${info.mtimeMs}`);
      if (info.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return entries;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
let dir = "";

before(() => {
  process.on("unhandledRejection", onUnhandled);
  dir = mkdtempSync(join(tmpdir(), "taskio-bad-input-api-"));
});

after(() => {
  process.off("unhandledRejection", onUnhandled);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(unhandled, [], "unhandled rejections");
});

/** A task whose module does not exist. */
const missingUrl = pathToFileURL(join(tmpdir(), `taskio-no-such-tasks-${process.pid}.js`)).href;
const ghost: TaskHandle<[], number> = defineTask(missingUrl, "ghost", () => 1);

// Options objects typed loosely on purpose: these are the mistakes JavaScript callers make.
type Loose = never;
const loose = (value: unknown): Loose => value as Loose;

void describe("files: bad modes, paths, encodings and data touch nothing", () => {
  void test("open() refuses bad modes, naming the mode and the path, and creates nothing", async () => {
    await withoutLeaks(async () => {
      const target = join(dir, "never-created.txt");
      const before = snapshot(dir);
      for (const mode of ["rw", "rb+x", "", "wa", "r++", "bt", "U", "rt+b"]) {
        await refuses(
          () => open(target, loose(mode)),
          TypeError,
          new RegExp(`^Expected 'mode' to be one of .*: received ${JSON.stringify(mode).replace(/[+]/g, "\\+")} \\(opening '.*never-created\\.txt'\\): nothing was opened or written$`),
        );
      }
      await refuses(() => open(target, loose(5)), TypeError, /'mode'.*received number/);
      await refuses(() => open(target, loose(null)), TypeError, /'mode'.*received object/);
      assert.deepEqual(snapshot(dir), before);
    });
  });

  void test("open() refuses bad paths, options and encodings before touching the disk", async () => {
    await withoutLeaks(async () => {
      const target = join(dir, "never-created.txt");
      const before = snapshot(dir);
      await refuses(() => open(""), TypeError, /^Expected 'path' to be a non-empty string: received ""$/);
      await refuses(() => open(loose(null)), TypeError, /^Expected 'path' to be a string or a file: URL: received null$/);
      await refuses(() => open(loose(5), "w"), TypeError, /'path'.*received number/);
      await refuses(() => open(new URL("http://127.0.0.1/x.txt"), "w"), TypeError, /'path' to be a string or a file: URL: received .*http:\/\/127\.0\.0\.1\/x\.txt/);
      for (const encoding of ["bogus", "utf16le", "utf-32"]) {
        await refuses(() => open(target, "w", { encoding }), TypeError, new RegExp(`^Expected 'encoding' to be "utf-8", "latin1" or "ascii": received "${encoding}"$`));
      }
      await refuses(() => open(target, "w", { encoding: loose(5) }), TypeError, /'encoding'.*received number/);
      await refuses(() => open(target, loose("wb"), loose({ encoding: "utf-8" })), TypeError, /^Expected no 'encoding' in binary mode "wb": received "utf-8"$/);
      await refuses(() => open(target, "w", loose("utf-8")), TypeError, /^Expected 'options' to be an object: received string$/);
      await refuses(() => open(target, "w", loose({ signal: 1 })), TypeError, /^Expected 'signal' to be an AbortSignal: received number$/);
      assert.deepEqual(snapshot(dir), before);
    });
  });

  void test("open() on a directory, a missing file or a missing parent fails with the OS error naming the path", async () => {
    await withoutLeaks(async () => {
      const sub = join(dir, "a-directory");
      mkdirSync(sub, { recursive: true });
      const before = snapshot(dir);
      for (const mode of ["r", "w", "a", "r+"] as const) await refusedByOs(() => open(sub, mode), "EISDIR", sub);
      await refusedByOs(() => open(join(dir, "missing.txt"), "r"), "ENOENT", join(dir, "missing.txt"));
      await refusedByOs(() => open(join(dir, "missing.txt"), "r+"), "ENOENT", join(dir, "missing.txt"));
      await refusedByOs(() => open(join(dir, "no-parent", "x.txt"), "w"), "ENOENT", join(dir, "no-parent", "x.txt"));
      await refusedByOs(() => open(join(dir, "no-parent", "x.txt"), "x"), "ENOENT", join(dir, "no-parent", "x.txt"));
      assert.deepEqual(snapshot(dir), before);
    });
  });

  void test("readFile() and writeFile() refuse bad paths, data, flags and options, and write nothing", async () => {
    await withoutLeaks(async () => {
      const existing = join(dir, "existing.txt");
      writeFileSync(existing, "keep me");
      const target = join(dir, "never-created.bin");
      const before = snapshot(dir);
      await refuses(() => readFile(""), TypeError, /'path' to be a non-empty string: received ""/);
      await refuses(() => readFile(loose(null)), TypeError, /'path'.*received null/);
      await refuses(() => readFile(existing, { encoding: "bogus" }), TypeError, /'encoding'.*received "bogus"/);
      // Node's readFile(path, "utf8") is a common habit: it must not quietly return bytes.
      await refuses(() => readFile(existing, loose("utf8")), TypeError, /^Expected 'options' of readFile\(\) to be an object: received "utf8": pass \{ encoding: "utf8" \}$/);
      await refuses(() => readFile(existing, loose(null)), TypeError, /'options' of readFile\(\) to be an object: received null/);
      await refusedByOs(() => readFile(dir), "EISDIR", dir);
      await refusedByOs(() => readFile(join(dir, "missing.txt")), "ENOENT", join(dir, "missing.txt"));

      await refuses(() => writeFile("", "x"), TypeError, /'path' to be a non-empty string: received ""/);
      await refuses(() => writeFile(loose(null), "x"), TypeError, /'path'.*received null/);
      for (const [data, shown] of [[5, "number"], [null, "null"], [{}, "object"], [undefined, "undefined"]] as const) {
        await refuses(
          () => writeFile(target, loose(data)),
          TypeError,
          new RegExp(`^Expected 'data' to be a string or a Uint8Array: received ${shown} \\(writing '.*never-created\\.bin'\\): nothing was written$`),
        );
        // Not even an existing file is truncated.
        await refuses(() => writeFile(existing, loose(data)), TypeError, /'data'/);
      }
      await refuses(() => writeFile(existing, "x", { flag: loose("r") }), TypeError, /^Expected 'flag' to be "w", "a" or "x": received "r"$/);
      await refuses(() => writeFile(existing, "x", loose("utf8")), TypeError, /^Expected 'options' of writeFile\(\) to be an object: received "utf8"/);
      await refuses(() => writeFile(existing, "x", loose({ signal: "soon" })), TypeError, /'signal'.*received string/);
      await refusedByOs(() => writeFile(dir, "x"), "EISDIR", dir);
      await refusedByOs(() => writeFile(join(dir, "no-parent", "x.txt"), "x"), "ENOENT", join(dir, "no-parent", "x.txt"));
      await refusedByOs(() => writeFile(existing, "x", { flag: "x" }), "EEXIST", existing);
      assert.deepEqual(snapshot(dir), before);
      assert.equal(readFileSync(existing, "utf8"), "keep me");
    });
  });
});

void describe("subprocess: bad programs, arguments and options start nothing", () => {
  void test("createSubprocessExec() refuses bad arguments and options, naming them", async () => {
    await withoutLeaks(async () => {
      await refuses(() => createSubprocessExec(""), TypeError, /^Expected 'program' to be a non-empty string: received ""$/);
      await refuses(() => createSubprocessExec(loose(null)), TypeError, /'program'.*received null/);
      await refuses(() => createSubprocessShell(""), TypeError, /^Expected 'command' to be a non-empty string: received ""$/);
      await refuses(() => createSubprocessExec("true", loose([1])), TypeError, /^Expected 'args' to be an array of strings: received an array with a non-string item$/);
      await refuses(() => createSubprocessExec("true", loose("-l")), TypeError, /'args'.*received "-l"/);
      await refuses(() => createSubprocessExec("true", loose(null)), TypeError, /'args'.*received null/);
      for (const limit of [0, -1, Number.NaN, 1.5, Infinity]) {
        await refuses(() => createSubprocessExec("true", [], { limit }), RangeError, new RegExp(`^Expected 'limit' to be a positive integer: received ${String(limit)}$`));
      }
      for (const value of ["pipe2", "stdout", -1, 1.5, true, {}]) {
        await refuses(() => createSubprocessExec("true", [], { stdin: loose(value) }), TypeError, /^Expected 'stdin' to be PIPE, DEVNULL, INHERIT or a file descriptor: received /);
      }
      await refuses(() => createSubprocessExec("true", [], { stdout: loose("stdout") }), TypeError, /'stdout'.*received "stdout"/);
      await refuses(() => createSubprocessExec("true", [], { stdin: PIPE, stdout: 987 }), TypeError, /^Expected 'stdout' to be an open file descriptor: received 987, which is not open$/);
      await refuses(() => createSubprocessExec("true", [], { cwd: loose(5) }), TypeError, /^Expected 'cwd' to be a string or a URL: received 5$/);
      await refuses(() => createSubprocessExec("true", [], { env: loose("PATH=/bin") }), TypeError, /'env'.*received "PATH=\/bin"/);
      await refuses(() => createSubprocessExec("true", [], { gracePeriod: -1 }), RangeError, /'gracePeriod'.*received -1/);
      await refuses(() => createSubprocessExec("true", [], loose("pipe")), TypeError, /^Expected 'options' to be an object: received "pipe"$/);
      await refuses(() => createSubprocessExec("true", [], { signal: loose({}) }), TypeError, /'signal'.*AbortSignal/);
      assert.deepEqual(childPids(), []);
    });
  });

  void test("a program that does not exist, is not executable, or a bad cwd: one error naming it", async () => {
    await withoutLeaks(async () => {
      const notExecutable = join(dir, "not-executable.sh");
      writeFileSync(notExecutable, "#!/bin/sh\necho hi\n");
      chmodSync(notExecutable, 0o644);
      const check = (code: string, message: RegExp) => (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { code?: string }).code, code);
        assert.match(error.message, message);
        return true;
      };
      await assert.rejects(createSubprocessExec("taskio-no-such-program"), check("ENOENT", /^Cannot run "taskio-no-such-program": no such program \(ENOENT\): check its name and PATH$/));
      await assert.rejects(createSubprocessExec(join(dir, "missing-program")), check("ENOENT", /^Cannot run ".*missing-program": no such program/));
      await assert.rejects(createSubprocessExec(notExecutable), check("EACCES", /^Cannot run ".*not-executable\.sh": permission denied \(EACCES\): is it executable\?$/));
      await assert.rejects(createSubprocessExec(dir), check("EACCES", /^Cannot run ".*": permission denied/));
      const missingDir = join(dir, "no-such-dir");
      await assert.rejects(createSubprocessExec("true", [], { cwd: missingDir }), check("ENOENT", /^Cannot run "true": the working directory does not exist: '.*no-such-dir'$/));
      await assert.rejects(createSubprocessExec("true", [], { cwd: notExecutable }), check("ENOTDIR", /^Cannot run "true": the working directory is not a directory \(ENOTDIR\): '.*not-executable\.sh'$/));
      assert.deepEqual(childPids(), []);
    });
  });
});

void describe("sync, retry, maps and durations: bad sizes and options", () => {
  void test("Semaphore, BoundedSemaphore, Barrier and the queues refuse bad sizes", () => {
    for (const value of [-1, Number.NaN, 1.5, Infinity]) {
      refusesSync(() => new Semaphore(value), RangeError, new RegExp(`^Expected 'value' to be a non-negative integer: received ${String(value)}`));
      refusesSync(() => new BoundedSemaphore(value), RangeError, new RegExp(`^Expected 'value' to be a non-negative integer: received ${String(value)}`));
    }
    refusesSync(() => new Semaphore(loose("2")), RangeError, /'value'.*received "2"/);
    for (const parties of [0, -1, Number.NaN, 1.5]) {
      refusesSync(() => new Barrier(parties), RangeError, new RegExp(`^Expected 'parties' to be a positive integer: received ${String(parties)}`));
    }
    for (const make of [(o: unknown) => new Queue(loose(o)), (o: unknown) => new PriorityQueue(loose(o)), (o: unknown) => new LifoQueue(loose(o))]) {
      refusesSync(() => make(Number.NaN), RangeError, /^Expected 'maxsize' to be an integer or Infinity: received NaN/);
      refusesSync(() => make(1.5), RangeError, /'maxsize'.*received 1\.5/);
      refusesSync(() => make({ maxsize: "5" }), RangeError, /'maxsize'.*received "5"/);
      // A string or null is not quietly taken for "unbounded".
      refusesSync(() => make("5"), TypeError, /^Expected 'options' to be \{ maxsize \} or the maxsize itself: received "5"$/);
      refusesSync(() => make(null), TypeError, /'options'.*received null/);
    }
    // As in asyncio, a maxsize of 0 or less means unbounded (documented): not an error.
    assert.equal(new Queue(-1).statistics().maxsize, Infinity);
  });

  void test("retry() options, mapConcurrent and iterConcurrent concurrency", async () => {
    await withoutLeaks(async () => {
      const ok = (): Promise<number> => Promise.resolve(1);
      let calls = 0;
      const counted = (): Promise<number> => Promise.resolve(++calls);
      for (const attempts of [0, -1, Number.NaN, 1.5]) {
        await refuses(() => retry(counted, { attempts }), RangeError, new RegExp(`^Expected 'attempts' to be a positive integer or Infinity: received ${String(attempts)}`));
      }
      await refuses(() => retry(counted, { baseDelay: -1 }), RangeError, /'baseDelay'.*received -1/);
      await refuses(() => retry(counted, { baseDelay: Number.NaN }), RangeError, /'baseDelay'.*received NaN/);
      await refuses(() => retry(counted, { maxDelay: -5 }), RangeError, /'maxDelay'.*received -5/);
      await refuses(() => retry(counted, { factor: 0.5 }), RangeError, /'factor'.*received 0\.5/);
      await refuses(() => retry(counted, { jitter: loose("bogus") }), TypeError, /^Expected 'jitter' to be "full", "equal" or "none": received "bogus"$/);
      await refuses(() => retry(counted, { retryIf: loose(5) }), TypeError, /'retryIf'.*function/);
      await refuses(() => retry(loose(5)), TypeError, /'fn'/);
      assert.equal(calls, 0, "retry() called fn despite bad options");
      for (const concurrency of [0, -1, Number.NaN, 1.5]) {
        await refuses(() => mapConcurrent([1, 2], ok, { concurrency }), RangeError, new RegExp(`'concurrency'.*received ${String(concurrency)}`));
        await refuses(
          async () => {
            for await (const _ of iterConcurrent([1, 2], ok, { concurrency })) assert.fail("iterConcurrent ran with a bad concurrency");
          },
          RangeError,
          new RegExp(`'concurrency'.*received ${String(concurrency)}`),
        );
      }
      await refuses(() => mapConcurrent(loose(5), ok, { concurrency: 1 }), TypeError, /'items'.*received 5/);
      await refuses(() => mapConcurrent([1], ok, loose(null)), TypeError, /^Expected 'options' to be an object such as \{ concurrency: 8 \}: received null/);
      // Infinity: mapConcurrent runs everything at once (documented); the lazy iterConcurrent,
      // which buffers up to 2 * concurrency results, needs a bound.
      assert.deepEqual(await mapConcurrent([1, 2], ok, { concurrency: Infinity }), [1, 1]);
      await refuses(
        async () => {
          for await (const _ of iterConcurrent([1, 2], ok, { concurrency: Infinity })) assert.fail("iterConcurrent ran unbounded");
        },
        RangeError,
        /^Expected 'concurrency' to be a positive integer: received Infinity/,
      );
    });
  });

  void test("sleep, waitFor, timeout and moveOnAfter refuse bad durations", async () => {
    await withoutLeaks(async () => {
      const ok = (): Promise<number> => Promise.resolve(1);
      for (const [ms, shown] of [[Number.NaN, "NaN"], [-1, "-1"], ["5", '"5"'], [null, "null"]] as const) {
        const message = new RegExp(`^Expected 'ms' to be a non-negative number of milliseconds or Infinity: received ${shown}`);
        await refuses(() => sleep(loose(ms)), RangeError, message);
        await refuses(() => waitFor(ok, loose(ms)), RangeError, message);
        await refuses(() => timeout(loose(ms), ok), RangeError, message);
        await refuses(() => moveOnAfter(loose(ms), ok), RangeError, message);
      }
      for (const [options, shown] of [[null, "null"], ["x", '"x"']] as const) {
        await refuses(() => sleep(1, loose(options)), TypeError, new RegExp(`^Expected 'options' to be an object such as \\{ signal \\}: received ${shown}`));
      }
    });
  });
});

void describe("streams: bad ports, hosts, limits and options open nothing", () => {
  void test("openConnection() and startServer() refuse bad arguments before any socket exists", async () => {
    await withoutLeaks(async () => {
      const handler = async (): Promise<void> => {};
      for (const [port, shown] of [[-1, "-1"], [65536, "65536"], ["x", '"x"'], ["80", '"80"'], [1.5, "1.5"], [Number.NaN, "NaN"]] as const) {
        const message = new RegExp(`^Expected 'port' to be an integer from 0 to 65535: received ${shown}$`);
        await refuses(() => openConnection("127.0.0.1", loose(port)), RangeError, message);
        await refuses(() => startServer(handler, "127.0.0.1", loose(port)), RangeError, message);
      }
      await refuses(() => openConnection("", 80), TypeError, /^Expected 'host' to be a non-empty string: received ""$/);
      await refuses(() => openConnection(loose(5), 80), TypeError, /'host'.*received 5/);
      await refuses(() => startServer(handler, "", 0), TypeError, /'host'.*received ""/);
      for (const limit of [0, -1, Number.NaN, 1.5]) {
        const message = new RegExp(`^Expected 'limit' to be a positive integer: received ${String(limit)}$`);
        await refuses(() => openConnection("127.0.0.1", 9, { limit }), RangeError, message);
        await refuses(() => startServer(handler, "127.0.0.1", 0, { limit }), RangeError, message);
        refusesSync(() => new StreamReader({ limit }), RangeError, message);
      }
      await refuses(() => startServer(handler, "127.0.0.1", 0, { backlog: 0 }), RangeError, /'backlog'.*received 0/);
      await refuses(() => openConnection("127.0.0.1", 9, loose("fast")), TypeError, /^Expected 'options' to be an object: received "fast"$/);
      await refuses(() => startServer(handler, "127.0.0.1", 0, loose("fast")), TypeError, /^Expected 'options' to be an object: received "fast"$/);
      await refuses(() => startServer(loose(5), "127.0.0.1", 0), TypeError, /^Expected 'handler' to be a function/);
      await refuses(() => openUnixConnection(""), TypeError, /'path'.*received ""/);
      await refuses(() => startUnixServer(handler, ""), TypeError, /'path'.*received ""/);
      await refuses(() => openConnection("127.0.0.1", 9, { signal: loose("x") }), TypeError, /'signal'/);
    });
  });
});

void describe("executor: bad pools, handles and calls", () => {
  void test("pool constructors refuse bad options, naming them; no worker starts", async () => {
    await withoutLeaks(async () => {
      for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
        for (const [maxWorkers, shown] of [[0, "0"], [-1, "-1"], [Number.NaN, "NaN"], [1.5, "1.5"], [Infinity, "Infinity"], ["2", '"2"']] as const) {
          refusesSync(() => new Pool({ maxWorkers: loose(maxWorkers) }), RangeError, new RegExp(`^Expected 'maxWorkers' to be a positive integer: received ${shown}$`));
        }
        refusesSync(() => new Pool({ cancelGracePeriod: -1 }), RangeError, /^Expected 'cancelGracePeriod' to be a number of milliseconds >= 0: received -1$/);
        refusesSync(() => new Pool(loose(null)), TypeError, /^Expected 'options' to be an object: received null$/);
      }
      refusesSync(() => new ThreadPoolExecutor({ name: loose(5) }), TypeError, /^Expected 'name' to be a non-empty string: received 5$/);
      refusesSync(() => new ThreadPoolExecutor({ resourceLimits: loose(64) }), TypeError, /^Expected 'resourceLimits' to be an object.*: received 64$/);
      refusesSync(() => new ProcessPoolExecutor({ execArgv: loose("--inspect") }), TypeError, /^Expected 'execArgv' to be an array of strings.*: received "--inspect"$/);
      refusesSync(() => new ProcessPoolExecutor({ env: loose("PATH=/bin") }), TypeError, /^Expected 'env' to be an object.*: received "PATH=\/bin"$/);
      refusesSync(() => defineTask("tasks.js", "t", () => 1), TypeError, /^Expected 'moduleUrl' to be the defining module's URL \(pass import\.meta\.url\): received 'tasks\.js'$/);
      refusesSync(() => defineTask(import.meta.url, "", () => 1), TypeError, /'name'.*received ''/);
      refusesSync(() => defineTask(import.meta.url, "t", loose(5)), TypeError, /'fn'.*received number/);
      assert.deepEqual(childPids(), []);
    });
  });

  for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
    void test(`${Pool.name}: a missing task module, bad calls, and calls after shutdown`, async () => {
      await withoutLeaks(async () => {
        const pool = new Pool({ maxWorkers: 1 });
        try {
          await assert.rejects(runInExecutor(pool, ghost), (error: unknown) => {
            assert.ok(error instanceof TaskNotFoundError, String(error));
            assert.equal(error.moduleUrl, missingUrl);
            assert.match(error.message, /^Task module failed to load in the worker: file:\/\/.*no-such-tasks-\d+\.js: .*define task 'ghost' in a module that exists/);
            return true;
          });
          await refuses(() => runInExecutor(pool, loose(5)), TypeError, /^Expected 'task' to be a handle returned by defineTask/);
          await refuses(() => pool.run(tasks.add, loose("1, 2")), TypeError, /^Expected 'args' to be an array: received string$/);
          await refuses(() => pool.run(tasks.add, [1, 2], loose("fast")), TypeError, /^Expected 'options' to be an object: received string$/);
          await refuses(() => pool.run(tasks.add, [1, 2], { transfer: loose(5) }), TypeError, /^Expected 'transfer' to be an array.*: received number$/);
          await refuses(() => pool.run(tasks.add, [1, 2], { signal: loose(5) }), TypeError, /'signal'.*received number/);
          refusesSync(() => pool.submit(loose(5)), TypeError, /'task'/);
          await refuses(async () => {
            for await (const _ of pool.map(tasks.echo, loose(5))) assert.fail("map ran");
          }, TypeError, /^Expected 'items' to be an iterable: received number$/);
          await refuses(() => pool.shutdown(loose("now")), TypeError, /^Expected 'options' to be an object: received string$/);
          // The pool still works.
          assert.equal(await runInExecutor(pool, tasks.add, 2, 3), 5);
        } finally {
          await pool.shutdown();
        }
        assert.equal(pool.statistics().workers, 0);
        const closed = /^The (thread|process) executor is shut down: cannot run task 'add'; create a new executor$/;
        await refuses(() => runInExecutor(pool, tasks.add, 1, 1), ClosedResourceError, closed);
        await refuses(async () => await pool.submit(tasks.add, 1, 1), ClosedResourceError, closed);
        await refuses(async () => {
          for await (const _ of pool.map(tasks.echo, [1])) assert.fail("map ran");
        }, ClosedResourceError, /is shut down: cannot run task 'echo'/);
        assert.equal(pool.statistics().workers, 0);
        await pool.shutdown();
      });
      assert.deepEqual(childPids(), []);
    });
  }
});
