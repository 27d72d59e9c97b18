/**
 * Authentication for the built-in server, holding the line OpenSSH's sshd holds: only the
 * server's own user; a public key only with a signature that verifies (a key offered without
 * one gets "PK_OK" and nothing more); scrypt-hashed passwords; at most 6 attempts.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { findAuthorizedKey, parseAuthorizedKeys } from "./authorized_keys.ts";
import type { Logger } from "./logger.ts";
import { readPasswordEntries, verifyPassword } from "./password_file.ts";

export const MAX_AUTH_TRIES = 6;

export interface ServerAuthConfig {
  readonly user: string;
  /** authorized_keys file, read at each attempt so edits apply at once. */
  readonly authorizedKeys?: string;
  readonly passwordFile?: string;
  /** Accept anyone as `user` (loopback binds only, checked by the caller). */
  readonly none: boolean;
}

/** Per-connection state: the method that succeeded, and the failures so far. */
export interface AuthState {
  method: string;
  user: string;
  failures: number;
}

/** Handle one authentication request. Returns true when the client should be disconnected. */
export function authenticate(
  ctx: ssh2.AuthContext,
  cfg: ServerAuthConfig,
  state: AuthState,
  source: string,
  logger: Logger,
): boolean {
  if (state.failures >= MAX_AUTH_TRIES) {
    // Already over the limit; requests the client sent before the disconnect are ignored.
    ctx.reject([], false);
    return true;
  }
  state.user = ctx.username;
  const methods: ssh2.AuthenticationType[] = [
    ...(cfg.authorizedKeys ? ["publickey" as const] : []),
    ...(cfg.passwordFile ? ["password" as const] : []),
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
      return true;
    }
    ctx.reject(methods, false);
    return false;
  };
  if (ctx.username !== cfg.user) return fail(`not the server's user (${cfg.user})`);
  if (cfg.none) {
    state.method = "none";
    ctx.accept();
    return false;
  }
  switch (ctx.method) {
    case "publickey": {
      if (!cfg.authorizedKeys) return fail("public keys are not accepted here");
      const { keys } = parseAuthorizedKeys(_read(cfg.authorizedKeys));
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
        return false;
      }
      if (found.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return fail("bad signature");
      }
      state.method = "publickey";
      ctx.accept();
      return false;
    }
    case "password": {
      const hash = cfg.passwordFile
        ? readPasswordEntries(cfg.passwordFile).get(ctx.username)
        : undefined;
      if (!hash || !verifyPassword(hash, ctx.password)) return fail("wrong password");
      state.method = "password";
      ctx.accept();
      return false;
    }
    default:
      return fail("method not offered");
  }
}

/** Log unusable authorized_keys lines once, at start. */
export function checkAuthorizedKeys(path: string, logger: Logger): number {
  const { keys, unusable } = parseAuthorizedKeys(_read(path));
  for (const u of unusable) logger.warn(`${path} line ${u.line}: key not usable: ${u.reason}`);
  return keys.length;
}

function _read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}
