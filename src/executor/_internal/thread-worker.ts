/**
 * The entry module of a ThreadPoolExecutor's worker threads.
 * @module
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { Runner } from "./runner.js";
import type { ToWorker } from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("taskio's thread-worker module must run in a worker thread");
const data = workerData as { flag: Int32Array };
const runner = new Runner(
  (message, transfer) => port.postMessage(message, transfer),
  data.flag,
  () => receiveMessageOnPort(port)?.message as ToWorker | undefined,
);
port.on("message", (message: ToWorker) => runner.handle(message));
