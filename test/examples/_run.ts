import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The result of running a compiled example as its own process. */
export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock duration in milliseconds (reported, never asserted tightly). */
  elapsed: number;
}

/** Runs `dist/examples/<name>.js` with node and collects its output. */
export function runExample(name: string, args: string[] = [], timeoutMs = 60_000): Promise<ExampleRun> {
  const script = fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`example ${name} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsed: performance.now() - started });
    });
  });
}
