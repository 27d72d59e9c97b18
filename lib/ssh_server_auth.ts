/**
 * Who may log in to the built-in server, decided here and only here: at start (the files that
 * say so are usable, or the server does not start) and at each attempt, holding the line
 * OpenSSH's sshd holds: the files re-read and re-checked every time (StrictModes included, so a
 * chmod after start counts at once); only the server's own user; a public key only with a signature that verifies (a key offered without
 * one gets "PK_OK" and nothing more); scrypt-hashed passwords, checked off the event loop a
 * few at a time, with the same work for a user who has no password; at most 6 attempts.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { findAuthorizedKey, parseAuthorizedKeys } from "./authorized_keys.ts";
import type { Logger } from "./logger.ts";
import {
  dummyHash,
  type PasswordChecker,
  PasswordQueueFullError,
  readPasswordEntries,
  SCRYPT_DEFAULTS,
  type ScryptHash,
} from "./password_hashes.ts";
import { fileErrorText, SockhopError, UsageError } from "./errors.ts";
import { NotRegularFileError, readRegularFile, refuseNotRegular } from "./regular_file.ts";

export const MAX_AUTH_TRIES = 6;

export interface ServerAuthConfig {
  readonly user: string;
  /** authorized_keys file, read at each attempt so edits apply at once. */
  readonly authorizedKeys?: string;
  /** Read at each attempt too; `passwords` runs the checks. */
  readonly passwordHashes?: string;
  readonly passwords?: PasswordChecker;
  /** Accept anyone as `user` (loopback binds only, checked by the caller). */
  readonly none: boolean;
}

/** Per-connection state: the method that succeeded, and the failures so far. */
export interface AuthState {
  method: string;
  user: string;
  failures: number;
}

/**
 * Handle one authentication request (ssh2 holds the connection's next request until this one
 * is answered). Resolves to the reason to disconnect the client, if it should be. `signal`
 * aborts when the connection has gone: a password check still waiting is dropped.
 */
export async function authenticate(
  ctx: ssh2.AuthContext,
  cfg: ServerAuthConfig,
  state: AuthState,
  source: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (state.failures >= MAX_AUTH_TRIES) {
    // Already over the limit; requests the client sent before the disconnect are ignored.
    ctx.reject([], false);
    return "too many authentication failures";
  }
  state.user = ctx.username;
  const methods: ssh2.AuthenticationType[] = [
    ...(cfg.authorizedKeys ? ["publickey" as const] : []),
    ...(cfg.passwordHashes ? ["password" as const] : []),
  ];
  const fail = (why: string) => {
    if (ctx.method !== "none") {
      state.failures++;
      logger.info(
        `ssh ${source}: failed ${ctx.method} for ${JSON.stringify(ctx.username)}: ${why}`,
      );
    }
    if (state.failures >= MAX_AUTH_TRIES) {
      logger.info(
        `ssh ${source}: too many authentication failures for ${JSON.stringify(ctx.username)}`,
      );
      ctx.reject([], false);
      return "too many authentication failures";
    }
    ctx.reject(methods, false);
    return undefined;
  };
  if (ctx.method === "password" && cfg.passwordHashes && !cfg.none) {
    return await _password(ctx, cfg, cfg.passwordHashes, state, source, logger, fail, signal);
  }
  if (ctx.username !== cfg.user) return fail(`not the server's user (${cfg.user})`);
  if (cfg.none) {
    state.method = "none";
    ctx.accept();
    return undefined;
  }
  switch (ctx.method) {
    case "publickey": {
      if (!cfg.authorizedKeys) return fail("public keys are not accepted here");
      const { keys } = parseAuthorizedKeys(_read(cfg.authorizedKeys, logger));
      const blob = new Uint8Array(ctx.key.data);
      const found = findAuthorizedKey(
        keys,
        blob,
        source.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""),
      );
      if (!found) return fail("key not in authorized_keys");
      // No SHA-1: an RSA key must sign with rsa-sha2-256/512 (ssh2 names those ssh-rsa with
      // a hashAlgo), as OpenSSH's sshd requires; DSA is SHA-1 only.
      if (ctx.key.algo === "ssh-dss" || (ctx.key.algo === "ssh-rsa" && !ctx.hashAlgo)) {
        return fail(`${ctx.key.algo} signatures (SHA-1) are not accepted`);
      }
      if (!ctx.signature || !ctx.blob) {
        // A query: "would this key do?" Yes, but nothing is granted until it signs.
        ctx.accept();
        return undefined;
      }
      if (found.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return fail("bad signature");
      }
      state.method = "publickey";
      ctx.accept();
      return undefined;
    }
    default:
      return fail("method not offered");
  }
}

/**
 * A password attempt. The hash runs whoever the user is: for a user with no entry (another
 * user, or the server's user with none) against a dummy costing what the server user's real
 * hash costs, so the time to refuse does not tell them apart (without it: 1 ms against 60).
 */
async function _password(
  ctx: ssh2.PasswordAuthContext,
  cfg: ServerAuthConfig,
  passwordHashes: string,
  state: AuthState,
  source: string,
  logger: Logger,
  fail: (why: string) => string | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  let entries: Map<string, ScryptHash> | undefined;
  try {
    // Re-read at each attempt, checked as at start: edits apply at once, and a file that has
    // gone bad refuses every password rather than half-reading it.
    _refuseWritableByOthers(passwordHashes);
    entries = readPasswordEntries(passwordHashes);
  } catch (err) {
    logger.warn(`${(err as Error).message} (password logins refused until then)`);
  }
  const own = entries?.get(cfg.user);
  const entry = ctx.username === cfg.user ? own : undefined;
  let match: boolean;
  try {
    if (!cfg.passwords) throw new Error("No password checker configured");
    match = await cfg.passwords.verify(
      entry ?? dummyHash(own ?? SCRYPT_DEFAULTS),
      ctx.password,
      signal,
    );
  } catch (err) {
    if (signal?.aborted) return undefined; // gone while waiting: nobody to answer
    if (err instanceof PasswordQueueFullError) {
      logger.info(`ssh ${source}: ${err.message}`);
      ctx.reject([], false);
      return "too many password checks waiting";
    }
    throw err;
  }
  if (ctx.username !== cfg.user) return fail(`not the server's user (${cfg.user})`);
  if (!entries) return fail("the password file is unusable");
  if (!entry) return fail(`no password set in ${passwordHashes}`);
  if (!match) return fail("wrong password");
  state.method = "password";
  ctx.accept();
  return undefined;
}

/** --auth=none: anyone in as the server's user, so on loopback addresses only. */
export function checkAuthNone(none: boolean, exposed: boolean) {
  if (none && exposed) {
    throw new UsageError(
      "--auth=none is refused on a non-loopback address: use keys or a password file",
      "serve",
    );
  }
}

/**
 * At start: the files that say who may log in, checked as at each attempt but refused loudly
 * (the server does not start): regular files, not writable by others, every password line
 * valid; unusable authorized_keys lines named once; and some way to log in at all.
 */
export function checkLoginFiles(
  files: { authorizedKeys: string; passwordHashes: string | undefined; none: boolean },
  logger: Logger,
) {
  const { authorizedKeys, passwordHashes } = files;
  refuseNotRegular(authorizedKeys, "--authorized-keys");
  _refuseWritableByOthers(authorizedKeys);
  if (passwordHashes) {
    refuseNotRegular(passwordHashes, "--password-hashes");
    _refuseWritableByOthers(passwordHashes);
    // Missing, or a bad line: said now, not at the first login.
    readPasswordEntries(passwordHashes);
  }
  const { keys, unusable } = parseAuthorizedKeys(_read(authorizedKeys, logger));
  for (const u of unusable) {
    logger.warn(`${authorizedKeys} line ${u.line}: key not usable: ${u.reason}`);
  }
  if (!files.none && !keys.length && !passwordHashes) {
    throw new SockhopError(
      `No way to log in: ${authorizedKeys} has no usable key and no --password-hashes was given; add a key or a password file`,
      "usage-auth",
    );
  }
}

/**
 * As sshd's StrictModes: a file that says who may log in is not used when someone else could
 * have written it.
 */
function _refuseWritableByOthers(path: string) {
  if (Deno.build.os === "windows") return;
  let mode: number;
  try {
    mode = Deno.statSync(path).mode ?? 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (mode & 0o022) {
    throw new SockhopError(
      `${path} is writable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`,
      "auth-file-perms",
    );
  }
}

/** An authorized_keys file's text; none (no key) when it is missing or cannot be read or trusted. */
function _read(path: string, logger: Logger): string {
  try {
    _refuseWritableByOthers(path);
    return readRegularFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    logger.warn(
      `${
        err instanceof NotRegularFileError || err instanceof SockhopError
          ? err.message
          : `Cannot read ${path}: ${fileErrorText(err)}`
      } (no key accepted from it)`,
    );
    return "";
  }
}
