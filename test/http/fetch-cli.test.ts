import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runMain } from "../../src/cli/main.js";
import { outputName } from "../../src/cli/commands/fetch.js";
import { fakeIO } from "../cli/_io.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { startTestServer, type Handler, type TestServer } from "./_server.js";

const routes: Record<string, Handler> = {
  "/a.txt": (_req, res) => res.end("alpha"),
  "/dir/b.bin": (_req, res) => res.writeHead(200, { "content-length": 100_000 }).end(Buffer.alloc(100_000, 7)),
  "/x/data.bin": (_req, res) => res.end("x"),
  "/y/data.bin": (_req, res) => res.end("y"),
  "/missing": (_req, res) => res.writeHead(404).end(),
  "/error": (_req, res) => res.writeHead(500).end(),
};

async function withEnv(fn: (srv: TestServer, dir: string) => Promise<void>): Promise<void> {
  await withoutLeaks(async () => {
    const srv = await startTestServer(routes);
    const dir = mkdtempSync(join(tmpdir(), "taskio-fetch-"));
    try {
      await fn(srv, dir);
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

void describe("taskio fetch", () => {
  void test("piped: one JSON line per URL as it completes, summary on stderr, exit 1 on any failure", async () => {
    await withEnv(async (srv, dir) => {
      const io = { ...fakeIO(), cwd: dir };
      const code = await runMain(
        ["fetch", `${srv.url}/a.txt`, `${srv.url}/dir/b.bin`, `${srv.url}/missing`, `${srv.url}/error`, "--retries", "0", "-o", "out"],
        io,
      );
      assert.equal(code, 1);
      const lines = io
        .out()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { url: string; ok: boolean; bytes?: number; error?: string; path?: string });
      assert.equal(lines.length, 4);
      const byUrl = new Map(lines.map((l) => [l.url, l]));
      assert.equal(byUrl.get(`${srv.url}/a.txt`)?.ok, true);
      assert.equal(byUrl.get(`${srv.url}/dir/b.bin`)?.bytes, 100_000);
      assert.match(byUrl.get(`${srv.url}/missing`)?.error ?? "", /404/);
      assert.equal(readFileSync(join(dir, "out", "a.txt"), "utf8"), "alpha");
      assert.equal(readFileSync(join(dir, "out", "b.bin")).length, 100_000);
      assert.deepEqual(readdirSync(join(dir, "out")).sort(), ["a.txt", "b.bin"]);
      const err = io.err();
      assert.match(err, /Fetched 2 of 4 URLs .*; 2 failed:/);
      assert.match(err, /\/missing: The server answered 404/);
      assert.match(err, /\/error: The server answered 500/);
    });
  });

  void test("on a terminal: progress bars, a line per finished file, a summary; exit 0", async () => {
    await withEnv(async (srv, dir) => {
      const io = { ...fakeIO({ tty: true }), cwd: dir };
      const code = await runMain(["fetch", `${srv.url}/a.txt`, `${srv.url}/dir/b.bin`, "-j", "1"], io);
      assert.equal(code, 0, io.err());
      const out = io.out();
      assert.match(out, /✓ a\.txt {2}5 B in/);
      assert.match(out, /✓ b\.bin {2}97\.7 KiB in/);
      assert.match(out, /total \(\d running\)/);
      assert.match(out, /Fetched 2 of 2 URLs/);
    });
  });

  void test("file names are sanitised and made unique: a URL never writes outside -o DIR", async () => {
    assert.equal(outputName(new URL("http://h/..%2F..%2Fetc%2Fpasswd")), "_.._etc_passwd");
    assert.equal(outputName(new URL("http://h/a/%2e%2e")), "index.html");
    assert.equal(outputName(new URL("http://h/")), "index.html");
    assert.equal(outputName(new URL("http://h/.hidden")), "hidden");
    assert.equal(outputName(new URL("http://h/a%5Cb%00c")), "a_b_c");
    await withEnv(async (srv, dir) => {
      const list = join(dir, "urls.txt");
      writeFileSync(list, `# a comment\n${srv.url}/x/data.bin\n\n${srv.url}/y/data.bin\n`);
      const io = { ...fakeIO(), cwd: dir };
      const code = await runMain(["fetch", "-i", "urls.txt", "-o", "o"], io);
      assert.equal(code, 0, io.err());
      assert.equal(readFileSync(join(dir, "o", "data.bin"), "utf8"), "x");
      assert.equal(readFileSync(join(dir, "o", "data-1.bin"), "utf8"), "y");
      const stdinIO = { ...fakeIO({ stdin: `${srv.url}/a.txt\n` }), cwd: dir };
      assert.equal(await runMain(["fetch", "-i", "-"], stdinIO), 0, stdinIO.err());
      assert.equal(existsSync(join(dir, "a.txt")), true);
    });
  });

  void test("usage errors are one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["fetch"], /Expected at least one URL/],
      [["fetch", "ftp://x/y"], /Expected an http: or https: URL/],
      [["fetch", "http://127.0.0.1/", "-j", "0"], /Expected -j\/--jobs to be an integer from 1/],
      [["fetch", "http://127.0.0.1/", "--timeout", "soon"], /Expected --timeout to be a duration/],
      [["fetch", "--bogus"], /Unknown option/],
    ];
    for (const [args, pattern] of cases) {
      const io = fakeIO();
      assert.equal(await runMain(args, io), 2, args.join(" "));
      assert.match(io.err(), pattern);
      assert.equal(io.err().trim().split("\n").length, 1);
    }
  });

  void test("runs as a real process", async () => {
    await withEnv(async (srv, dir) => {
      const bin = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));
      const child = spawn(process.execPath, [bin, "fetch", `${srv.url}/a.txt`, "-o", dir], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      assert.equal(code, 0, err);
      assert.equal((JSON.parse(out.trim()) as { ok: boolean }).ok, true);
      assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "alpha");
    });
  });

  void test("Ctrl-C stops the downloads, removes partial files, prints the summary, exit code 130", async () => {
    await withoutLeaks(async () => {
      const srv = await startTestServer({
        "/slow.bin": (_req, res) => {
          res.writeHead(200, { "content-length": 1_000_000 });
          res.write(Buffer.alloc(1000));
        },
      });
      const dir = mkdtempSync(join(tmpdir(), "taskio-fetch-int-"));
      try {
        const bin = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));
        const child = spawn(process.execPath, [bin, "fetch", `${srv.url}/slow.bin`, "-o", dir], { stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
        child.stdout.resume();
        await srv.arrived("/slow.bin");
        // The body has started: wait until the partial file exists, then interrupt.
        while (!existsSync(join(dir, "slow.bin.part"))) await new Promise((resolve) => setTimeout(resolve, 10));
        child.kill("SIGINT");
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        assert.equal(code, 130, err);
        assert.match(err, /Interrupted: fetched 0 of 1 URLs/);
        assert.deepEqual(readdirSync(dir), []);
        await srv.idle();
      } finally {
        await srv.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
