/**
 * download()'s statuses the same on both paths (the fast path's own socket, undici), over plain
 * HTTP and HTTPS:
 * - a resumed download answered `416` because the `.part` is already complete is verified and
 *   renamed, and a `416` whose total differs from the `.part` starts over — whatever the
 *   session's `raiseForStatus` (regression: the undici path threw the 416 with it on);
 * - a `retryIf` refusing a retryable status means "do not retry": one request, then the status
 *   is raised as a plain `ClientResponseError` (a download has no response to return).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ChecksumMismatchError, ClientResponseError, ClientSession, download } from "../../src/http/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { makeSelfSignedCertificate, needsOpenssl, type SelfSignedCertificate } from "../_helpers/tls.js";
import { startTestServer, type Handler } from "./_server.js";

const DATA = randomBytes(512 * 1024 + 5);
const SHA = createHash("sha256").update(DATA).digest("hex");

/** What a test sees of its server: its URL and the requests it got. */
interface Env {
  url: string;
  log: { path: string; range: string | undefined }[];
  dir: string;
  /** Options for a session talking to this server (the CA for HTTPS). */
  session: { baseUrl: string; tls?: { ca: string } };
}

/** Serves DATA with Range support (416 past the end), and 503 on /busy. */
const handler = (log: Env["log"]): Handler => (req: IncomingMessage, res: ServerResponse) => {
  const path = (req.url ?? "/").split("?")[0] as string;
  log.push({ path, range: req.headers.range });
  if (path === "/busy") {
    res.writeHead(503, { "retry-after": "0" }).end("busy");
    return;
  }
  if (path !== "/file") {
    res.writeHead(404).end("no");
    return;
  }
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (match !== null) {
    const start = Number(match[1]);
    if (start >= DATA.length) {
      res.writeHead(416, { "content-range": `bytes */${DATA.length}` }).end();
      return;
    }
    res.writeHead(206, { "content-length": DATA.length - start, "content-range": `bytes ${start}-${DATA.length - 1}/${DATA.length}` });
    res.end(DATA.subarray(start));
    return;
  }
  res.writeHead(200, { "content-length": DATA.length, "accept-ranges": "bytes" }).end(DATA);
};

async function withHttp(fn: (env: Env) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-dl-status-"));
  try {
    await withoutLeaks(async () => {
      const log: Env["log"] = [];
      const srv = await startTestServer({ "/file": handler(log), "/busy": handler(log), "/missing": handler(log) });
      try {
        await fn({ url: srv.url, log, dir, session: { baseUrl: srv.url } });
      } finally {
        await srv.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withHttps(tls: SelfSignedCertificate, fn: (env: Env) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taskio-dl-status-"));
  try {
    await withoutLeaks(async () => {
      const log: Env["log"] = [];
      const serve = handler(log);
      const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => void serve(req, res, undefined as never));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        await fn({ url, log, dir, session: { baseUrl: url, tls: { ca: tls.cert } } });
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks, run for one server, one path, one raiseForStatus. */
function checks(fastPath: boolean, raiseForStatus: boolean): [string, (env: Env) => Promise<void>][] {
  return [
    [
      "a complete .part answered 416: verified, renamed, nothing received",
      async ({ dir, log, session: base }) => {
        await using session = new ClientSession({ ...base, raiseForStatus });
        const dest = join(dir, "done.bin");
        writeFileSync(`${dest}.part`, DATA);
        const result = await download(session, "/file", dest, { fastPath, resume: true, checksum: `sha256:${SHA}` });
        assert.equal(result.status, 416);
        assert.equal(result.bytes, DATA.length);
        assert.equal(result.received, 0);
        assert.equal(result.resumedFrom, DATA.length);
        assert.equal(result.checksum, SHA);
        assert.deepEqual(readFileSync(dest), DATA);
        assert.equal(existsSync(`${dest}.part`), false);
        assert.deepEqual(log.map((r) => r.range), [`bytes=${DATA.length}-`]);
        assert.equal(session.active, 0);
      },
    ],
    [
      "a complete .part answered 416 with a wrong checksum: ChecksumMismatchError, nothing kept under dest",
      async ({ dir, session: base }) => {
        await using session = new ClientSession({ ...base, raiseForStatus });
        const dest = join(dir, "bad.bin");
        writeFileSync(`${dest}.part`, DATA);
        await assert.rejects(
          download(session, "/file", dest, { fastPath, resume: true, checksum: `sha256:${"00".repeat(32)}` }),
          ChecksumMismatchError,
        );
        assert.equal(existsSync(dest), false);
      },
    ],
    [
      "a .part longer than the file (416 with another total): starts over from 0",
      async ({ dir, log, session: base }) => {
        await using session = new ClientSession({ ...base, raiseForStatus });
        const dest = join(dir, "long.bin");
        writeFileSync(`${dest}.part`, Buffer.concat([DATA, Buffer.from("trailing garbage")]));
        const result = await download(session, "/file", dest, { fastPath, resume: true, checksum: `sha256:${SHA}` });
        assert.equal(result.status, 200);
        assert.equal(result.resumedFrom, 0);
        assert.equal(result.received, DATA.length);
        assert.deepEqual(readFileSync(dest), DATA);
        assert.equal(existsSync(`${dest}.part`), false);
        assert.deepEqual(
          log.map((r) => r.range),
          [`bytes=${DATA.length + 16}-`, undefined],
        );
      },
    ],
    [
      "retryIf refusing a 503: one request, a plain ClientResponseError, no file",
      async ({ dir, log, session: base }) => {
        const asked: number[] = [];
        await using session = new ClientSession({
          ...base,
          raiseForStatus,
          retry: {
            attempts: 4,
            retryIf: (error, attempt) => {
              assert.ok(error instanceof ClientResponseError);
              asked.push(attempt);
              return false;
            },
          },
        });
        const dest = join(dir, "busy.bin");
        const error = await download(session, "/busy", dest, { fastPath }).catch((e: unknown) => e);
        assert.ok(error instanceof ClientResponseError, String(error));
        assert.equal(Object.getPrototypeOf(error), ClientResponseError.prototype);
        assert.equal(error.status, 503);
        assert.equal(error.headers?.get("retry-after"), "0");
        assert.equal(log.length, 1);
        assert.deepEqual(asked, [1]);
        assert.deepEqual(readdirSync(dir), []);
        assert.equal(session.active, 0);
      },
    ],
    [
      "a 404: a plain ClientResponseError naming the URL, no file",
      async ({ dir, session: base }) => {
        await using session = new ClientSession({ ...base, raiseForStatus });
        const error = await download(session, "/missing", join(dir, "m.bin"), { fastPath }).catch((e: unknown) => e);
        assert.ok(error instanceof ClientResponseError, String(error));
        assert.equal(Object.getPrototypeOf(error), ClientResponseError.prototype);
        assert.equal(error.status, 404);
        assert.match(error.message, /\/missing/);
        assert.deepEqual(readdirSync(dir), []);
      },
    ],
  ];
}

void describe("download() statuses over HTTP, on both paths", () => {
  for (const fastPath of [true, false]) {
    for (const raiseForStatus of [false, true]) {
      for (const [name, check] of checks(fastPath, raiseForStatus)) {
        void test(`${name} (fastPath: ${fastPath}, raiseForStatus: ${raiseForStatus})`, () => withHttp(check));
      }
    }
  }
});

let tls: SelfSignedCertificate | undefined;

void describe("download() statuses over HTTPS", { skip: needsOpenssl() }, () => {
  before(() => {
    tls = makeSelfSignedCertificate();
  });
  after(() => {
    tls = undefined;
  });
  for (const fastPath of [true, false]) {
    for (const raiseForStatus of [false, true]) {
      for (const [name, check] of checks(fastPath, raiseForStatus)) {
        void test(`${name} (fastPath: ${fastPath}, raiseForStatus: ${raiseForStatus})`, () => withHttps(tls as SelfSignedCertificate, check));
      }
    }
  }
});
