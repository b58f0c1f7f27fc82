/**
 * Seed section 6: an asynchronous TCP echo server (startServer, StreamReader/StreamWriter) on an
 * ephemeral port, and three clients (openConnection) talking to it at once.
 */
import { Event, gather } from "../../../index.js";
import { openConnection, startServer, type SocketAddress, type StreamReader, type StreamWriter } from "../../../streams/index.js";
import { elapsedSince, type DemoSection } from "../section.js";

/** Prints an address as Python does: ('127.0.0.1', 8888). */
const formatAddress = (address: SocketAddress | undefined): string =>
  Array.isArray(address) ? `('${String(address[0])}', ${String(address[1])})` : String(address);

const MESSAGES = ["Hello World!", "Halo Dunia!", "Bonjour le monde !"];

/** Seed section 6, for the tour's registry (`sections.ts`). */
export const section: DemoSection = {
  id: 6,
  title: "TCP echo server: startServer + openConnection",
  async run({ log, timeline }) {
    let handlers = 0;
    let peakHandlers = 0;
    let bytesEchoed = 0;
    let finished = 0;
    const allHandled = new Event();

    async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
      // Handle a single client: read data and echo it back
      const addr = formatAddress(writer.getExtraInfo<SocketAddress>("peername"));
      handlers++;
      peakHandlers = Math.max(peakHandlers, handlers);
      log(`Connection from ${addr}`);
      try {
        for (;;) {
          const data = await reader.read(1024);
          if (data.length === 0) break;
          bytesEchoed += data.length;
          writer.write(data); // echo back
          await writer.drain();
        }
        writer.close();
        await writer.waitClosed();
        log(`Connection closed ${addr}`);
      } finally {
        handlers--;
        if (++finished === MESSAGES.length) allHandled.set();
      }
    }

    const tcpEchoClient = (message: string, port: number, name: string) =>
      timeline.track(name, async (): Promise<boolean> => {
        const [reader, writer] = await openConnection("127.0.0.1", port);
        log(`${name}: Send: '${message}'`);
        writer.write(message);
        await writer.drain();
        // Read the whole echo (a TCP read may return part of it).
        const echoed = (await reader.readExactly(Buffer.byteLength(message))).toString();
        log(`${name}: Received: '${echoed}'`);
        log(`${name}: Close the connection`);
        writer.close();
        await writer.waitClosed();
        return echoed === message;
      });

    const started = performance.now();
    let port = 0;
    let echoesMatch: boolean[];
    {
      // `await using` plays the part of Python's `async with server:`
      await using server = await startServer(handleEcho, "127.0.0.1", 0);
      log(`Serving on ${formatAddress(server.sockets[0]?.getsockname())}`);
      port = server.port ?? 0;
      echoesMatch = await gather(...MESSAGES.map((m, i) => () => tcpEchoClient(m, port, `client-${i + 1}`)));
      // Closing a server cancels the handlers still running: let them finish their goodbyes first.
      await allHandled.wait();
      server.close();
      await server.waitClosed();
    }
    const elapsed = elapsedSince(started);
    const allMatch = echoesMatch.every(Boolean);
    log(
      `evidence: ${MESSAGES.length} clients echoed correctly: ${allMatch}; up to ${peakHandlers} connections handled at once; ` +
        `${bytesEchoed} bytes echoed in ${elapsed} ms; the server is closed`,
    );
    return { port, clients: MESSAGES.length, echoesMatch: allMatch, peakConnections: peakHandlers, bytesEchoed, elapsedMs: elapsed };
  },
};
