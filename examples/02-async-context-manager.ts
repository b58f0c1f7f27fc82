// Seed section 2: an async context manager. Python's `async with` is `await using` here:
// the resource's Symbol.asyncDispose runs when the block ends, whatever happened in it.
// Run: node dist/examples/02-async-context-manager.js
import { run, sleep } from "taskio";

class AsyncResource implements AsyncDisposable {
  // Python's __aenter__: an async factory, since constructors cannot await.
  static async open(): Promise<AsyncResource> {
    console.log("Opening resource...");
    await sleep(500);
    console.log("Resource opened");
    return new AsyncResource();
  }

  // Python's __aexit__
  async [Symbol.asyncDispose](): Promise<void> {
    console.log("Closing resource...");
    await sleep(500);
    console.log("Resource closed");
  }
}

async function main(): Promise<void> {
  await using _resource = await AsyncResource.open();
  console.log("Using resource...");
}

await run(main);
