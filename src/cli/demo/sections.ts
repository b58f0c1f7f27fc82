/**
 * The seed's patterns, live. Each section prints what the seed's example prints, plus the
 * evidence that the pattern worked (elapsed vs the sum of the waits, the timeout that fired...).
 */
import { gather, sleep, TimeoutError, waitFor } from "../../index.js";
import { Timeline } from "./timeline.js";

/** What a section can use: a line printer and a timeline. */
export interface DemoContext {
  log(line: string): void;
  timeline: Timeline;
}

/** One section of the tour. */
export interface DemoSection {
  id: number;
  title: string;
  /** Runs the section; returns the machine-readable evidence (`--json`). */
  run(context: DemoContext): Promise<Record<string, unknown>>;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

export const sections: DemoSection[] = [
  {
    id: 1,
    title: "async/await and the event loop: gather",
    async run({ log, timeline }) {
      const worker = (name: string, delay: number) =>
        timeline.track(name, async (): Promise<[string, number]> => {
          log(`${name} started`);
          await sleep(delay * 1000);
          log(`${name} finished after ${delay}s`);
          return [name, delay];
        });
      const started = performance.now();
      const results = await gather(
        () => worker("A", 1.5),
        () => worker("B", 1.0),
        () => worker("C", 0.5),
      );
      const elapsed = performance.now() - started;
      log(`Results: ${JSON.stringify(results)}`);
      log(`evidence: elapsed ${seconds(elapsed)} for waits summing to 3.00s: the workers ran concurrently`);
      return { results, elapsedMs: Math.round(elapsed), sumOfWaitsMs: 3000 };
    },
  },
  {
    id: 2,
    title: "async context managers: await using",
    async run({ log }) {
      const events: string[] = [];
      const say = (line: string): void => {
        events.push(line);
        log(line);
      };
      class AsyncResource implements AsyncDisposable {
        static async open(): Promise<AsyncResource> {
          say("Opening resource...");
          await sleep(500);
          say("Resource opened");
          return new AsyncResource();
        }
        async [Symbol.asyncDispose](): Promise<void> {
          say("Closing resource...");
          await sleep(500);
          say("Resource closed");
        }
      }
      try {
        await using _resource = await AsyncResource.open();
        say("Using resource...");
        throw new Error("the block failed");
      } catch (error) {
        log(`evidence: the block threw (${(error as Error).message}) and the resource was still closed`);
      }
      return { events, closedAfterError: events.at(-1) === "Resource closed" };
    },
  },
  {
    id: 9,
    title: "cancellation and timeouts: waitFor",
    async run({ log, timeline }) {
      let cleanedUp = false;
      const slowTask = () =>
        timeline.track("slow_task", async () => {
          try {
            await sleep(5000);
            return "done";
          } finally {
            cleanedUp = true;
          }
        });
      const started = performance.now();
      let timedOut = false;
      try {
        const result = await waitFor(slowTask, 2000);
        log(`Result: ${result}`);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        timedOut = true;
        log("Task timed out");
      }
      const elapsed = performance.now() - started;
      log(
        `evidence: the 5s task was cancelled at ${seconds(elapsed)} (limit 2.00s); its finally block ran: ${cleanedUp}`,
      );
      return { timedOut, elapsedMs: Math.round(elapsed), limitMs: 2000, innerCleanedUp: cleanedUp };
    },
  },
];
