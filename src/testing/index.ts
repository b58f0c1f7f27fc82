/**
 * Test helpers: virtual time. `import { MockClock } from "taskio/testing"`.
 * @module
 */
export { MockClock } from "./mock-clock.js";
export type { MockClockOptions } from "./mock-clock.js";
