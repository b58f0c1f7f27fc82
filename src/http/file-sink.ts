/**
 * The bounded path from a body to a file: chunks queue up while a write runs, and each write
 * takes everything queued in one `writev` at an explicit position. Past `highWaterMark` bytes
 * waiting for the disk, the source is paused; each chunk is handed back (`recycle`) once written.
 *
 * @module
 * @internal
 */

import type { Hash } from "node:crypto";
import { writev } from "node:fs";
import { CancelledError } from "../errors.js";
import { suspend, type Suspension } from "../core/suspend.js";
import type { BodySink } from "./exchange.js";
import type { SinkSource } from "./raw-get.js";

/** @internal */
export class FileSink implements BodySink {
  position: number;
  #fd: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #writing = false;
  #ended = false;
  #error: unknown = undefined;
  #highWaterMark: number;
  #source: SinkSource;
  #hash: Hash | undefined;
  #progress: () => void;
  #waiter: Suspension<void> | undefined = undefined;
  #attached = false;
  #idle: (() => void) | undefined = undefined;

  constructor(fd: number, position: number, hwm: number, source: SinkSource, hash: Hash | undefined, progress: () => void) {
    this.#fd = fd;
    this.position = position;
    this.#highWaterMark = hwm;
    this.#source = source;
    this.#hash = hash;
    this.#progress = progress;
  }

  /** Starts waiting for the end; returns the promise that settles when all is on disk. */
  attach(signal: AbortSignal | undefined): Promise<void> {
    const s = suspend<void>(`download to file (fd ${this.#fd})`, this.#abandon, signal);
    this.#waiter = s;
    this.#attached = true;
    this.#check();
    return s.promise;
  }

  #abandon = (): void => {
    this.#waiter = undefined;
    this.#error ??= new CancelledError("The download was cancelled");
    this.#queue = [];
    this.#queued = 0;
    this.#source.abort(new CancelledError(`The download was cancelled: ${this.#source.label}`));
  };

  write(chunk: Buffer): boolean {
    if (this.#error !== undefined) return true;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (!this.#writing) this.#flush();
    return this.#queued < this.#highWaterMark;
  }

  end(): void {
    this.#ended = true;
    this.#check();
  }

  fail(error: unknown): void {
    this.#error ??= error;
    this.#queue = [];
    this.#queued = 0;
    this.#check();
  }

  #flush(): void {
    const chunks = this.#queue;
    const bytes = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#writing = true;
    const hash = this.#hash;
    if (hash !== undefined) for (const chunk of chunks) hash.update(chunk);
    this.#writeAll(chunks, bytes, chunks);
  }

  #writeAll(chunks: Buffer[], bytes: number, batch: Buffer[]): void {
    writev(this.#fd, chunks, this.position, (error, written) => {
      if (error !== null) {
        this.#writing = false;
        this.#error ??= error;
        this.#source.abort(error);
        this.#check();
        return;
      }
      this.position += written;
      if (written < bytes) {
        // A short write: send the rest, from where it stopped.
        this.#writeAll(rest(chunks, written), bytes - written, batch);
        return;
      }
      this.#writing = false;
      const recycle = this.#source.recycle;
      if (recycle !== undefined) for (const chunk of batch) recycle.call(this.#source, chunk);
      if (this.#error === undefined) this.#progress();
      if (this.#queued > 0 && this.#error === undefined) this.#flush();
      else this.#check();
      if (this.#queued < this.#highWaterMark) this.#source.resume();
    });
  }

  /** Settles the download when nothing is left to write. */
  #check(): void {
    if (this.#writing) return;
    const idle = this.#idle;
    if (idle !== undefined) {
      this.#idle = undefined;
      idle();
    }
    if (!this.#attached) return;
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#error !== undefined) {
      this.#waiter = undefined;
      waiter.fail(this.#error);
    } else if (this.#ended && this.#queued === 0) {
      this.#waiter = undefined;
      waiter.resume();
    }
  }

  /** Resolves when no write is running (so the file can be closed). */
  idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }
}

function rest(chunks: Buffer[], written: number): Buffer[] {
  let skip = written;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    out.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return out;
}

