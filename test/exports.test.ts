// The package's public surface: each subpath of the exports map exposes exactly these names.
// A name added or removed on purpose is added or removed here too; an accident fails the test.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const expected: Record<string, string[]> = {
  taskio: [
    "AsCompleted", "AsyncContextManager", "AsyncExitStack", "Barrier", "BoundedSemaphore", "BrokenBarrierError",
    "BrokenResourceError", "CancelledError", "ClosedResourceError", "Condition", "Event", "IncompleteReadError",
    "InvalidStateError", "LifoQueue", "LimitOverrunError", "Lock", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull",
    "QueueShutDown", "Semaphore", "Task", "TaskGroup", "TaskGroupError", "TaskioError", "TimeoutError", "allTasks",
    "asCompleted", "asyncContextManager", "batched", "cancellable", "createTask", "currentSignal", "currentTask",
    "dumpTasks", "gather", "isCancelled", "iterConcurrent", "mapConcurrent", "moveOnAfter", "onSlowCallback", "retry",
    "run", "setExceptionHandler", "shield", "sleep", "timeout", "waitFor",
  ],
  "taskio/streams": [
    "Connection", "DEFAULT_LIMIT", "Server", "ServerSocket", "StreamReader", "StreamWriter", "openConnection",
    "openUnixConnection", "readerFromStream", "startServer", "startUnixServer",
  ],
  "taskio/files": ["AsyncFile", "open", "readFile", "writeFile"],
  "taskio/http": [
    "ChecksumMismatchError", "ClientConnectionError", "ClientError", "ClientPayloadError", "ClientResponse",
    "ClientResponseError", "ClientSession", "ClientTimeoutError", "ResponseContent", "ResponseTooLargeError",
    "TooManyRedirectsError", "download",
  ],
  "taskio/executor": [
    "BrokenWorkerError", "Executor", "ProcessPoolExecutor", "TaskNotFoundError", "ThreadPoolExecutor", "defineTask",
    "getDefaultExecutor", "runInExecutor", "taskSignal", "toThread", "transfer",
  ],
  "taskio/subprocess": ["DEVNULL", "INHERIT", "PIPE", "Process", "STDOUT", "createSubprocessExec", "createSubprocessShell"],
  "taskio/debug": ["allTasks", "currentTask", "dumpTasks", "onSlowCallback", "setExceptionHandler"],
  "taskio/testing": ["MockClock"],
};

test("the exports map lists exactly the documented subpaths", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    exports: Record<string, unknown>;
  };
  const subpaths = Object.keys(pkg.exports).filter((key) => key !== "./package.json");
  const names = Object.keys(expected).map((name) => (name === "taskio" ? "." : `./${name.slice("taskio/".length)}`));
  assert.deepEqual(subpaths.sort(), names.sort());
});

for (const [specifier, names] of Object.entries(expected)) {
  test(`${specifier} exposes exactly its intended names`, async () => {
    const module = (await import(specifier)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(module).sort(), [...names].sort());
  });
}

test("the root entry loads nothing heavy (no undici, no worker pool)", async () => {
  const { spawnSync } = await import("node:child_process");
  const script =
    "await import('taskio'); const { createRequire } = await import('node:module');" +
    "const loaded = Object.keys(createRequire(import.meta.url).cache); console.log(JSON.stringify(loaded.filter((p) => p.includes('undici'))));";
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: new URL("../../", import.meta.url).pathname,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), "[]");
});
