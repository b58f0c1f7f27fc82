// The streams benchmark.
//
// 1. Echo round trips: 32 connections, 1 KiB ping-pong, one common load client (a separate Node
//    process, the same for every server) against: the taskio echo server (reader/writer as in the
//    seed), a raw Node `net` echo server, Python asyncio streams (default loop) and uvloop streams;
//    plus, to split taskio's cost, its reader/writer on a plain `net` server (no run(), no tasks).
//    Besides round trips/s (which the shared load client caps), it reports each server's CPU time
//    per round trip over the counting window (from /proc), which holds up under machine load.
// 2. Line reading: 1,000,000 lines from a file, taskio `for await (line of reader)` vs Node's
//    `readline`, each in its own process.
//
// Usage: npm run build && node dist/bench/echo.bench.js [--rounds 3] [--seconds 3] [--conns 32] [--size 1024] [--skip-lines]
// Modes used internally: `server <kind>`, `client <port> <conns> <size> <seconds>`, `lines <kind> <file>`.
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { run } from "taskio";
import { readerFromStream, startServer, StreamWriter, type StreamReader } from "taskio/streams";

const SYSTEM_PYTHON = "/usr/bin/python3";
const self = fileURLToPath(import.meta.url);
const pyServer = fileURLToPath(new URL("../../bench/py/echo_server.py", import.meta.url));

// ----- servers ---------------------------------------------------------------------------------

async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (;;) {
    const data = await reader.read(1024);
    if (data.length === 0) break;
    writer.write(data);
    await writer.drain();
  }
  writer.close();
  await writer.waitClosed();
}

async function serveTaskio(): Promise<void> {
  await run(
    async () => {
      const server = await startServer(handleEcho, "127.0.0.1", 0);
      console.log(`READY ${server.port}`);
      process.once("SIGTERM", () => server.close());
      await server.serveForever();
    },
    { handleSigint: false },
  );
}

/** taskio's reader and writer on a plain `net` server: no run(), no tasks, no AsyncLocalStorage. */
function servePlainStreams(): void {
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    handleEcho(readerFromStream(socket), new StreamWriter(socket)).catch(() => socket.destroy());
  });
  server.listen(0, "127.0.0.1", () => {
    console.log(`READY ${(server.address() as { port: number }).port}`);
  });
  process.once("SIGTERM", () => {
    server.close();
    process.exit(0);
  });
}

function serveRaw(): void {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on("data", (data) => socket.write(data));
    socket.on("error", () => socket.destroy());
  });
  server.listen(0, "127.0.0.1", () => {
    console.log(`READY ${(server.address() as { port: number }).port}`);
  });
  process.once("SIGTERM", () => {
    server.close();
    process.exit(0);
  });
}

// ----- the load client -------------------------------------------------------------------------

async function loadClient(port: number, conns: number, size: number, seconds: number): Promise<void> {
  const payload = Buffer.alloc(size, 120);
  let counting = false;
  let roundTrips = 0;
  let stop = false;
  const sockets: Socket[] = [];
  const finished: Promise<void>[] = [];
  for (let i = 0; i < conns; i++) {
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    sockets.push(socket);
    finished.push(
      new Promise((resolve, reject) => {
        let received = 0;
        socket.on("connect", () => socket.write(payload));
        socket.on("data", (data: Buffer) => {
          received += data.length;
          while (received >= size) {
            received -= size;
            if (counting) roundTrips++;
            if (stop) {
              socket.end();
              return;
            }
            socket.write(payload);
          }
        });
        socket.on("error", reject);
        socket.on("close", () => resolve());
      }),
    );
  }
  // Warm up, then count for `seconds`.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  counting = true;
  console.log("COUNTING");
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  stop = true;
  console.log("STOPPED");
  await Promise.all(finished);
  console.log(JSON.stringify({ roundTrips, elapsed, perSecond: roundTrips / elapsed, clientCpu: (cpu.user + cpu.system) / 1e6 / elapsed }));
}

// ----- line reading ----------------------------------------------------------------------------

async function readLines(kind: string, file: string): Promise<void> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let count = 0;
  let bytes = 0;
  if (kind === "readline") {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      count++;
      bytes += line.length;
    }
  } else if (kind === "taskio-string") {
    const reader = readerFromStream(createReadStream(file));
    for await (const line of reader) {
      count++;
      bytes += line.toString("utf8", 0, line.length - 1).length;
    }
  } else {
    const reader = readerFromStream(createReadStream(file));
    for await (const line of reader) {
      count++;
      bytes += line.length - 1;
    }
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  console.log(JSON.stringify({ count, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
}

// ----- orchestration ---------------------------------------------------------------------------

interface Spec {
  name: string;
  command: string;
  args: string[];
  skip?: string;
}

function startProcess(spec: Spec): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    child.on("exit", (code) => reject(new Error(`${spec.name} exited with ${code}: ${out}`)));
    child.on("error", reject);
  });
}

function runToEnd(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
    child.on("error", reject);
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Runs the load client; samples the server's CPU time over the client's counting window. */
function runClient(args: string[], serverPid: number): Promise<{ out: string; serverCpu: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let cpuStart = NaN;
    let serverCpu = NaN;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (Number.isNaN(cpuStart) && out.includes("COUNTING")) cpuStart = cpuSeconds(serverPid);
      if (Number.isNaN(serverCpu) && out.includes("STOPPED")) serverCpu = cpuSeconds(serverPid) - cpuStart;
    });
    child.on("exit", (code) => {
      const json = out.split("\n").find((line) => line.startsWith("{"));
      if (code === 0 && json !== undefined) resolve({ out: json, serverCpu });
      else reject(new Error(`load client exited with ${code}: ${out}`));
    });
    child.on("error", reject);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function echoBench(rounds: number, seconds: number, conns: number, size: number): Promise<void> {
  const node = process.execPath;
  const hasPython = existsSync(SYSTEM_PYTHON);
  const servers: Spec[] = [
    { name: "raw Node net", command: node, args: [self, "server", "raw"] },
    { name: "taskio streams", command: node, args: [self, "server", "taskio"] },
    { name: "reader/writer only", command: node, args: [self, "server", "plain-streams"] },
    { name: "asyncio streams", command: SYSTEM_PYTHON, args: [pyServer, "asyncio"], ...(hasPython ? {} : { skip: "no /usr/bin/python3" }) },
    { name: "uvloop streams", command: SYSTEM_PYTHON, args: [pyServer, "uvloop"], ...(hasPython ? {} : { skip: "no /usr/bin/python3" }) },
  ];
  console.log(`Echo: ${conns} connections, ${size}-byte ping-pong, ${seconds}s per run, ${rounds} rounds, Node ${process.version}`);
  const results = new Map<string, { rate: number[]; clientCpu: number[]; serverUs: number[] }>();
  for (let round = 0; round < rounds; round++) {
    // Rotate the order every round so no server always runs first or last.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
    for (const spec of order) {
      if (spec.skip !== undefined) continue;
      const { child, port } = await startProcess(spec);
      try {
        const { out, serverCpu } = await runClient([self, "client", String(port), String(conns), String(size), String(seconds)], child.pid!);
        const result = JSON.parse(out) as { perSecond: number; clientCpu: number; roundTrips: number };
        const entry = results.get(spec.name) ?? { rate: [], clientCpu: [], serverUs: [] };
        entry.rate.push(result.perSecond);
        entry.clientCpu.push(result.clientCpu);
        const serverUs = (serverCpu * 1e6) / result.roundTrips;
        entry.serverUs.push(serverUs);
        results.set(spec.name, entry);
        console.log(
          `  round ${round + 1} ${spec.name.padEnd(18)} ${Math.round(result.perSecond).toLocaleString("en-US").padStart(7)} round trips/s, ` +
            `server ${serverUs.toFixed(1)} µs CPU per round trip (client CPU ${(result.clientCpu * 100).toFixed(0)}%)`,
        );
      } finally {
        child.removeAllListeners("exit");
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
  }
  const raw = median(results.get("raw Node net")?.rate ?? [NaN]);
  const asyncio = median(results.get("asyncio streams")?.rate ?? [NaN]);
  const rawUs = median(results.get("raw Node net")?.serverUs ?? [NaN]);
  console.log("\nmedians              round trips/s  vs raw net  vs asyncio   server µs CPU/round trip (vs raw net)");
  for (const spec of servers) {
    const entry = results.get(spec.name);
    if (entry === undefined) {
      console.log(`  ${spec.name.padEnd(18)} skipped: ${spec.skip ?? "?"}`);
      continue;
    }
    const m = median(entry.rate);
    const us = median(entry.serverUs);
    console.log(
      `  ${spec.name.padEnd(18)} ${Math.round(m).toLocaleString("en-US").padStart(9)}      ${(m / raw).toFixed(2)}x       ${(m / asyncio).toFixed(2)}x` +
        `        ${us.toFixed(1).padStart(5)} µs (${(us / rawUs).toFixed(2)}x)`,
    );
  }
}

async function linesBench(rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-lines-"));
  try {
    const file = join(dir, "lines.txt");
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`line ${i} of the benchmark file`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    const kinds = ["readline", "taskio", "taskio-string"];
    const labels: Record<string, string> = {
      readline: "node:readline (strings)",
      taskio: "taskio readLine (Buffers)",
      "taskio-string": "taskio + toString()",
    };
    const times = new Map<string, number[]>();
    const cpuTimes = new Map<string, number[]>();
    console.log(`\nLines: 1,000,000 lines (${Math.round(lines.join("\n").length / 1e6)} MB) from a file, ${rounds} rounds, each in its own process`);
    for (let round = 0; round < rounds; round++) {
      for (const kind of kinds) {
        const out = JSON.parse(await runToEnd(process.execPath, [self, "lines", kind, file])) as { ms: number; cpuMs: number; count: number };
        if (out.count !== 1_000_000) throw new Error(`${kind} counted ${out.count} lines`);
        (times.get(kind) ?? times.set(kind, []).get(kind)!).push(out.ms);
        (cpuTimes.get(kind) ?? cpuTimes.set(kind, []).get(kind)!).push(out.cpuMs);
      }
    }
    const base = median(times.get("readline")!);
    const cpuBase = median(cpuTimes.get("readline")!);
    console.log("  median                       wall ms  vs readline   CPU ms  vs readline");
    for (const kind of kinds) {
      const m = median(times.get(kind)!);
      const c = median(cpuTimes.get(kind)!);
      console.log(
        `  ${labels[kind]!.padEnd(26)} ${m.toFixed(0).padStart(7)}     ${(m / base).toFixed(2)}x   ${c.toFixed(0).padStart(7)}     ${(c / cpuBase).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === "server") {
  if (process.argv[3] === "raw") serveRaw();
  else if (process.argv[3] === "plain-streams") servePlainStreams();
  else await serveTaskio();
} else if (mode === "client") {
  const [port, conns, size, seconds] = process.argv.slice(3).map(Number);
  await loadClient(port!, conns!, size!, seconds!);
} else if (mode === "lines") {
  await readLines(process.argv[3]!, process.argv[4]!);
} else {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "3" },
      conns: { type: "string", default: "32" },
      size: { type: "string", default: "1024" },
      "skip-lines": { type: "boolean", default: false },
      "skip-echo": { type: "boolean", default: false },
    },
  });
  if (values["skip-echo"] !== true) await echoBench(Number(values.rounds), Number(values.seconds), Number(values.conns), Number(values.size));
  if (values["skip-lines"] !== true) await linesBench(Number(values.rounds));
}
