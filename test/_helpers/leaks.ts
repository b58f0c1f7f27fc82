/**
 * Leak checks shared by every test file: after a test, no task of the process may be left, and
 * no timer, socket, child process or worker that the test created may still be open.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { allTasks } from "../../src/index.js";

/** The kinds of active resources, counted (`process.getActiveResourcesInfo()`). */
export function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Waits a few turns of the event loop so closed handles disappear from the active list. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `fn`, then asserts that it left no task running outside any run() and no more active
 * resources of any kind than before (timers, sockets, child processes, workers...).
 */
export async function withoutLeaks<T>(fn: () => Promise<T>): Promise<T> {
  await settle();
  const before = resourceCounts();
  const result = await fn();
  // Handles close asynchronously: allow a short grace period, judged by polling, not by timing.
  let leaked: string[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    await settle();
    const after = resourceCounts();
    leaked = [];
    for (const [kind, count] of after) {
      const was = before.get(kind) ?? 0;
      if (count > was) leaked.push(`${kind}: ${was} -> ${count}`);
    }
    if (leaked.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(leaked, [], `resources leaked: ${leaked.join(", ")}`);
  assert.equal(allTasks().size, 0, "tasks left running outside run()");
  return result;
}

/**
 * Waits until `condition()` holds, polling the event loop (a turn at a time, then every 2 ms),
 * and fails naming `what` after `timeoutMs`: ordering-based, never a tight wall-clock limit.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let turn = 0; !condition(); turn++) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    if (turn < 200) await new Promise((resolve) => setImmediate(resolve));
    else await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The live (or not yet reaped) child processes of this process, from /proc/<pid>/stat. */
export function childPids(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === process.pid) children.push(Number(entry));
  }
  return children;
}
