// Seed section 6, the other side: a client for the echo server, with openConnection.
// Run: node dist/examples/06-echo-client.js [port] [message...]   (default 8888, "Hello World!")
import { run } from "taskio";
import { openConnection } from "taskio/streams";

async function tcpEchoClient(message: string, port: number): Promise<void> {
  const [reader, writer] = await openConnection("127.0.0.1", port);

  console.log(`Send: '${message}'`);
  writer.write(message);
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: '${data.toString()}'`);

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

const port = Number(process.argv[2] ?? 8888);
const messages = process.argv.length > 3 ? process.argv.slice(3) : ["Hello World!"];
await run(async () => {
  for (const message of messages) await tcpEchoClient(message, port);
});
