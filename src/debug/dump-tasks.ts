import { allTasks, currentRoot, type ParentNode, type Task } from "../core/task.js";

/** Options for {@link dumpTasks}. */
export interface DumpTasksOptions {
  /** Dump only this task and its descendants. @default every task of the current run (or process) */
  root?: Task<unknown>;
  /** Include where each task was created (debug mode only). @default true */
  stacks?: boolean;
}

function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function line(task: Task<unknown>): string {
  let text = `Task '${task.name}' ${task.state}`;
  if (task.cancelling() > 0) text += ` (cancelling=${task.cancelling()})`;
  text += `, age ${formatAge(task.age)}`;
  const waits = task.waitingOn();
  if (waits.length > 0) text += `, waiting on ${waits.join(", ")}`;
  return text;
}

function render(tasks: Task<unknown>[], prefix: string, out: string[], stacks: boolean): void {
  tasks.forEach((task, index) => {
    const last = index === tasks.length - 1;
    out.push(`${prefix}${last ? "└── " : "├── "}${line(task)}`);
    const childPrefix = prefix + (last ? "    " : "│   ");
    if (stacks && task.creationStack !== undefined) {
      for (const frame of task.creationStack.split("\n").slice(0, 3)) out.push(`${childPrefix}  ${frame.trim()}`);
    }
    render(task.children(), childPrefix, out, stacks);
  });
}

function topLevel(node: ParentNode): Task<unknown>[] {
  const list: Task<unknown>[] = [];
  for (let task = node._firstChild; task !== undefined; task = task._nextSibling) list.push(task);
  return list.reverse();
}

/**
 * A readable tree of the live tasks: name, state, age, what each waits on, and (in debug mode)
 * where it was created. asyncio has no such thing built in (`all_tasks()` is a flat set);
 * this is what you look at when a program hangs.
 *
 * @example
 * ```ts
 * console.log(dumpTasks());
 * // Tasks (3):
 * // └── Task 'main' pending, age 1.20 s, waiting on gather(2 of 2 pending)
 * //     ├── Task 'fetch-1' pending, age 1.20 s, waiting on sleep(1500 ms)
 * //     └── Task 'fetch-2' pending, age 1.20 s, waiting on Semaphore(value=0)
 * ```
 */
export function dumpTasks(options: DumpTasksOptions = {}): string {
  const stacks = options.stacks ?? true;
  const roots = options.root !== undefined ? [options.root] : topLevel(currentRoot());
  const count = options.root !== undefined ? 1 + countBelow(options.root) : allTasks().size;
  const out: string[] = [`Tasks (${count}):`];
  render(roots, "", out, stacks);
  return out.join("\n");
}

function countBelow(task: Task<unknown>): number {
  let n = 0;
  for (const child of task.children()) n += 1 + countBelow(child);
  return n;
}
