import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientConnectionError, ClientSession, download } from "../../src/http/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { makeSelfSignedCertificate, needsOpenssl } from "../_helpers/tls.js";

let dir = "";
let key = "";
let cert = "";

void describe("HTTPS: certificates are verified", { skip: needsOpenssl() }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "taskio-https-"));
    ({ key, cert } = makeSelfSignedCertificate());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("a self-signed certificate is refused by default, accepted with tls.ca; download() works over HTTPS", async () => {
    await withoutLeaks(async () => {
      const server = createServer({ key, cert }, (_req, res) => res.end("secure"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
      try {
        {
          await using strict = new ClientSession();
          const error = await strict.get(url).catch((e: unknown) => e);
          assert.ok(error instanceof ClientConnectionError);
          assert.match(error.message, /self[- ]signed|SELF_SIGNED/i);
        }
        {
          await using trusting = new ClientSession({ tls: { ca: cert } });
          assert.equal(await (await trusting.get(url)).text(), "secure");
          const result = await download(trusting, url, join(dir, "file.txt"));
          assert.equal(result.bytes, 6);
          assert.equal(readFileSync(join(dir, "file.txt"), "utf8"), "secure");
        }
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
