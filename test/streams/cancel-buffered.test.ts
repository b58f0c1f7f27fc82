// Every read is a cancellation point, even when its data is already buffered: a task reading a
// fast stream in a loop must still stop when cancelled, and the bytes it did not take stay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CancelledError, createTask, run } from "../../src/index.js";
import { StreamReader } from "../../src/streams/index.js";

const reads: Record<string, (reader: StreamReader) => Promise<unknown>> = {
  readLine: (reader) => reader.readLine(),
  read: (reader) => reader.read(2),
  readExactly: (reader) => reader.readExactly(2),
  readUntil: (reader) => reader.readUntil("\n"),
  "async iteration": async (reader) => {
    for await (const line of reader) return line;
    return undefined;
  },
};

for (const [name, readOnce] of Object.entries(reads)) {
  test(`${name}: a cancelled task stops at a buffered read and takes nothing`, async () => {
    await run(async () => {
      const reader = new StreamReader();
      reader.feedData(Buffer.from("a\nb\nc\n"));
      let taken = 0;
      const task = createTask(async () => {
        await Promise.resolve(); // a foreign await: the cancellation waits for the next taskio await
        for (;;) {
          await readOnce(reader);
          taken++;
        }
      });
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.equal(taken, 0);
      assert.equal(reader.buffered, 6, "no byte was consumed by the cancelled read");
    });
  });
}
