/** Password files for the built-in server: `user:scrypt$N$r$p$salt$hash` lines, never plain text. */

import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { SockhopError } from "./errors.ts";

const N = 16384;
const R = 8;
const P = 1;

/** A salted scrypt hash of `password`. */
export function hashPassword(password: string, salt: Uint8Array = randomBytes(16)): string {
  const hash = scryptSync(password, salt, 32, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${Buffer.from(salt).toString("base64")}$${hash.toString("base64")}`;
}

/** Whether `password` matches the stored hash (constant time). */
export function verifyPassword(stored: string, password: string): boolean {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const want = Buffer.from(m[5]!, "base64");
  const got = scryptSync(password, Buffer.from(m[4]!, "base64"), want.length, {
    N: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
    maxmem: 256 * 1024 * 1024,
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The entries of a password file, user to hash. */
export function readPasswordEntries(path: string): Map<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Map();
    throw new SockhopError(
      `Cannot read password file ${path}: ${(err as Error).message}`,
      "usage-file",
    );
  }
  const entries = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0 || !line.slice(colon + 1).startsWith("scrypt$")) {
      throw new SockhopError(
        `${path} line ${i + 1}: expected user:scrypt$..., write it with sockhop passwd`,
        "usage-file",
      );
    }
    entries.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return entries;
}

/** Add or replace the entry of `user`, keeping the file private (0600). */
export function writePasswordEntry(path: string, user: string, password: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(user)) {
    throw new SockhopError(`Bad user name ${JSON.stringify(user)}`, "usage");
  }
  const entries = readPasswordEntries(path);
  entries.set(user, hashPassword(password));
  const text = [...entries].map(([u, h]) => `${u}:${h}`).join("\n") + "\n";
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, text, { mode: 0o600 });
  Deno.chmodSync(tmp, 0o600);
  Deno.renameSync(tmp, path);
}
