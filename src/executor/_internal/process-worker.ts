/**
 * The entry module of a ProcessPoolExecutor's child processes.
 * @module
 */
import { Runner } from "./runner.js";
import { CRASH, serializeError, type ToWorker } from "./protocol.js";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("taskio's process-worker module must run in a child forked with an IPC channel");
const runner = new Runner((message) => {
  send(message);
}, undefined);
process.on("message", (message: ToWorker) => runner.handle(message));
// The executor went away: never outlive it.
process.on("disconnect", () => process.exit(0));
process.on("uncaughtException", (error) => {
  // Tell the executor why, then die: only the running item fails, and the pool forks anew.
  try {
    send([CRASH, serializeError(error)], undefined, {}, () => process.exit(1));
  } catch {
    process.exit(1);
  }
});
