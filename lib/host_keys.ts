/** The built-in server's host keys: generated on first use (0600), reused, or given by the user. */

// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { fileErrorText, SockhopError } from "./errors.ts";
import { joinPath } from "./platform_paths.ts";
import { fingerprint, keyTypeLabel } from "./public_keys.ts";
import { readRegularFile } from "./regular_file.ts";
import { parsePrivateKey, prepareToSign, UnreadableKeyError } from "./ssh_keys.ts";

export interface HostKey {
  readonly path: string;
  /** Parsed, and made to sign on this runtime (lib/ssh_keys.ts). */
  readonly key: ssh2.ParsedKey;
  readonly type: string;
  readonly fingerprint: string;
}

/**
 * Load the given key files, or the generated ones (created on first use): ed25519 always, RSA
 * (3072 bits) with `rsa`, for clients too old for ed25519.
 */
export function loadHostKeys(files: readonly string[], dir: string, rsa: boolean): HostKey[] {
  if (files.length) return files.map(_load);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: HostKey[] = [];
  const wanted = [
    ["ed25519", "ssh_host_ed25519_key", {}],
    ["rsa", "ssh_host_rsa_key", { bits: 3072 }],
  ] as const;
  for (const [type, name, opts] of wanted.filter(([t]) => t === "ed25519" || rsa)) {
    const path = joinPath([dir, name]);
    try {
      Deno.lstatSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      const pair = generateHostKeyPair(type, opts);
      Deno.writeTextFileSync(path, pair.private, { mode: 0o600, createNew: true });
      Deno.writeTextFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
    }
    keys.push(_load(path));
  }
  return keys;
}

/**
 * A new key pair in OpenSSH format. ssh2's generator drops leading zero bytes of an ed25519
 * public key (about one key in 256, mscdex/ssh2#1390), and such a file never loads again: a
 * pair is kept only when both halves parse back to the same public key.
 */
export function generateHostKeyPair(
  type: "ed25519" | "rsa",
  opts: { bits: number } | Record<string, never> = {},
): { private: string; public: string } {
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync(type, opts);
    const priv = ssh2.utils.parseKey(pair.private);
    const pub = ssh2.utils.parseKey(pair.public);
    if (priv instanceof Error || pub instanceof Error) continue;
    const a = Array.isArray(priv) ? priv[0] : priv;
    const b = Array.isArray(pub) ? pub[0] : pub;
    if (a?.isPrivateKey() && b && a.getPublicSSH().equals(b.getPublicSSH())) return pair;
  }
  throw new Error(`Could not generate a valid ${type} key pair`);
}

function _load(path: string): HostKey {
  let data: Uint8Array;
  try {
    if (Deno.build.os !== "windows") {
      const mode = Deno.statSync(path).mode ?? 0;
      if (mode & 0o077) {
        throw new SockhopError(
          `Host key ${path} is readable by others (mode ${
            (mode & 0o777).toString(8)
          }): chmod 600 ${path}`,
          "host-key-perms",
        );
      }
    }
    // Not Deno.readFileSync: a FIFO given as a key would block the server for ever.
    data = new TextEncoder().encode(readRegularFile(path));
  } catch (err) {
    if (err instanceof SockhopError) throw err;
    throw new SockhopError(`Cannot read host key ${path}: ${fileErrorText(err)}`, "host-key", {
      cause: err,
    });
  }
  const parsed = parsePrivateKey(data);
  if (parsed instanceof UnreadableKeyError) {
    throw new SockhopError(
      `Host key ${path}: ${parsed.message}; rewrite it in the OpenSSH format: ssh-keygen -p -f ${path}`,
      "host-key",
    );
  }
  if (parsed instanceof Error || (Array.isArray(parsed) ? !parsed[0] : !parsed.isPrivateKey())) {
    throw new SockhopError(
      `${path} is not an unencrypted private key: give an OpenSSH host key file`,
      "host-key",
    );
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  // Refused now rather than at the first handshake, where the client sees only the end.
  const fix = "make an ed25519 one with ssh-keygen -t ed25519 -f FILE and give --ssh-host-key=FILE";
  if (!_SIGNS_WITH.includes(key.type)) {
    const name = key.type === "ssh-dss" ? "DSA" : key.type;
    throw new SockhopError(
      `Host key ${path} is a ${name} key, which the server does not sign with: ${fix}`,
      "host-key",
    );
  }
  const reason = prepareToSign(key);
  if (reason) {
    throw new SockhopError(`Host key ${path} cannot be used (${reason}): ${fix}`, "host-key");
  }
  const blob = new Uint8Array(key.getPublicSSH());
  return { path, key, type: keyTypeLabel(key.type), fingerprint: fingerprint(blob) };
}

/** The key types of SERVER_ALGORITHMS.serverHostKey; not DSA, which signs with SHA-1 only. */
const _SIGNS_WITH = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
];
