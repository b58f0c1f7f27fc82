/**
 * Reliability: bad input at the API of taskio/http. Wrong ClientSession options, request URLs
 * and options, and download() destinations and checksums each give one clear error — a
 * `TypeError` / `RangeError` (or, for a destination the file system refuses, an error with
 * Node's `code`) whose one-line message names the option or value and says what is expected —
 * and nothing is sent (the local server counts no request) and nothing is written.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { run } from "../../src/index.js";
import { ClientSession, download, type ClientSessionOptions, type DownloadOptions, type RequestOptions } from "../../src/http/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { startTestServer, type TestServer } from "../http/_server.js";

type ErrorClass = typeof TypeError | typeof RangeError | typeof Error;

/** Asserts `error` is exactly `kind`, on one line, naming `names` (each a string or pattern). */
function check(error: unknown, kind: ErrorClass, names: readonly (string | RegExp)[], label: string): void {
  assert.ok(error instanceof Error, `${label}: not an Error: ${String(error)}`);
  assert.equal(error.constructor, kind, `${label}: ${error.constructor.name} instead of ${kind.name}: ${error.message}`);
  assert.equal(error.message.includes("\n"), false, `${label}: a multi-line message`);
  assert.match(error.message, /^(Expected|Unknown option|Cannot)/, `${label}: says what is expected: ${error.message}`);
  for (const name of names) {
    if (typeof name === "string") assert.ok(error.message.includes(name), `${label}: names ${name}: ${error.message}`);
    else assert.match(error.message, name, label);
  }
}

/** Each case: the options (as unknown: they are wrong on purpose), the class, what the message names. */
type Case<T> = readonly [label: string, value: T, kind: ErrorClass, names: readonly (string | RegExp)[]];

const sessionCases: Case<unknown>[] = [
  ["options null", null, TypeError, ["ClientSession options", "null"]],
  ["options a string", "fast", TypeError, ["ClientSession options", '"fast"']],
  ["limit negative", { limit: -1 }, RangeError, ["'limit'", "-1", "0 for no limit"]],
  ["limit NaN", { limit: NaN }, RangeError, ["'limit'", "NaN"]],
  ["limit Infinity", { limit: Infinity }, RangeError, ["'limit'", "Infinity"]],
  ["limit a string", { limit: "10" }, TypeError, ["'limit'", '"10"']],
  ["limit fractional", { limit: 2.5 }, RangeError, ["'limit'", "2.5"]],
  ["limitPerHost negative", { limitPerHost: -3 }, RangeError, ["'limitPerHost'", "-3"]],
  ["limitPerHost a string", { limitPerHost: "4" }, TypeError, ["'limitPerHost'", '"4"']],
  ["timeout negative", { timeout: -5 }, RangeError, ["'timeout.total'", "-5"]],
  ["timeout zero", { timeout: 0 }, RangeError, ["'timeout.total'", "0"]],
  ["timeout NaN", { timeout: NaN }, RangeError, ["'timeout.total'", "NaN"]],
  ["timeout a string", { timeout: "5s" }, TypeError, ["'timeout'", '"5s"']],
  ["timeout.connect a string", { timeout: { connect: "1000" } }, TypeError, ["'timeout.connect'", '"1000"']],
  ["timeout.sockRead negative", { timeout: { sockRead: -1 } }, RangeError, ["'timeout.sockRead'", "-1"]],
  ["timeout misspelt", { timeout: { totl: 5000 } }, TypeError, ["'timeout.totl'", "total, connect or sockRead"]],
  ["maxRedirects negative", { maxRedirects: -1 }, RangeError, ["'maxRedirects'", "-1"]],
  ["maxRedirects NaN", { maxRedirects: NaN }, RangeError, ["'maxRedirects'", "NaN"]],
  ["maxRedirects a string", { maxRedirects: "3" }, TypeError, ["'maxRedirects'", '"3"']],
  ["maxResponseSize negative", { maxResponseSize: -1 }, RangeError, ["'maxResponseSize'", "-1", "Infinity for no limit"]],
  ["maxResponseSize NaN", { maxResponseSize: NaN }, RangeError, ["'maxResponseSize'", "NaN"]],
  ["maxResponseSize a string", { maxResponseSize: "1mb" }, TypeError, ["'maxResponseSize'", '"1mb"']],
  ["readLimit zero", { readLimit: 0 }, RangeError, ["'readLimit'", "0"]],
  ["retry a string", { retry: "yes" }, TypeError, ["'retry'", '"yes"']],
  ["retry zero attempts", { retry: 0 }, RangeError, ["'retry'", "0", "false for no retry"]],
  ["retry negative", { retry: -2 }, RangeError, ["'retry'", "-2"]],
  ["retry NaN", { retry: NaN }, RangeError, ["'retry'", "NaN"]],
  ["retry.attempts negative", { retry: { attempts: -1 } }, RangeError, ["'retry.attempts'", "-1"]],
  ["retry.baseDelay negative", { retry: { baseDelay: -100 } }, RangeError, ["'retry.baseDelay'", "-100"]],
  ["retry.maxDelay NaN", { retry: { maxDelay: NaN } }, RangeError, ["'retry.maxDelay'", "NaN"]],
  ["retry.factor below 1", { retry: { factor: 0.5 } }, RangeError, ["'retry.factor'", "0.5"]],
  ["retry.jitter unknown", { retry: { jitter: "some" } }, TypeError, ["'retry.jitter'", '"some"']],
  ["retry.statuses a string", { retry: { statuses: "503" } }, TypeError, ["'retry.statuses'", '"503"']],
  ["retry.statuses out of range", { retry: { statuses: [503, 999] } }, TypeError, ["'retry.statuses'", "100-599"]],
  ["retry.methods a string", { retry: { methods: "GET" } }, TypeError, ["'retry.methods'", '"GET"']],
  ["retry.retryIf not a function", { retry: { retryIf: true } }, TypeError, ["'retry.retryIf'", "true"]],
  ["baseUrl not a URL", { baseUrl: "not a url" }, TypeError, ["'baseUrl'", '"not a url"']],
  ["baseUrl ftp:", { baseUrl: "ftp://127.0.0.1/" }, TypeError, ["'baseUrl'", "http: or https:", '"ftp://127.0.0.1/"']],
  ["baseUrl a number", { baseUrl: 8080 }, TypeError, ["'baseUrl'", "8080"]],
  ["headers a string", { headers: "x-a: b" }, TypeError, ["'headers'", '"x-a: b"']],
  ["headers a number value", { headers: { "x-n": 5 } }, TypeError, ["'x-n'", "'headers'", "5 (number)"]],
  ["headers a bad name", { headers: { "x a": "b" } }, TypeError, ["'headers'", '"x a"']],
  ["headers CR LF in a value", { headers: { "x-a": "b\r\nx-evil: 1" } }, TypeError, ["'x-a'", "CR, LF"]],
  ["headers pairs not pairs", { headers: [["x-a"]] }, TypeError, ["'headers'", "[name, value]"]],
  ["raiseForStatus a string", { raiseForStatus: "yes" }, TypeError, ["'raiseForStatus'", '"yes"']],
  ["tls a string", { tls: "on" }, TypeError, ["'tls'", '"on"']],
  ["tls.rejectUnauthorized a string", { tls: { rejectUnauthorized: "false" } }, TypeError, ["'tls.rejectUnauthorized'", '"false"']],
  ["tls.ca a number", { tls: { ca: 42 } }, TypeError, ["'tls.ca'", "42"]],
  ["dispatcher not one", { dispatcher: {} }, TypeError, ["'dispatcher'"]],
];

/** Request cases: [label, url, options]; `BASE` in a URL stands for the server's. */
const requestCases: (readonly [string, unknown, unknown, ErrorClass, readonly (string | RegExp)[]])[] = [
  ["a relative URL without baseUrl", "/file", undefined, TypeError, ["'url'", '"/file"', "baseUrl"]],
  ["an ftp: URL", "ftp://127.0.0.1/file", undefined, TypeError, ["'url'", "http: or https:", '"ftp://127.0.0.1/file"']],
  ["a file: URL object", new URL("file:///etc/passwd"), undefined, TypeError, ["'url'", '"file:///etc/passwd"']],
  ["garbage", "http://", undefined, TypeError, ["'url'", '"http://"']],
  ["spaces", "ht tp://x y", undefined, TypeError, ["'url'", '"ht tp://x y"']],
  ["a number as URL", 42, undefined, TypeError, ["'url'", "42 (number)"]],
  ["null as URL", null, undefined, TypeError, ["'url'", "null"]],
  ["json and data together", "BASE/file", { json: { a: 1 }, data: "a=1" }, TypeError, ["'json'", "'data'"]],
  ["options a string", "BASE/file", "GET", TypeError, [/(request|download) options/, '"GET"']],
  ["maxRedirects negative", "BASE/file", { maxRedirects: -1 }, RangeError, ["'maxRedirects'", "-1"]],
  ["timeout NaN", "BASE/file", { timeout: NaN }, RangeError, ["'timeout.total'", "NaN"]],
  ["timeout.sockRead a string", "BASE/file", { timeout: { sockRead: "5" } }, TypeError, ["'timeout.sockRead'", '"5"']],
  ["retry negative", "BASE/file", { retry: -1 }, RangeError, ["'retry'", "-1"]],
  ["retry.statuses not an array", "BASE/file", { retry: { statuses: 503 } }, TypeError, ["'retry.statuses'", "503"]],
  ["headers a string", "BASE/file", { headers: "x" }, TypeError, ["'headers'", '"x"']],
  ["headers CR LF", "BASE/file", { headers: { "x-a": "1\r\n\r\nGET /evil" } }, TypeError, ["'x-a'", "CR, LF"]],
  ["params a number", "BASE/file", { params: 7 }, TypeError, ["'params'", "7"]],
  ["signal not a signal", "BASE/file", { signal: "stop" }, TypeError, ["'signal'", '"stop"']],
  ["raiseForStatus a number", "BASE/file", { raiseForStatus: 1 }, TypeError, ["'raiseForStatus'", "1 (number)"]],
  ["allowRedirects a string", "BASE/file", { allowRedirects: "no" }, TypeError, ["'allowRedirects'", '"no"']],
];

void describe("bad input to taskio/http", () => {
  let srv: TestServer;
  let dir: string;

  async function withEnv(fn: () => Promise<void>): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), "taskio-bad-http-"));
    try {
      await withoutLeaks(async () => {
        srv = await startTestServer({ "/file": (_req, res) => res.writeHead(200, { "content-length": 2 }).end("ok") });
        try {
          await run(fn);
        } finally {
          await srv.close();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  void test("ClientSession options: one TypeError/RangeError naming the option; no request", async () => {
    await withEnv(async () => {
      for (const [label, options, kind, names] of sessionCases) {
        let thrown: unknown;
        try {
          const session = new ClientSession(options as ClientSessionOptions);
          await session.close();
        } catch (error) {
          thrown = error;
        }
        check(thrown, kind, names, label);
      }
      // The same options work once corrected, and the server then sees exactly one request.
      assert.equal(srv.log.length, 0);
      await using session = new ClientSession({ baseUrl: srv.url, limit: 0, timeout: { total: 10_000 }, retry: 2 });
      assert.equal(await (await session.get("/file")).text(), "ok");
      assert.equal(srv.log.length, 1);
    });
  });

  void test("request URLs and options: rejected (not thrown) before anything is sent, by session calls and download()", async () => {
    await withEnv(async () => {
      await using session = new ClientSession();
      for (const [label, rawUrl, options, kind, names] of requestCases) {
        const url = typeof rawUrl === "string" ? rawUrl.replace("BASE", srv.url) : rawUrl;
        let pending: Promise<unknown> | undefined;
        assert.doesNotThrow(() => {
          pending = session.request("POST", url as string, options as RequestOptions);
        }, `${label}: thrown synchronously instead of rejected`);
        check(await pending?.catch((e: unknown) => e), kind, names, `${label} (request)`);
        if ((options as { json?: unknown } | undefined)?.json !== undefined) continue; // download() has no body options
        for (const fastPath of [true, false]) {
          const dest = join(dir, "out.bin");
          const dlOptions = typeof options === "object" && options !== null ? { ...(options as DownloadOptions), fastPath } : options;
          const thrown = await download(session, url as string, dest, dlOptions as DownloadOptions).catch((e: unknown) => e);
          check(thrown, kind, names, `${label} (download, fastPath ${fastPath})`);
        }
      }
      assert.equal(srv.log.length, 0, "no request reached the server");
      assert.deepEqual(readdirSync(dir), [], "nothing written");
      // Still usable.
      assert.equal((await download(session, `${srv.url}/file`, join(dir, "ok.bin"))).bytes, 2);
      assert.equal(srv.log.length, 1);
    });
  });

  void test("download(): a missing directory, a directory as dest, bad checksums and options; nothing sent or written", async () => {
    await withEnv(async () => {
      await using session = new ClientSession({ baseUrl: srv.url });
      const out = join(dir, "out");
      mkdirSync(out);
      mkdirSync(join(out, "adir"));
      writeFileSync(join(out, "afile"), "keep me");
      const before = readdirSync(out).sort();
      const cases: (readonly [string, unknown, unknown, ErrorClass | "system", readonly (string | RegExp)[], string?])[] = [
        ["dest in a missing directory", join(out, "missing", "f.bin"), {}, "system", ["missing", "create it first"], "ENOENT"],
        ["dest under a file", join(out, "afile", "f.bin"), {}, "system", ["afile", "not a directory"], "ENOTDIR"],
        ["dest is a directory", join(out, "adir"), {}, "system", ["adir", "is a directory", "file name"], "EISDIR"],
        ["dest empty", "", {}, TypeError, ["'dest'", '""']],
        ["dest a number", 7, {}, TypeError, ["'dest'", "7"]],
        ["checksum without algorithm", join(out, "f.bin"), { checksum: "abcdef" }, TypeError, ["'checksum'", '"abcdef"', "sha256:<hex>"]],
        ["checksum unknown algorithm", join(out, "f.bin"), { checksum: "sha999:abcd" }, TypeError, ["'checksum'", '"sha999"']],
        ["checksum not hex", join(out, "f.bin"), { checksum: "sha256:xyz" }, TypeError, ["'checksum'", '"xyz"', "hexadecimal"]],
        ["checksum truncated", join(out, "f.bin"), { checksum: "sha256:abcd" }, TypeError, ["'checksum'", "64 hex digits", "copied whole"]],
        ["checksum empty digest", join(out, "f.bin"), { checksum: "sha256:" }, TypeError, ["'checksum'", '""']],
        ["checksum a number", join(out, "f.bin"), { checksum: 42 }, TypeError, ["'checksum'", "number"]],
        ["checksum object of numbers", join(out, "f.bin"), { checksum: { algorithm: 1, digest: 2 } }, TypeError, ["'checksum'", "two strings"]],
        ["highWaterMark zero", join(out, "f.bin"), { highWaterMark: 0 }, RangeError, ["'highWaterMark'", "0"]],
        ["resume a string", join(out, "f.bin"), { resume: "yes" }, TypeError, ["'resume'", '"yes"']],
        ["fastPath a number", join(out, "f.bin"), { fastPath: 1 }, TypeError, ["'fastPath'", "1"]],
        ["onProgress not a function", join(out, "f.bin"), { onProgress: "log" }, TypeError, ["'onProgress'", '"log"']],
        ["json given to download", join(out, "f.bin"), { json: { a: 1 } }, TypeError, ["'json'", "session.post()"]],
        ["data given to download", join(out, "f.bin"), { data: "x" }, TypeError, ["'data'", "session.post()"]],
        ["options a string", join(out, "f.bin"), "fast", TypeError, ["download options", '"fast"']],
      ];
      for (const [label, dest, options, kind, names, code] of cases) {
        for (const fastPath of [true, false]) {
          const opts = typeof options === "object" && options !== null && !("fastPath" in options) ? { ...options, fastPath } : options;
          const thrown = await download(session, "/file", dest as string, opts as DownloadOptions).catch((e: unknown) => e);
          if (kind === "system") {
            assert.ok(thrown instanceof Error, `${label}: ${String(thrown)}`);
            assert.equal((thrown as { code?: string }).code, code, `${label}: ${thrown.message}`);
            assert.ok(typeof (thrown as { path?: unknown }).path === "string", `${label}: names the path`);
            check(thrown, Error, names, label);
          } else {
            check(thrown, kind, names, `${label} (fastPath ${fastPath})`);
          }
        }
      }
      assert.equal(srv.log.length, 0, "no request reached the server");
      assert.deepEqual(readdirSync(out).sort(), before, "nothing written next to the destinations");
      assert.deepEqual(readdirSync(join(out, "adir")), []);
    });
  });
});
