/** The built-in server's host keys: generated on first use (0600), reused, or given by the user. */

// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import { fingerprint, keyTypeLabel } from "./known_hosts.ts";

export interface HostKey {
  readonly path: string;
  readonly pem: string;
  readonly type: string;
  readonly fingerprint: string;
}

/** `$XDG_CONFIG_HOME/sockhop`, `~/.config/sockhop`, or `%APPDATA%\sockhop`. */
export function configDir(env: { get(key: string): string | undefined }): string {
  if (Deno.build.os === "windows") {
    return `${env.get("APPDATA") ?? env.get("USERPROFILE") ?? "."}\\sockhop`;
  }
  const xdg = env.get("XDG_CONFIG_HOME");
  return `${xdg || `${env.get("HOME") ?? ""}/.config`}/sockhop`;
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
    const path = `${dir}/${name}`;
    try {
      Deno.lstatSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      const pair = ssh2.utils.generateKeyPairSync(type, opts);
      Deno.writeTextFileSync(path, pair.private, { mode: 0o600, createNew: true });
      Deno.writeTextFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
    }
    keys.push(_load(path));
  }
  return keys;
}

function _load(path: string): HostKey {
  let pem: string;
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
    pem = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof SockhopError) throw err;
    throw new SockhopError(`Cannot read host key ${path}: ${(err as Error).message}`, "host-key", {
      cause: err,
    });
  }
  const parsed = ssh2.utils.parseKey(pem);
  if (parsed instanceof Error || (Array.isArray(parsed) ? !parsed[0] : !parsed.isPrivateKey())) {
    throw new SockhopError(
      `${path} is not an unencrypted private key: give an OpenSSH host key file`,
      "host-key",
    );
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const blob = new Uint8Array(key.getPublicSSH());
  return { path, pem, type: keyTypeLabel(key.type), fingerprint: fingerprint(blob) };
}
