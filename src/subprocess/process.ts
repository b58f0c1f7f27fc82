/**
 * {@link Process}: a running child process with stream pipes, waiting, signals, and a clean
 * stop of its whole process tree. asyncio: `asyncio.subprocess.Process`.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { checkpoint, suspend, validateSignal, type Suspension } from "../core/suspend.js";
import { getCurrentTask } from "../core/task.js";
import { onRunExit } from "../core/run.js";
import { StreamReader, readerFromStream } from "../streams/reader.js";
import { StreamWriter } from "../streams/writer.js";
import { groupAlive, signalGroup, signalProcess } from "./_internal/process-group.js";

/** Options of {@link Process.wait} and {@link Process.communicate}. */
export interface ProcessWaitOptions {
  /** Aborting it stops the wait like a cancellation does: the process tree is stopped. */
  signal?: AbortSignal;
}

/** What {@link Process.communicate} returns: everything the child wrote to its pipes. */
export interface CommunicateResult {
  /** All of stdout, or `null` when stdout was not `PIPE`. */
  stdout: Buffer | null;
  /** All of stderr, or `null` when stderr was not `PIPE`. */
  stderr: Buffer | null;
}

/** @internal How the spawner configured the process. */
export interface ProcessInit {
  readonly child: ChildProcess;
  readonly program: string;
  readonly pipes: { readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean };
  readonly limit: number | undefined;
  readonly gracePeriod: number;
  readonly signal: AbortSignal | undefined;
}

/** Every process not yet disposed, to stop them when Node exits. */
const live = new Set<Process>();
/** The processes of each run(), to dispose of the ones left when the run ends. */
const byRun = new WeakMap<object, Set<Process>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children live in their own process groups, so the terminal's Ctrl-C no longer reaches them:
  // when Node exits, nothing may be left behind. There is no time to be gentle here.
  process.on("exit", () => {
    for (const proc of live) proc._killNow();
  });
}

const POLL_MS = 20;
/** How long to wait for SIGKILLed descendants to vanish. */
const KILL_WAIT_MS = 2000;

/**
 * A child process started by `createSubprocessExec()` or `createSubprocessShell()`.
 * asyncio: `asyncio.subprocess.Process`.
 *
 * The child runs in its own process group. Cancelling a task that waits in {@link wait} or
 * {@link communicate} stops the whole tree: SIGTERM to the group, SIGKILL after the grace period
 * (`gracePeriod`, 5 s by default), and the wait ends only once the child was reaped — no zombie,
 * no orphaned grandchild. `await using` kills and reaps (asyncio has no such guarantee; plain
 * `child_process` leaves grandchildren running).
 *
 * Caveat (as in asyncio): with `stdout: PIPE`, a child that writes a lot blocks once the pipe and
 * the reader's buffer (`2 × limit`) are full; read its output, or use {@link communicate}, before
 * or while you {@link wait}.
 *
 * @example The seed's example: reading a command's output line by line
 * ```ts
 * await using proc = await createSubprocessExec("python", ["--version"], { stdout: PIPE, stderr: PIPE });
 * async function readStream(stream: StreamReader, name: string) {
 *   for await (const line of stream) console.log(`[${name}] ${line.toString().trimEnd()}`);
 * }
 * await gather(() => readStream(proc.stdout!, "stdout"), () => readStream(proc.stderr!, "stderr"));
 * console.log(await proc.wait());
 * ```
 */
export class Process implements AsyncDisposable {
  /** The process id (also its process group id). */
  readonly pid: number;
  /** The child's stdin, when it was `PIPE`. asyncio: `proc.stdin`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, when it was `PIPE`. asyncio: `proc.stdout`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, when it was `PIPE`. asyncio: `proc.stderr`. */
  readonly stderr: StreamReader | null;
  readonly #child: ChildProcess;
  readonly #program: string;
  readonly #gracePeriod: number;
  #returncode: number | null = null;
  #exitWaiters = new Set<Suspension<number>>();
  #exited: Promise<void>;
  #markExited!: () => void;
  /** The group was seen empty after the child exited: never signal its (reusable) id again. */
  #groupGone = false;
  #stopping: Promise<void> | undefined = undefined;
  #disposing: Promise<void> | undefined = undefined;
  #signal: AbortSignal | undefined;
  #run: Set<Process> | undefined = undefined;

  /** @internal Use `createSubprocessExec()` / `createSubprocessShell()`. */
  constructor(init: ProcessInit) {
    const child = init.child;
    this.#child = child;
    this.#program = init.program;
    this.#gracePeriod = init.gracePeriod;
    this.pid = child.pid as number;
    const limitOption = init.limit === undefined ? undefined : { limit: init.limit };
    this.stdin = init.pipes.stdin && child.stdin !== null ? new StreamWriter(child.stdin) : null;
    this.stdout = init.pipes.stdout && child.stdout !== null ? readerFromStream(child.stdout, limitOption) : null;
    this.stderr = init.pipes.stderr && child.stderr !== null ? readerFromStream(child.stderr, limitOption) : null;
    this.#exited = new Promise<void>((resolve) => (this.#markExited = resolve));
    child.on("exit", (code, signal) => this.#onExit(code, signal));
    child.on("close", () => {
      // Exited and every pipe closed: once its group is empty too (zombies left to an init that
      // never reaps them do not count), nothing is left to clean up.
      if (!groupAlive(this.pid)) {
        this.#groupGone = true;
        this.#forget();
      }
    });
    // After a successful spawn Node reports only failed kill()/send() here; taskio signals with
    // process.kill, so this is a safety net that keeps an 'error' from crashing the process.
    child.on("error", () => {});
    installExitHook();
    live.add(this);
    const run = (getCurrentTask() as { _run?: object } | undefined)?._run;
    if (run !== undefined) {
      let procs = byRun.get(run);
      if (procs === undefined) {
        const created = new Set<Process>();
        procs = created;
        byRun.set(run, created);
        onRunExit(() => Promise.all([...created].map((proc) => proc[Symbol.asyncDispose]())).then(() => {}));
      }
      procs.add(this);
      this.#run = procs;
    }
    const signal = init.signal;
    if (signal !== undefined) {
      this.#signal = signal;
      signal.addEventListener("abort", this);
    }
  }

  /** The exit code once the child has exited (`-N` when killed by signal N), else `null`. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /** The underlying Node `ChildProcess`, for what taskio does not wrap (IPC, `unref`...). */
  get child(): ChildProcess {
    return this.#child;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#returncode = code ?? -((signal === null ? 0 : constants.signals[signal]) || 0);
    this.#markExited();
    this.#signal?.removeEventListener("abort", this);
    this.#signal = undefined;
    const waiters = this.#exitWaiters;
    if (waiters.size > 0) {
      this.#exitWaiters = new Set();
      for (const waiter of waiters) waiter.resume(this.#returncode);
    }
  }

  /** @internal The `signal` option was aborted: stop the tree. */
  handleEvent(): void {
    void this.#terminateTree();
  }

  /**
   * Waits for the child to exit and returns its exit code. asyncio: `wait()`.
   *
   * @throws {CancelledError} when the task is cancelled: the process tree is stopped (SIGTERM,
   * then SIGKILL after the grace period) and reaped before this rejects.
   * @example
   * ```ts
   * const code = await proc.wait();
   * ```
   */
  async wait(options?: ProcessWaitOptions): Promise<number> {
    const signal = validateSignal(options?.signal);
    if (this.#returncode !== null) {
      checkpoint(signal);
      return this.#returncode;
    }
    try {
      const waiter = suspend<number>(
        () => `Process.wait() pid ${this.pid} (${this.#program})`,
        (abandoned) => {
          this.#exitWaiters.delete(abandoned);
        },
        signal,
      );
      this.#exitWaiters.add(waiter);
      return await waiter.promise;
    } catch (error) {
      await this.#terminateTree();
      throw error;
    }
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr to their end at the same
   * time, and waits for the child to exit: no deadlock however much it writes on both pipes.
   * asyncio: `communicate(input)`, which returns a `(stdout, stderr)` tuple.
   *
   * @param input Data for stdin; requires `stdin: PIPE`. Strings are written as UTF-8.
   * @throws {TypeError} when `input` is given and stdin is not a pipe.
   * @throws {CancelledError} when cancelled: the tree is stopped and reaped first.
   * @example
   * ```ts
   * const proc = await createSubprocessExec("sort", [], { stdin: PIPE, stdout: PIPE });
   * const { stdout } = await proc.communicate("b\na\n");
   * ```
   */
  async communicate(input?: string | Uint8Array, options?: ProcessWaitOptions): Promise<CommunicateResult> {
    const signal = validateSignal(options?.signal);
    if (input !== undefined) {
      if (this.stdin === null) throw new TypeError("Expected 'stdin' to be PIPE to send input: the process was started without it");
      if (typeof input !== "string" && !(input instanceof Uint8Array)) {
        throw new TypeError(`Expected 'input' to be a string or a Uint8Array: received ${typeof input}`);
      }
    }
    checkpoint(signal);
    const stdin = this.stdin;
    if (stdin !== null && !stdin.isClosing()) {
      // A child that exits without reading its input breaks the pipe: asyncio ignores that too.
      try {
        if (input !== undefined) stdin.write(input);
        stdin.close();
      } catch {
        // already closed
      }
    }
    const opts = signal === undefined ? undefined : { signal };
    try {
      const [stdout, stderr] = await Promise.all([
        this.stdout === null ? null : this.stdout.read(-1, opts),
        this.stderr === null ? null : this.stderr.read(-1, opts),
        this.wait(opts),
      ]);
      return { stdout, stderr };
    } catch (error) {
      await this.#terminateTree();
      throw error;
    }
  }

  /**
   * Sends `signal` to the child (with `{ group: true }`, to its whole process group). Does
   * nothing once the child has exited. asyncio: `send_signal()`.
   * @param signal A signal name (`"SIGTERM"`) or number.
   */
  sendSignal(signal: NodeJS.Signals | number, options?: { group?: boolean }): void {
    if (typeof signal !== "string" && typeof signal !== "number") {
      throw new TypeError(`Expected 'signal' to be a signal name or number: received ${typeof signal}`);
    }
    if (options?.group === true) {
      if (!this.#groupGone) signalGroup(this.pid, signal);
      return;
    }
    if (this.#returncode === null) signalProcess(this.pid, signal);
  }

  /** Sends SIGTERM to the child. asyncio: `terminate()`. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Sends SIGKILL to the child. asyncio: `kill()`. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /**
   * Kills the process tree at once (SIGKILL to the group), waits until the child is reaped, and
   * closes the pipes. Idempotent. Data already buffered in `stdout`/`stderr` can still be read.
   */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposing !== undefined) return this.#disposing;
    this.#disposing = (async () => {
      this._killNow();
      await this.#exited;
      if (!this.#groupGone) {
        // SIGKILL is delivered asynchronously: let the descendants vanish (a bounded wait).
        const deadline = Date.now() + KILL_WAIT_MS;
        while (groupAlive(this.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      this.#closePipes();
      this.#forget();
    })();
    return this.#disposing;
  }

  /** @internal SIGKILL to the group, now (used by dispose and at Node's exit). */
  _killNow(): void {
    if (this.#groupGone) return;
    const sent = signalGroup(this.pid, "SIGKILL");
    if (!sent && this.#returncode !== null) this.#groupGone = true;
  }

  /**
   * The gentle stop used on cancellation: SIGTERM to the group; SIGKILL to whatever is left of it
   * when the grace period ends; done once the child is reaped and no member of its group runs.
   * Real time on purpose: it is the child's time to clean up, not the program's virtual time.
   */
  #terminateTree(): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopping = (async () => {
      if (this.#groupGone) return;
      const deadline = Date.now() + this.#gracePeriod;
      if (!signalGroup(this.pid, "SIGTERM") && this.#returncode === null) signalProcess(this.pid, "SIGTERM");
      if (this.#returncode === null) {
        const timer = setTimeout(() => this._killNow(), this.#gracePeriod);
        await this.#exited;
        clearTimeout(timer);
      }
      // The child is reaped; its descendants may still be cleaning up. SIGKILL is delivered
      // asynchronously too: wait (a bounded time) until the group has really gone.
      let killed = false;
      while (groupAlive(this.pid)) {
        const left = deadline - Date.now();
        if (left <= 0 && !killed) {
          signalGroup(this.pid, "SIGKILL");
          killed = true;
        }
        if (left <= -KILL_WAIT_MS) break;
        await new Promise((resolve) => setTimeout(resolve, left > 0 ? Math.min(POLL_MS, left) : 5));
      }
    })();
    return this.#stopping;
  }

  #forget(): void {
    live.delete(this);
    this.#run?.delete(this);
    this.#run = undefined;
  }

  #closePipes(): void {
    const child = this.#child;
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }

  /** Shows the pid, the program and the state: `<Process 1234 "sleep" running>`. */
  toString(): string {
    const state = this.#returncode === null ? "running" : `returncode=${this.#returncode}`;
    return `<Process ${this.pid} ${JSON.stringify(this.#program)} ${state}>`;
  }
}
