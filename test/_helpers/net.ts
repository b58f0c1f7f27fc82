/** TCP helpers shared by the stream and reliability suites (127.0.0.1 only). */
import { connect, type Socket } from "node:net";
import type { StreamReader, StreamWriter } from "../../src/streams/index.js";

/** A line echo handler: each line back as it came, with flow control. */
export async function lineEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
}

/** A plain `net` client socket, for clients that misbehave below the stream API. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}
