import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CancelledError,
  IncompleteReadError,
  InvalidStateError,
  TaskGroupError,
  TaskioError,
  TimeoutError,
  isCancelled,
} from "../../src/index.js";

test("errors carry a stable code, a name and the cause", () => {
  const cause = new Error("root");
  const error = new TimeoutError("Timed out after 5 ms", { timeout: 5, cause });
  assert.equal(error.code, "ERR_TASKIO_TIMEOUT");
  assert.equal(error.name, "TimeoutError");
  assert.equal(error.cause, cause);
  assert.equal(error.timeout, 5);
  assert.ok(error instanceof TaskioError);
  assert.ok(!(error instanceof InvalidStateError));
  assert.equal(new InvalidStateError("x").code, "ERR_TASKIO_INVALID_STATE");
  const partial = new IncompleteReadError(new Uint8Array(3), 10);
  assert.equal(partial.partial.length, 3);
  assert.match(partial.message, /3 byte\(s\) read of 10 expected/);
});

test("subclasses defined outside taskio pass instanceof for their whole chain", () => {
  class AppError extends TaskioError {
    constructor(message: string) {
      super(message, "ERR_APP");
    }
  }
  class NotFound extends AppError {}
  const error = new NotFound("missing");
  assert.ok(error instanceof NotFound);
  assert.ok(error instanceof AppError);
  assert.ok(error instanceof TaskioError);
  assert.ok(!(new AppError("x") instanceof NotFound));
  assert.ok(!(error instanceof TimeoutError));
});

test("instanceof works across duplicate copies of the package (Symbol.for brand)", () => {
  // A copy of CancelledError from another copy of taskio carries the same global brand.
  const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
  foreign[Symbol.for("taskio.error.brand")] = new Set(["CancelledError"]);
  assert.ok((foreign as unknown) instanceof CancelledError);
  assert.ok(isCancelled(foreign));
});

test("TaskGroupError is an AggregateError that names the first failure", () => {
  const error = new TaskGroupError([new Error("first"), new Error("second")]);
  assert.ok(error instanceof AggregateError);
  assert.equal(error.errors.length, 2);
  assert.equal(error.message, "2 tasks of a TaskGroup failed: Error: first");
  assert.ok(!(error instanceof TaskioError), "an AggregateError, with the same code convention");
  assert.equal(error.code, "ERR_TASKIO_TASK_GROUP");
});
