/**
 * `taskio echo`: the seed's TCP echo server (section 6), on `taskio/streams`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createTask, run } from "../../index.js";
import { BrokenResourceError, isCancelled } from "../../errors.js";
import { startServer, type SocketAddress, type StreamReader, type StreamWriter } from "../../streams/index.js";
import { CLIError, parseCount, type CliIO, type Command } from "../io.js";

const usage = `Usage: taskio echo [--host 127.0.0.1] [--port 8888]

The seed's asyncio echo server, in taskio: every byte a client sends comes back. Logs each
connection and disconnection like the seed. Ctrl-C closes the server cleanly (exit code 130).

Options:
  --host HOST   the address to bind (default 127.0.0.1; 0.0.0.0 to accept from the network)
  --port PORT   the TCP port, 0 for any free port (default 8888)
  -h, --help    show this help`;

/** Formats an address as the seed's Python prints it: `('127.0.0.1', 8888)`. */
function formatAddress(address: SocketAddress | undefined): string {
  if (address === undefined) return "(unknown)";
  if (typeof address === "string") return `'${address}'`;
  return `('${address[0]}', ${address[1]})`;
}

/** What `taskio echo` does: serve until Ctrl-C, then close cleanly. */
async function echoServer(host: string, port: number, io: CliIO): Promise<number> {
  const log = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };

  async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
    const addr = formatAddress(writer.getExtraInfo<SocketAddress>("peername"));
    log(`Connection from ${addr}`);
    try {
      for (;;) {
        const data = await reader.read(1024);
        if (data.length === 0) break;
        writer.write(data);
        await writer.drain();
      }
      writer.close();
      await writer.waitClosed();
      log(`Connection closed ${addr}`);
    } catch (error) {
      if (isCancelled(error)) {
        log(`Connection closed ${addr} (server shutting down)`);
      } else if (error instanceof BrokenResourceError) {
        log(`Connection lost ${addr}: ${error.message}`);
        return;
      }
      throw error;
    }
  }

  let interrupted = false;
  const code = await run(
    async () => {
      let server;
      try {
        server = await startServer(handleEcho, host, port);
      } catch (error) {
        if (error instanceof BrokenResourceError) {
          const cause = error.cause as { code?: string } | undefined;
          const hint = cause?.code === "EADDRINUSE" ? " (is another server using that port? Try --port 0)" : "";
          throw new CLIError(`${error.message}${hint}`, 1);
        }
        throw error;
      }
      log(`Serving on ${formatAddress(server.sockets[0]?.getsockname())}`);
      const serving = createTask(() => server.serveForever(), { name: "echo server" });
      // Ctrl-C: the first cancels the server (handlers close their connections), a second quits.
      const onSigint = (): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
        serving.cancel("interrupted (SIGINT)");
      };
      process.on("SIGINT", onSigint);
      try {
        await serving;
      } catch (error) {
        if (!isCancelled(error)) throw error;
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
      log("Server closed");
      return interrupted ? 130 : 0;
    },
    { handleSigint: false, name: "taskio echo" },
  );
  return code;
}

export const command: Command = {
  summary: "run the seed's TCP echo server (Ctrl-C to stop)",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let values: { host?: string | undefined; port?: string | undefined };
    try {
      ({ values } = parseArgs({
        args,
        options: { host: { type: "string" }, port: { type: "string" } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      // parseArgs explains some errors over several lines: keep the first, one readable line.
      const first = ((error as Error).message.split("\n")[0] ?? "").replace(/\.$/, "");
      throw new CLIError(`${first}. Run \`taskio echo --help\``);
    }
    const host = values.host ?? "127.0.0.1";
    if (host.trim() === "") throw new CLIError(`Expected --host to be an address such as 127.0.0.1: received ""`);
    const port = values.port === undefined ? 8888 : parseCount(values.port, "--port", { min: 0, max: 65535 });
    return echoServer(host, port, io);
  },
};
