/**
 * The built-in server's password hashes (serve --password-hashes, written by sockhop passwd):
 * `user:scrypt$N$r$p$salt$digest` lines, never plain text. Every field is checked whenever the
 * file is read: a hash that cannot be checked as written (an empty digest matched every
 * password) makes the whole file unusable.
 */

import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { fileErrorText, SockhopError } from "./errors.ts";
import { NotRegularFileError, readRegularFile } from "./regular_file.ts";

/** A parsed scrypt hash. */
export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Uint8Array;
  readonly digest: Uint8Array;
}

export type ScryptParams = Pick<ScryptHash, "N" | "r" | "p">;

/** What `sockhop passwd` writes: 16 MiB and about 50 ms per check here. */
export const SCRYPT_DEFAULTS: ScryptParams = Object.freeze({ N: 16384, r: 8, p: 1 });
export const SALT_BYTES = 16;
export const DIGEST_BYTES = 32;

/**
 * What a hash may ask for. Below: not worth calling a hash. Above: one login attempt could
 * hold hundreds of MiB or seconds of CPU, and every wrong guess costs that much again.
 */
export const SCRYPT_BOUNDS = Object.freeze({
  minN: 2 ** 14,
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  /** 128·N·r bytes: four times the default's. */
  maxMemory: 64 * 1024 * 1024,
  /** N·r·p: sixteen times the default's. */
  maxWork: 16 * 16384 * 8,
});

/** The problem with a stored hash, or undefined when it is well formed and within bounds. */
export function hashProblem(stored: string): string | undefined {
  const parsed = _parse(stored);
  return typeof parsed === "string" ? parsed : undefined;
}

/** Parse a stored hash; throws on anything `hashProblem` names. */
export function parseHash(stored: string): ScryptHash {
  const parsed = _parse(stored);
  if (typeof parsed === "string") throw new SockhopError(parsed, "password-hashes");
  return parsed;
}

function _parse(stored: string): ScryptHash | string {
  const fields = stored.split("$");
  if (fields.length !== 6 || fields[0] !== "scrypt") {
    return "expected scrypt$N$r$p$salt$digest";
  }
  const [, nText, rText, pText, saltText, digestText] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const b = SCRYPT_BOUNDS;
  const N = _int(nText);
  if (N === undefined || N < b.minN || N > b.maxN || (N & (N - 1)) !== 0) {
    return `N=${nText.slice(0, 20)} is not a power of two from ${b.minN} to ${b.maxN}`;
  }
  const r = _int(rText);
  if (r === undefined || r < 1 || r > b.maxR) {
    return `r=${rText.slice(0, 20)} is not from 1 to ${b.maxR}`;
  }
  const p = _int(pText);
  if (p === undefined || p < 1 || p > b.maxP) {
    return `p=${pText.slice(0, 20)} is not from 1 to ${b.maxP}`;
  }
  if (128 * N * r > b.maxMemory) {
    return `N=${N} r=${r} needs ${(128 * N * r) / 2 ** 20} MiB, more than ${
      b.maxMemory / 2 ** 20
    } MiB`;
  }
  if (N * r * p > b.maxWork) return `N·r·p = ${N * r * p} is more than ${b.maxWork}`;
  const salt = _base64(saltText, SALT_BYTES);
  if (!salt) return `the salt is not ${SALT_BYTES} bytes of base64`;
  const digest = _base64(digestText, DIGEST_BYTES);
  if (!digest) return `the digest is not ${DIGEST_BYTES} bytes of base64`;
  return { N, r, p, salt, digest };
}

function _int(text: string): number | undefined {
  return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
}

/** Canonical base64 of exactly `bytes` bytes: text that does not round-trip is malformed. */
function _base64(text: string, bytes: number): Uint8Array | undefined {
  const buf = Buffer.from(text, "base64");
  if (buf.length !== bytes || buf.toString("base64") !== text) return undefined;
  return new Uint8Array(buf);
}

/** A salted scrypt hash of `password`, as a password file stores it. */
export async function hashPassword(
  password: string,
  salt: Uint8Array = randomBytes(SALT_BYTES),
): Promise<string> {
  const { N, r, p } = SCRYPT_DEFAULTS;
  const digest = await _scrypt(password, { N, r, p, salt, digest: new Uint8Array(DIGEST_BYTES) });
  return `scrypt$${N}$${r}$${p}$${Buffer.from(salt).toString("base64")}$${
    Buffer.from(digest).toString("base64")
  }`;
}

/**
 * A hash no password matches, costing what a real one with `params` costs: checked in place of
 * a missing entry, so a refusal takes as long for a user who has none.
 */
export function dummyHash(params: ScryptParams = SCRYPT_DEFAULTS): ScryptHash {
  return {
    ...params,
    salt: new Uint8Array(randomBytes(SALT_BYTES)),
    digest: new Uint8Array(randomBytes(DIGEST_BYTES)),
  };
}

/** scrypt on libuv's thread pool: the event loop goes on serving transfers meanwhile. */
function _scrypt(password: string, hash: ScryptHash): Promise<Uint8Array> {
  const { N, r, p } = hash;
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      hash.salt,
      hash.digest.length,
      // Room for scrypt's own buffers beside the 128·N·r of its table.
      { N, r, p, maxmem: 128 * N * r + 128 * r * p + 1024 * 1024 },
      (err, key) => err ? reject(err) : resolve(new Uint8Array(key)),
    );
  });
}

/** Whether `password` matches `hash` (compared in constant time). */
export async function verifyPassword(hash: ScryptHash, password: string): Promise<boolean> {
  const got = await _scrypt(password, hash);
  return got.length === hash.digest.length && timingSafeEqual(got, hash.digest);
}

/** Too many checks waiting already: the caller drops the connection. */
export class PasswordQueueFullError extends Error {
  override name = "PasswordQueueFullError";
}

export interface PasswordChecker {
  /**
   * Whether `password` matches `hash`. At most `maxConcurrent` run at once; others wait their
   * turn, at most `maxQueued` of them (beyond: PasswordQueueFullError). One that is still
   * waiting when `signal` aborts is dropped unchecked (rejects with the signal's reason).
   */
  verify(hash: ScryptHash, password: string, signal?: AbortSignal): Promise<boolean>;
  /** Checks running and waiting now. */
  readonly load: { readonly running: number; readonly waiting: number };
}

export function createPasswordChecker(
  limits: { maxConcurrent: number; maxQueued: number },
): PasswordChecker {
  let running = 0;
  const waiting: Array<() => void> = [];
  /** A finished check hands its slot straight to the next one waiting. */
  const next = () => {
    const turn = waiting.shift();
    if (turn) turn();
    else running--;
  };
  return {
    get load() {
      return { running, waiting: waiting.length };
    },
    async verify(hash, password, signal) {
      signal?.throwIfAborted();
      if (running >= limits.maxConcurrent) {
        if (waiting.length >= limits.maxQueued) {
          throw new PasswordQueueFullError(
            `${limits.maxQueued} password checks are waiting already`,
          );
        }
        await new Promise<void>((resolve, reject) => {
          const turn = () => {
            signal?.removeEventListener("abort", abort);
            resolve();
          };
          const abort = () => {
            waiting.splice(waiting.indexOf(turn), 1);
            reject(signal!.reason);
          };
          waiting.push(turn);
          signal?.addEventListener("abort", abort, { once: true });
        });
        // The slot was handed over by the one that finished: `running` already counts it.
      } else {
        running++;
      }
      try {
        return await verifyPassword(hash, password);
      } finally {
        next();
      }
    },
  };
}

/**
 * The entries of a password file, user to hash. Anything wrong with any line (or a file that
 * is missing or not a regular file) throws, naming the file and the line.
 */
export function readPasswordEntries(path: string): Map<string, ScryptHash> {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SockhopError(
        `Password file ${path} does not exist: create it with sockhop passwd --password-hashes=${path}`,
        "password-hashes",
      );
    }
    if (err instanceof NotRegularFileError) {
      throw new SockhopError(
        `Password file ${err.message}: give the file sockhop passwd writes`,
        "password-hashes",
      );
    }
    throw new SockhopError(
      `Cannot read password file ${path}: ${fileErrorText(err)}`,
      "password-hashes",
      { cause: err },
    );
  }
  return parsePasswordText(text, path);
}

/** The entries of a password file's text; `path` names it in errors. */
export function parsePasswordText(text: string, path: string): Map<string, ScryptHash> {
  const entries = new Map<string, ScryptHash>();
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const where = `${path} line ${i + 1}`;
    const colon = line.indexOf(":");
    const user = line.slice(0, colon);
    if (colon <= 0 || !_validUser(user)) {
      throw new SockhopError(
        `${where}: expected user:scrypt$...: fix or remove that line, or write it with sockhop passwd`,
        "password-hashes",
      );
    }
    const problem = hashProblem(line.slice(colon + 1));
    if (problem) {
      throw new SockhopError(
        `${where}: ${problem}: set the password of ${user} again with sockhop passwd, or remove that line`,
        "password-hashes",
      );
    }
    if (lines.has(user)) {
      throw new SockhopError(
        `${where}: ${user} has a line already (line ${lines.get(user)}): remove one of them`,
        "password-hashes",
      );
    }
    lines.set(user, i + 1);
    entries.set(user, parseHash(line.slice(colon + 1)));
  });
  return entries;
}

function _validUser(user: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(user);
}

/**
 * Add or replace the entry of `user`, keeping the file private (0600). Every other line is
 * kept as it is; the ones that would make `serve` refuse the file are returned, so they can be
 * pointed out.
 */
export async function writePasswordEntry(
  path: string,
  user: string,
  password: string,
): Promise<string[]> {
  if (!_validUser(user)) {
    throw new SockhopError(`Bad user name ${JSON.stringify(user)}`, "usage");
  }
  let text = "";
  try {
    text = readRegularFile(path);
  } catch (err) {
    if (err instanceof NotRegularFileError) {
      throw new SockhopError(`${err.message}: give a password file path`, "password-hashes");
    }
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const entry = `${user}:${await hashPassword(password)}`;
  const kept = text.split(/\r?\n/).filter((line) => !line.startsWith(`${user}:`));
  while (kept.length && !kept[kept.length - 1]!.trim()) kept.pop();
  const out = [...kept, entry].join("\n") + "\n";
  const problems: string[] = [];
  try {
    parsePasswordText(out, path);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, out, { mode: 0o600 });
  Deno.chmodSync(tmp, 0o600);
  Deno.renameSync(tmp, path);
  return problems;
}
