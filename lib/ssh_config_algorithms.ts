/**
 * Algorithm lists as OpenSSH 9.2 (Debian bookworm's 9.2p1 build) reads and prints them: what
 * each list may name, its default, and the `+`, `-` and `^` edits (kex.c kex_assemble_names).
 * These are OpenSSH's lists, for `--print-config` and for checking a config the way ssh does;
 * what the built-in client negotiates is lib/ssh_algorithms.ts.
 */

import { patternListMatch } from "./ssh_patterns.ts";

/** Every name ssh accepts, in the order `ssh -Q` lists them. */
export const ALL = {
  cipher: [
    "3des-cbc",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
  ],
  mac: [
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
  ],
  kex: [
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group-exchange-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
  ],
  /** Key and signature algorithms (sshkey_alg_list(0, 0, 1)), certificates included. */
  key: [
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
  ],
  /** Signature algorithms without certificates (sshkey_alg_list(0, 1, 1)). */
  sig: [
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "rsa-sha2-256",
    "rsa-sha2-512",
  ],
  /** Debian's GSSAPI key exchange: names are prefixes (a mechanism's OID hash follows). */
  gssKex: [
    "gss-gex-sha1-",
    "gss-group1-sha1-",
    "gss-group14-sha1-",
    "gss-group14-sha256-",
    "gss-group16-sha512-",
    "gss-nistp256-sha256-",
    "gss-curve25519-sha256-",
  ],
} as const;

/** The plain key types of the defaults, after their certificates (and alone for CAs). */
const _PLAIN_KEYS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "rsa-sha2-512",
  "rsa-sha2-256",
] as const;

/**
 * The defaults (myproposal.h). Debian's security updates to 9.2p1 added
 * sntrup761x25519-sha512, the name later OpenSSH releases use, before the @openssh.com one.
 */
export const DEFAULTS = {
  cipher: [
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
  ],
  mac: [
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
  ],
  kex: [
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
  ],
  key: [
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    ..._PLAIN_KEYS,
  ],
  caSig: _PLAIN_KEYS,
  gssKex: [
    "gss-group14-sha256-",
    "gss-group16-sha512-",
    "gss-nistp256-sha256-",
    "gss-curve25519-sha256-",
    "gss-group14-sha1-",
    "gss-gex-sha1-",
  ],
} as const;

/** The comma-separated names up to the first empty one (OpenSSH's strsep loops stop there). */
function _names(list: string): string[] {
  const out: string[] = [];
  for (const n of list.split(",")) {
    if (n === "") break;
    out.push(n);
  }
  return out;
}

/** cipher.c ciphers_valid, mac.c mac_valid, kex.c kex_names_valid: exact names only. */
export function namesValid(kind: "cipher" | "mac" | "kex", list: string): boolean {
  if (!list) return false;
  return _names(list).every((n) => (ALL[kind] as readonly string[]).includes(n));
}

/** Key type short names sshkey_type_from_name also takes (plain keys only). */
const SHORT_NAMES = ["rsa", "dsa", "ecdsa", "ed25519", "ecdsa-sk", "ed25519-sk"];

/** sshkey.c sshkey_names_valid2 with wildcards: each name a key type or a pattern of one. */
export function keyNamesValid(list: string): boolean {
  if (!list) return false;
  return _names(list).every((n) =>
    (ALL.key as readonly string[]).includes(n) || SHORT_NAMES.includes(n.toLowerCase()) ||
    ALL.key.some((k) => _patternList(k, n) !== 0)
  );
}

/** Debian's kex_gss_names_valid: each name starts with a GSSAPI key exchange prefix. */
export function gssNamesValid(list: string): boolean {
  if (!list) return false;
  return _names(list).every((n) => n.startsWith("gss-") && ALL.gssKex.some((g) => n.startsWith(g)));
}

/** match.c match_pattern_list as a number: 1 match, -1 negated match, 0 none. */
function _patternList(text: string, patterns: string): number {
  return patternListMatch(text, patterns, false);
}

/** Concatenate name lists, skipping names already present (kex.c kex_names_cat). */
function _cat(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const n of b) if (!out.includes(n)) out.push(n);
  return out;
}

/**
 * kex.c kex_assemble_names: a list, `+list` (appended), `-list` (removed) or `^list`
 * (placed first), patterns expanded against `all`. Undefined when the result is invalid
 * (empty, or a negated pattern); `-` may leave an empty list, as in OpenSSH.
 */
export function assembleNames(
  spec: string | undefined,
  defaults: readonly string[],
  all: readonly string[],
): string[] | undefined {
  if (spec === undefined || spec === "") return [...defaults];
  let list: string[];
  if (spec.startsWith("+")) list = _cat(defaults, _names(spec.slice(1)));
  else if (spec.startsWith("-")) {
    const deny = spec.slice(1);
    return defaults.filter((n) => _patternList(n, deny) !== 1);
  } else if (spec.startsWith("^")) list = _cat(_names(spec.slice(1)), defaults);
  else list = spec.split(",");
  let out: string[] = [];
  for (const pattern of list) {
    if (pattern.startsWith("!")) return undefined;
    out = _cat(out, all.filter((n) => _patternList(n, pattern) === 1));
  }
  return out.length ? out : undefined;
}
