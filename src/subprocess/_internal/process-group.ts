/**
 * Signalling a child's whole process group, and telling whether any of it is still alive.
 *
 * Children are spawned `detached` (their own session and process group, pgid = pid), so one
 * `kill(-pgid, signal)` reaches the child and every descendant that stayed in the group: this is
 * how taskio stops a process tree on Node 20, where execa's tree kill needs Node 22.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** Sends `signal` to every process of the group; false when the group no longer exists. @internal */
export function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left (EPERM cannot happen for our own children)
  }
}

/** Sends `signal` to one process; false when it is gone. @internal */
export function signalProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const hasProc = process.platform === "linux";

/**
 * The pids of the group's members that still run. A zombie (dead, waiting to be reaped by its
 * parent, or by an init that may never reap it in a container) does not count: `kill(-pgid, 0)`
 * alone would say "alive" for it, so on Linux /proc is read; elsewhere `kill(-pgid, 0)` is used.
 * @internal
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!hasProc) return true;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  const group = String(pgid);
  for (const entry of entries) {
    const code = entry.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[2] === group && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}
