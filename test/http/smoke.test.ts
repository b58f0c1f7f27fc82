import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientSession } from "../../src/http/index.js";
import { startTestServer } from "./_server.js";

test("smoke", async () => {
  const srv = await startTestServer({
    "/json": (_req, res) => { res.writeHead(200, { "content-type": "application/json" }).end('{"a":1}'); },
  });
  const session = new ClientSession({ baseUrl: srv.url });
  const resp = await session.get("/json");
  assert.equal(resp.status, 200);
  assert.deepEqual(await resp.json(), { a: 1 });
  const r2 = await session.get("/nope");
  assert.equal(r2.status, 404);
  assert.equal(await r2.text(), "not found");
  await session.close();
  await srv.close();
});
