/**
 * Checksums for `download()`: parsing `"sha256:<hex>"`, hashing a file, reporting a mismatch.
 *
 * @module
 * @internal
 */

import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { ChecksumMismatchError } from "../errors.js";
import { cancellable } from "../core/shield.js";

/**
 * A new hash object. `node:crypto` is loaded on first use, not at import: a process that
 * downloads without a checksum never pays for it (about 3 MB of RSS on Node 24).
 */
export function createHash(algorithm: string): Hash {
  return process.getBuiltinModule("node:crypto").createHash(algorithm);
}

/** A checksum to verify: `"sha256:<hex>"` or `{ algorithm: "sha256", digest: "<hex>" }`. */
export type Checksum = string | { algorithm: string; digest: string };

export function parseChecksum(checksum: Checksum): { algorithm: string; digest: string } {
  let algorithm: string;
  let digest: string;
  if (typeof checksum === "string") {
    const index = checksum.indexOf(":");
    if (index <= 0) {
      throw new TypeError(`Expected 'checksum' to look like "sha256:<hex>": received ${JSON.stringify(checksum)}`);
    }
    algorithm = checksum.slice(0, index);
    digest = checksum.slice(index + 1);
  } else if (typeof checksum === "object" && checksum !== null) {
    const given = checksum as { algorithm: unknown; digest: unknown };
    if (typeof given.algorithm !== "string" || typeof given.digest !== "string") {
      throw new TypeError(`Expected 'checksum' as an object to be { algorithm: "sha256", digest: "<hex>" } (two strings): received ${JSON.stringify(given)}`);
    }
    algorithm = given.algorithm;
    digest = given.digest;
  } else {
    throw new TypeError(`Expected 'checksum' to be "sha256:<hex>" or { algorithm, digest }: received ${typeof checksum}`);
  }
  algorithm = algorithm.toLowerCase();
  let size: number;
  try {
    size = createHash(algorithm).digest().length;
  } catch {
    throw new TypeError(`Expected 'checksum' to name a hash algorithm such as sha256: received ${JSON.stringify(algorithm)}`);
  }
  if (!/^[0-9a-fA-F]+$/.test(digest)) {
    throw new TypeError(`Expected the digest of 'checksum' to be hexadecimal: received ${JSON.stringify(digest)}`);
  }
  if (digest.length !== size * 2) {
    throw new TypeError(
      `Expected the digest of 'checksum' to be ${size * 2} hex digits for ${algorithm}: received ${digest.length} (${JSON.stringify(digest)}); check that it was copied whole`,
    );
  }
  return { algorithm, digest: digest.toLowerCase() };
}

export function mismatch(expected: { algorithm: string; digest: string }, actual: string, url: string): ChecksumMismatchError {
  return new ChecksumMismatchError(
    `The downloaded file's ${expected.algorithm} differs: expected ${expected.digest}, got ${actual}: GET ${url}`,
    { expected: expected.digest, actual, method: "GET", url },
  );
}

export async function verify(
  file: string,
  expected: { algorithm: string; digest: string },
  hash: Hash | undefined,
  url: string | URL,
): Promise<string> {
  const h = hash ?? createHash(expected.algorithm);
  await hashFile(file, h);
  const digest = h.digest("hex");
  if (digest !== expected.digest) {
    await unlink(file).catch(() => undefined);
    throw mismatch(expected, digest, String(url));
  }
  return digest;
}

export async function hashFile(file: string, hash: Hash): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    await cancellable(
      (async () => {
        for await (const chunk of stream) hash.update(chunk as Buffer);
      })(),
    );
  } finally {
    stream.destroy();
  }
}

