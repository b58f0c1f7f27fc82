/**
 * TLS through the `ssl` option, with a self-signed certificate generated for the test (by the
 * `openssl` command when present, else this suite is skipped with a note).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BrokenResourceError, run } from "../../src/index.js";
import { ClosedResourceError } from "../../src/errors.js";
import { openConnection, openUnixConnection, startServer, startUnixServer } from "../../src/streams/index.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { makeSelfSignedCertificate, needsOpenssl } from "../_helpers/tls.js";

const str = (data: Uint8Array): string => Buffer.from(data).toString();

let dir = "";
let key = "";
let cert = "";

void describe("TLS (ssl option)", { skip: needsOpenssl() }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "taskio-tls-"));
    ({ key, cert } = makeSelfSignedCertificate());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("an echo over TLS with a self-signed certificate the client trusts", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using server = await startServer(
          async (reader, writer) => {
            assert.equal(writer.canWriteEof(), false);
            const line = await reader.readLine();
            writer.write(line);
            await writer.drain();
          },
          "127.0.0.1",
          0,
          { ssl: { key, cert } },
        );
        await using conn = await openConnection("127.0.0.1", server.port!, { ssl: { ca: cert } });
        assert.equal(conn.writer.canWriteEof(), false);
        assert.throws(() => conn.writer.writeEof(), ClosedResourceError);
        const peercert = conn.writer.getExtraInfo<{ subject: { CN: string } }>("peercert")!;
        assert.equal(peercert.subject.CN, "localhost");
        assert.ok(conn.writer.getExtraInfo("cipher") !== undefined);
        conn.writer.write("secret\n");
        assert.equal(str(await conn.reader.readLine()), "secret\n");
        assert.equal((await conn.reader.read()).length, 0);
      }),
    );
  });

  void test("a client that does not trust the certificate fails with BrokenResourceError", async () => {
    await withoutLeaks(() =>
      run(async () => {
        await using server = await startServer(async () => {}, "127.0.0.1", 0, { ssl: { key, cert } });
        await assert.rejects(openConnection("127.0.0.1", server.port!, { ssl: true }), (error: unknown) => {
          assert.ok(error instanceof BrokenResourceError);
          assert.match(error.message, /^Could not connect to 127\.0\.0\.1:\d+: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
          return true;
        });
        // The server is unaffected by the failed handshake.
        await using conn = await openConnection("127.0.0.1", server.port!, { ssl: { ca: cert } });
        assert.equal((await conn.reader.read()).length, 0);
      }),
    );
  });

  void test("TLS over a Unix socket", async () => {
    await withoutLeaks(() =>
      run(async () => {
        const path = join(dir, "tls.sock");
        await using server = await startUnixServer(
          async (reader, writer) => {
            writer.write(await reader.readExactly(4));
          },
          path,
          { ssl: { key, cert } },
        );
        await using conn = await openUnixConnection(path, { ssl: { ca: cert, servername: "localhost" } });
        conn.writer.write("ping");
        assert.equal(str(await conn.reader.readExactly(4)), "ping");
        assert.equal(server.connectionCount <= 1, true);
      }),
    );
  });
});
