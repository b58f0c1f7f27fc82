/**
 * An in-memory socket pair for the conformance suite: two Duplex ends, each writing into the
 * other's readable side, with backpressure (a write completes only once the peer's buffer has
 * room), half-close (`end()` is the peer's EOF), and a destroyed end acting like a vanished peer
 * (the other end reads EOF, its writes fail with EPIPE).
 */
import { Duplex } from "node:stream";

class MemorySocket extends Duplex {
  peer!: MemorySocket;
  #pendingWrite: ((error?: Error | null) => void) | undefined = undefined;
  #eofSent = false;

  constructor(highWaterMark: number) {
    super({ allowHalfOpen: true, highWaterMark });
  }

  #sendEof(): void {
    if (this.#eofSent) return;
    this.#eofSent = true;
    if (!this.peer.destroyed) this.peer.push(null);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      return;
    }
    if (this.peer.push(chunk)) callback();
    else this.#pendingWrite = callback;
  }

  override _read(): void {
    // Our consumer wants more: let the peer's deferred write complete.
    const peer = this.peer;
    const pending = peer.#pendingWrite;
    if (pending !== undefined) {
      peer.#pendingWrite = undefined;
      pending();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#sendEof();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#sendEof();
    const peerPending = this.peer.#pendingWrite;
    if (peerPending !== undefined) {
      this.peer.#pendingWrite = undefined;
      peerPending(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    }
    const own = this.#pendingWrite;
    this.#pendingWrite = undefined;
    own?.();
    callback(error);
  }
}

/** Two connected in-memory sockets. */
export function memorySocketPair(highWaterMark = 16 * 1024): [Duplex, Duplex] {
  const a = new MemorySocket(highWaterMark);
  const b = new MemorySocket(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
