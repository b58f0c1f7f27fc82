/**
 * Seed section 2: async context managers. Python's `async with` is `await using`: the
 * resource's Symbol.asyncDispose runs when the block ends, even when the block throws.
 */
import { AsyncExitStack, sleep } from "../../../index.js";
import type { DemoSection } from "../section.js";

/** Seed section 2, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 2,
  title: "async context managers: await using",
  async run({ log }) {
    const events: string[] = [];
    const say = (line: string): void => {
      events.push(line);
      log(line);
    };
    class AsyncResource implements AsyncDisposable {
      // Python's __aenter__: an async factory, since constructors cannot await.
      static async open(): Promise<AsyncResource> {
        say("Opening resource...");
        await sleep(500);
        say("Resource opened");
        return new AsyncResource();
      }
      // Python's __aexit__
      async [Symbol.asyncDispose](): Promise<void> {
        say("Closing resource...");
        await sleep(500);
        say("Resource closed");
      }
    }
    let blockError: string | undefined;
    try {
      await using _resource = await AsyncResource.open();
      say("Using resource...");
      throw new Error("the block failed");
    } catch (error) {
      blockError = (error as Error).message;
    }
    const closedAfterError = events.at(-1) === "Resource closed";
    log(`evidence: the block threw (${blockError ?? "nothing"}) and the resource was still closed: ${closedAfterError}`);

    // A variable number of resources: AsyncExitStack closes them in reverse order.
    const closedOrder: string[] = [];
    await AsyncExitStack.run(async (stack) => {
      for (const name of ["db", "cache", "socket"]) {
        stack.callback(async () => {
          await sleep(1);
          closedOrder.push(name);
        });
      }
    });
    log(`evidence: AsyncExitStack opened db, cache, socket and closed ${closedOrder.join(", ")}`);
    return { events, closedAfterError, closedOrder };
  },
};
