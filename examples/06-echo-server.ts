// Seed section 6: an asynchronous TCP echo server with startServer, StreamReader and StreamWriter.
// Run: node dist/examples/06-echo-server.js [port]   (default 8888; Ctrl-C to stop)
// Then, in another terminal: node dist/examples/06-echo-client.js
import { run } from "taskio";
import { startServer, type SocketAddress, type StreamReader, type StreamWriter } from "taskio/streams";

/** Prints an address as Python does: ('127.0.0.1', 8888). */
function formatAddress(address: SocketAddress | undefined): string {
  return Array.isArray(address) ? `('${address[0]}', ${address[1]})` : String(address);
}

async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  // Handle a single client: read data and echo it back
  const addr = formatAddress(writer.getExtraInfo<SocketAddress>("peername"));
  console.log(`Connection from ${addr}`);
  for (;;) {
    const data = await reader.read(1024);
    if (data.length === 0) break;
    writer.write(data); // echo back
    await writer.drain();
  }
  writer.close();
  await writer.waitClosed();
  console.log(`Connection closed ${addr}`);
}

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 8888);
  // `await using` plays the part of Python's `async with server:`
  await using server = await startServer(handleEcho, "127.0.0.1", port);
  const addr = server.sockets[0]?.getsockname();
  console.log(`Serving on ${formatAddress(addr)}`);
  await server.serveForever();
}

await run(main);
