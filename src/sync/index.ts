/**
 * Synchronization primitives and queues (seed section 10), re-exported by the package root.
 *
 * @module
 */

export { Semaphore, BoundedSemaphore } from "./semaphore.js";
export type { SemaphoreStatistics } from "./semaphore.js";
export { Lock } from "./lock.js";
export type { LockStatistics } from "./lock.js";
export { Event } from "./event.js";
export type { EventStatistics } from "./event.js";
export { Condition } from "./condition.js";
export type { ConditionStatistics } from "./condition.js";
export { Barrier } from "./barrier.js";
export type { BarrierStatistics } from "./barrier.js";
export { Queue } from "./queue.js";
export type { QueueOptions, QueueStatistics } from "./queue.js";
export { PriorityQueue } from "./priority-queue.js";
export type { PriorityQueueOptions } from "./priority-queue.js";
export { LifoQueue } from "./lifo-queue.js";
export type { Permit, WaitOptions } from "./permit.js";
