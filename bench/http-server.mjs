// The HTTP server every client of bench/http.bench.ts talks to, run as a separate process so
// that the clients do not share its event loop. Prints "PORT <n>" when listening.
//   GET /json        a small JSON body (keep-alive)
//   GET /big?size=N  N bytes of data with Content-Length, written with backpressure
// Usage: node http-server.mjs [PORT] [KEY.pem CERT.pem]   (with a key and certificate: HTTPS)
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";

const JSON_BODY = Buffer.from(JSON.stringify({ id: 1, name: "taskio", tags: ["a", "b", "c"], ok: true }));
const BLOCK = Buffer.alloc(1 << 20, 0x61);

const [, , portArg, keyFile, certFile] = process.argv;
const createServer = (handler) =>
  keyFile === undefined
    ? createHttpServer(handler)
    : createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, handler);

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (url === "/json") {
    res.writeHead(200, { "content-type": "application/json", "content-length": JSON_BODY.length });
    res.end(JSON_BODY);
    return;
  }
  if (url.startsWith("/big")) {
    const size = Number(new URL(url, "http://x").searchParams.get("size") ?? BLOCK.length);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, BLOCK.length);
        left -= n;
        const ok = res.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n));
        if (!ok) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg ?? 0), "127.0.0.1", () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
