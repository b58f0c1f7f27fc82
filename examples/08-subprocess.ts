// Seed section 8: asynchronous subprocesses — run a command and read its output in real time.
// Run: node dist/examples/08-subprocess.js [program args...]   (default: python --version)
// When python is not installed, it runs `node --version` instead.
import { gather, run } from "taskio";
import { createSubprocessExec, PIPE, type Process } from "taskio/subprocess";

type Reader = NonNullable<Process["stdout"]>;

async function runCmd(cmd: string[]): Promise<number> {
  // Run external command asynchronously and capture output line by line
  const [program, ...args] = cmd as [string, ...string[]];
  await using proc = await createSubprocessExec(program, args, { stdout: PIPE, stderr: PIPE });

  async function readStream(stream: Reader, name: string): Promise<void> {
    for (;;) {
      const line = await stream.readLine();
      if (line.length === 0) break;
      console.log(`[${name}] ${line.toString().trimEnd()}`);
    }
  }

  await gather(
    () => readStream(proc.stdout!, "stdout"),
    () => readStream(proc.stderr!, "stderr"),
  );
  await proc.wait();
  return proc.returncode!;
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const cmd = requested.length > 0 ? requested : ["python", "--version"];
  try {
    process.exitCode = await runCmd(cmd);
  } catch (error) {
    if (requested.length > 0 || (error as { code?: string }).code !== "ENOENT") throw error;
    console.error(`(${(error as Error).message}: running node --version instead)`);
    process.exitCode = await runCmd([process.execPath, "--version"]);
  }
}

await run(main);
