/**
 * `taskio/streams`: buffered, cancellable byte streams over TCP, Unix sockets and TLS.
 * asyncio: `asyncio.streams` (`open_connection`, `start_server`, `StreamReader`, `StreamWriter`).
 *
 * @module
 */

export { StreamReader, readerFromStream, DEFAULT_LIMIT } from "./reader.js";
export type { ReaderTransport, StreamReaderOptions, ReadOptions, ReaderFromStreamOptions, LinesOptions, LinesEncoding } from "./reader.js";
export { StreamWriter } from "./writer.js";
export type { StreamWriterOptions, WriterWaitOptions, SocketAddress } from "./writer.js";
export { Connection, openConnection, openUnixConnection } from "./connection.js";
export type { OpenConnectionOptions } from "./connection.js";
export { Server, ServerSocket, startServer, startUnixServer } from "./server.js";
export type { ConnectionHandler, StartServerOptions, ServerWaitOptions } from "./server.js";
