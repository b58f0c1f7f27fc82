/**
 * A self-signed certificate for 127.0.0.1/localhost, made by the `openssl` command for a test
 * (Node 20's crypto cannot create certificates). Suites skip themselves when openssl is missing.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The skip option for a suite that needs openssl: `describe(name, { skip: needsOpenssl() }, ...)`. */
export function needsOpenssl(): false | string {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return false;
  } catch {
    return "the openssl command is not installed";
  }
}

/** A PEM key and certificate, valid one day, for CN=localhost with 127.0.0.1 as an alternative name. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

/** Makes a fresh key and certificate in a temporary folder, reads them, and removes the folder. */
export function makeSelfSignedCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), "taskio-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
