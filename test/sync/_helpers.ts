import { run } from "../../src/index.js";
import { MockClock } from "../../src/testing/mock-clock.js";
import { withoutLeaks } from "../_helpers/leaks.js";

/** Runs `main` under run() with an autojumping MockClock, checking for leaks. */
export function virtual<T>(main: (clock: MockClock) => Promise<T>): Promise<T> {
  const clock = new MockClock({ autojump: true });
  return withoutLeaks(() => run(() => main(clock), { clock }));
}

/** Lets every pending promise callback and one macrotask turn run. */
export async function turn(times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}
