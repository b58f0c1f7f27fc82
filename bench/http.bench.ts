/**
 * HTTP benchmarks (issue 6), each client in its own process against one server process
 * (bench/http-server.mjs):
 *
 * 1. 20,000 GETs of a small JSON body at concurrency 64: taskio ClientSession, undici.request,
 *    Node's fetch, node:http with a keep-alive agent, aiohttp (default loop and uvloop).
 * 2. A 1 GiB download to disk: taskio download() (its fast path, and with `fastPath: false` the
 *    undici path HTTPS takes), curl -o, undici.request piped to a file, the seed's aiohttp +
 *    aiofiles iter_chunked(64 KiB) loop (uvloop). Peak RSS of each process.
 *
 * Run: npx tsc -p tsconfig.http.json && node dist/bench/http.bench.js [--rounds 3] [--n 20000] [--size-mb 1024]
 * `--tls` serves the download over HTTPS (a self-signed certificate made with openssl, trusted by
 * every client through its CA option); `--clients a,b` runs only those download clients.
 */
// Only what every process needs is imported here: a client process loads the rest itself, so
// that its peak RSS counts its own client only (`node:http` alone adds ~17 MB on Node 24).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");
const PY = "/usr/bin/python3";

const { values } = parseArgs({
  options: {
    client: { type: "string" },
    port: { type: "string" },
    n: { type: "string", default: "20000" },
    c: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    "size-mb": { type: "string", default: "1024" },
    only: { type: "string" },
    dest: { type: "string" },
    tls: { type: "boolean", default: false },
    ca: { type: "string" },
    clients: { type: "string" },
  },
});

// ----- the clients (child mode) ------------------------------------------------------------------

/** Returns "req/s cpuµs-per-request" (CPU time of this process, user + system, during the run). */
async function gets(port: number, n: number, c: number, client: string): Promise<string> {
  const url = `http://127.0.0.1:${port}/json`;
  let one: () => Promise<unknown>;
  let done: () => Promise<void> = () => Promise.resolve();
  if (client === "taskio") {
    const { ClientSession } = await import("../src/http/index.js");
    const session = new ClientSession({ limit: 0 });
    one = async () => (await session.get(url)).json();
    done = () => session.close();
  } else if (client === "undici") {
    const { request, Agent, setGlobalDispatcher } = await import("undici");
    setGlobalDispatcher(new Agent({ connections: c }));
    one = async () => (await request(url)).body.json();
  } else if (client === "fetch") {
    one = async () => (await fetch(url)).json();
  } else if (client === "node-http") {
    const { default: http } = await import("node:http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: c });
    one = () =>
      new Promise((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => resolve(JSON.parse(text)));
            res.on("error", reject);
          })
          .on("error", reject);
      });
    done = async () => agent.destroy();
  } else {
    throw new Error(`unknown client ${client}`);
  }
  for (let i = 0; i < 200; i++) await one(); // warm-up
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next++ < n) await one();
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  await done();
  return `${n / seconds} ${(used.user + used.system) / n}`;
}

async function big(port: number, client: string, size: number, dest: string, caFile: string | undefined): Promise<number> {
  const ca = caFile === undefined ? undefined : readFileSync(caFile, "utf8");
  const url = `${ca === undefined ? "http" : "https"}://127.0.0.1:${port}/big?size=${size}`;
  const started = performance.now();
  if (client === "taskio" || client === "taskio-undici") {
    const { ClientSession, download } = await import("../src/http/index.js");
    await using session = new ClientSession(ca === undefined ? {} : { tls: { ca } });
    await download(session, url, dest, { fastPath: client === "taskio" });
  } else if (client === "undici-pipe") {
    const { request, Agent } = await import("undici");
    const { pipeline } = await import("node:stream/promises");
    const { createWriteStream } = await import("node:fs");
    const { body } = await request(url, ca === undefined ? {} : { dispatcher: new Agent({ connect: { ca } }) });
    await pipeline(body, createWriteStream(dest));
  } else {
    throw new Error(`unknown client ${client}`);
  }
  return size / 1e6 / ((performance.now() - started) / 1000);
}

// ----- the driver --------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Runs a command under /usr/bin/time; returns its last stdout line and its peak RSS in MB. */
async function timed(cmd: string, args: string[]): Promise<{ out: string; rssMb: number; seconds: number }> {
  const { spawnSync } = await import("node:child_process");
  const result = spawnSync("/usr/bin/time", ["-f", "TIME %M %e", cmd, ...args], { encoding: "utf8", cwd: root });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${result.stderr}`);
  const match = /TIME (\d+) ([\d.]+)/.exec(result.stderr);
  return {
    out: result.stdout.trim().split("\n").at(-1) ?? "",
    rssMb: Number(match?.[1]) / 1024,
    seconds: Number(match?.[2]),
  };
}

async function startServer(args: string[]): Promise<{ port: number; stop: () => void }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [join(root, "bench", "http-server.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (line: string) => {
      const m = /PORT (\d+)/.exec(line);
      if (m !== null) resolve(Number(m[1]));
    });
  });
  return { port, stop: () => child.kill("SIGTERM") };
}

async function driver(): Promise<void> {
  const rounds = Number(values.rounds);
  const n = Number(values.n);
  const c = Number(values.c);
  const sizeMb = Number(values["size-mb"]);
  const size = sizeMb * 1024 * 1024;
  const self = fileURLToPath(import.meta.url);
  const tmp = join(root, "bench", ".tmp");
  mkdirSync(tmp, { recursive: true });
  let caFile: string | undefined;
  const serverArgs: string[] = [];
  if (values.tls === true) {
    const { makeSelfSignedCertificate } = await import("../test/_helpers/tls.js");
    const { key, cert } = makeSelfSignedCertificate();
    caFile = join(tmp, "bench-cert.pem");
    writeFileSync(join(tmp, "bench-key.pem"), key);
    writeFileSync(caFile, cert);
    serverArgs.push("0", join(tmp, "bench-key.pem"), caFile);
  }
  const scheme = caFile === undefined ? "http" : "https";
  const server = await startServer(serverArgs);
  try {
    if ((values.only === undefined && caFile === undefined) || values.only === "gets") {
      const clients = ["taskio", "undici", "fetch", "node-http", "aiohttp", "aiohttp-uvloop"];
      const results = new Map<string, number[]>(clients.map((k) => [k, []]));
      const cpus = new Map<string, number[]>(clients.map((k) => [k, []]));
      for (let r = 0; r < rounds; r++) {
        for (const client of clients) {
          const { out } = client.startsWith("aiohttp")
            ? await timed(PY, ["-P", join(root, "bench", "py", "http.py"), "gets", String(server.port), String(n), String(c), ...(client === "aiohttp-uvloop" ? ["--uvloop"] : [])])
            : await timed(process.execPath, [self, "--client", client, "--port", String(server.port), "--n", String(n), "--c", String(c)]);
          const [rate, cpu] = out.split(" ");
          results.get(client)?.push(Number(rate));
          cpus.get(client)?.push(Number(cpu));
        }
      }
      const undici = median(results.get("undici") ?? []);
      const uv = median(results.get("aiohttp-uvloop") ?? []);
      const undiciCpu = median(cpus.get("undici") ?? []);
      console.log(`\n${n} GETs of a small JSON body, concurrency ${c}, ${rounds} rounds (median req/s; client CPU µs per request)`);
      console.log("| client | req/s (median) | rounds | vs undici.request | vs aiohttp+uvloop | CPU µs/req (median) | CPU vs undici |");
      console.log("|---|---:|---|---:|---:|---:|---:|");
      for (const [client, xs] of results) {
        const m = median(xs);
        const cpu = median(cpus.get(client) ?? []);
        console.log(
          `| ${client} | ${Math.round(m)} | ${xs.map((x) => Math.round(x)).join(", ")} | ${(m / undici).toFixed(2)}× | ${(m / uv).toFixed(2)}× | ${cpu.toFixed(1)} | ${(cpu / undiciCpu).toFixed(2)}× |`,
        );
      }
    }
    if (values.only === undefined || values.only === "download") {
      const dest = join(tmp, "big.bin");
      const clients = values.clients?.split(",") ?? ["taskio", "taskio-undici", "curl", "undici-pipe", "aiohttp-aiofiles-uvloop"];
      const ca = caFile === undefined ? [] : ["--ca", caFile];
      const results = new Map<string, { mbps: number[]; rss: number[] }>(clients.map((k) => [k, { mbps: [], rss: [] }]));
      for (let r = 0; r < rounds; r++) {
        for (const client of clients) {
          rmSync(dest, { force: true });
          let run: { out: string; rssMb: number; seconds: number };
          if (client === "curl") {
            const trust = caFile === undefined ? [] : ["--cacert", caFile];
            run = await timed("curl", ["-s", ...trust, "-o", dest, `${scheme}://127.0.0.1:${server.port}/big?size=${size}`]);
            run.out = String(size / 1e6 / run.seconds);
          } else if (client.startsWith("aiohttp")) {
            run = await timed(PY, ["-P", join(root, "bench", "py", "http.py"), "download", String(server.port), String(size), dest, "--uvloop", ...ca]);
          } else {
            run = await timed(process.execPath, [self, "--client", client, "--port", String(server.port), "--size-mb", String(sizeMb), "--dest", dest, ...ca]);
          }
          const entry = results.get(client);
          entry?.mbps.push(Number(run.out));
          entry?.rss.push(run.rssMb);
        }
      }
      rmSync(dest, { force: true });
      const curl = median(results.get("curl")?.mbps ?? [NaN]);
      console.log(`\n${sizeMb} MiB download to disk over ${scheme}, Node ${process.version}, ${rounds} rounds (median MB/s; peak RSS of the whole process)`);
      console.log("| client | MB/s (median) | rounds | vs curl | peak RSS MB (median) |");
      console.log("|---|---:|---|---:|---:|");
      for (const [client, { mbps, rss }] of results) {
        const m = median(mbps);
        console.log(`| ${client} | ${Math.round(m)} | ${mbps.map((x) => Math.round(x)).join(", ")} | ${(m / curl).toFixed(2)}× | ${median(rss).toFixed(1)} |`);
      }
    }
  } finally {
    server.stop();
  }
}

if (values.client !== undefined) {
  const port = Number(values.port);
  if (values.dest !== undefined) {
    console.log(await big(port, values.client, Number(values["size-mb"]) * 1024 * 1024, values.dest, values.ca));
  } else {
    console.log(await gets(port, Number(values.n), Number(values.c), values.client));
  }
} else {
  await driver();
}
