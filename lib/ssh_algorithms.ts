/**
 * Algorithm lists for ssh2, client and server: modern ones only by default (no SHA-1, CBC or
 * encrypt-and-MAC), with OpenSSH's `+`, `-` and `^` edits of a default list.
 */

import { createECDH } from "node:crypto";
import { UsageError } from "./errors.ts";
import { KEY_ALGORITHMS } from "./public_keys.ts";
import { DEFAULTS as OPENSSH_DEFAULTS } from "./ssh_config_algorithms.ts";
import { matchGlob } from "./ssh_patterns.ts";

export interface AlgorithmLists {
  readonly kex: readonly string[];
  readonly serverHostKey: readonly string[];
  readonly cipher: readonly string[];
  readonly hmac: readonly string[];
}

/**
 * Defaults. Ciphers in OpenSSH's own order, which is also the fastest on ssh2's pure-JS path
 * under Deno: chacha20-poly1305, then AES-CTR with an encrypt-then-MAC HMAC; AES-GCM last, as
 * Deno's AES-GCM runs at half the speed of AES-CTR (`deno task bench`: 52 vs 79 MB/s down).
 */
export const DEFAULT_ALGORITHMS: AlgorithmLists = Object.freeze({
  // OpenSSH's own list, less the post-quantum hybrid ssh2 does not have.
  kex: OPENSSH_DEFAULTS.kex.filter((k) => !k.startsWith("sntrup")),
  serverHostKey: KEY_ALGORITHMS,
  cipher: OPENSSH_DEFAULTS.cipher,
  // OpenSSH's MACs that ssh2 has, SHA-1 left out.
  hmac: [
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
  ],
});

/** What ssh2 can do beyond the defaults, for a user who asks with `+`. */
const EXTRA: Record<keyof AlgorithmLists, readonly string[]> = {
  kex: [
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group1-sha1",
  ],
  serverHostKey: ["ssh-rsa", "ssh-dss"],
  cipher: ["aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"],
  hmac: ["hmac-sha1-etm@openssh.com", "hmac-sha1"],
};

/** Every name ssh2 knows of that kind, whether this runtime can do it or not. */
export function knownAlgorithms(kind: keyof AlgorithmLists): string[] {
  return [...DEFAULT_ALGORITHMS[kind], ...EXTRA[kind]];
}

/**
 * Why this runtime cannot do `name` (undefined: it can). ssh2 offers whatever it was told to
 * and fails only once a peer picks it, so what the runtime lacks is found by trying it, once,
 * when first asked (not at import: most commands never need it).
 */
export function runtimeLacks(name: string): string | undefined {
  _lacking ??= _probeRuntime();
  return _lacking.get(name);
}

let _lacking: Map<string, string> | undefined;

function _probeRuntime(): Map<string, string> {
  const lacking = new Map<string, string>();
  // Deno's node:crypto has no P-521 ECDH: ssh2's key exchange dies with "invalid curve"
  // (docs/upstream/client-ecdh-nistp521-on-deno.md).
  try {
    const a = createECDH("secp521r1");
    a.generateKeys();
    a.computeSecret(createECDH("secp521r1").generateKeys());
  } catch (err) {
    lacking.set("ecdh-sha2-nistp521", `this runtime has no P-521 ECDH: ${(err as Error).message}`);
  }
  return lacking;
}

/** Apply an OpenSSH algorithm spec (`a,b`, `+a`, `-a*`, `^a`) to the default list. */
export function resolveAlgorithms(
  kind: keyof AlgorithmLists,
  spec: string,
  keyword: string,
): string[] {
  const defaults = DEFAULT_ALGORITHMS[kind].filter((n) => !runtimeLacks(n));
  if (!spec) return defaults;
  const supported = knownAlgorithms(kind).filter((n) => !runtimeLacks(n));
  const names = spec.slice(/^[+\-^]/.test(spec) ? 1 : 0).split(",").filter(Boolean);
  // A name this runtime lacks is left out, not refused: the same config serves ssh too.
  const lacking = names.filter((n) => runtimeLacks(n));
  const expand = (name: string) => {
    const found = supported.filter((s) => matchGlob(name, s));
    if (!found.length && !name.includes("*") && !runtimeLacks(name)) {
      throw new UsageError(
        `${keyword} ${name} is not supported by the native client: use one of ${
          supported.join(",")
        }`,
      );
    }
    return found;
  };
  const listed = names.flatMap(expand);
  let out: string[];
  if (spec.startsWith("+")) out = [...defaults, ...listed.filter((n) => !defaults.includes(n))];
  else if (spec.startsWith("-")) out = defaults.filter((n) => !listed.includes(n));
  else if (spec.startsWith("^")) out = [...listed, ...defaults.filter((n) => !listed.includes(n))];
  else out = listed;
  if (!out.length && lacking.length) {
    throw new UsageError(
      `${keyword} ${lacking.join(",")} cannot be used (${runtimeLacks(lacking[0]!)}): ` +
        `use one of ${supported.join(",")}`,
    );
  }
  if (!out.length) {
    throw new UsageError(`${keyword} ${spec} leaves no algorithm: keep at least one`);
  }
  return out;
}
