/**
 * Which keys the built-in client offers, in OpenSSH's order (sshconnect2.c, pubkey_prepare):
 * first the agent's keys that are also named key files (so a named key in the agent is used
 * through the agent: no passphrase, no private key on disk needed, `IdentityFile X.pub` works),
 * in the agent's order; then the agent's other keys, unless IdentitiesOnly; then the named
 * key files that the agent does not hold.
 */

import { Buffer } from "node:buffer";
import type { AgentKey } from "./native_agent.ts";
import { readUnblockingFile } from "./regular_file.ts";

/** A key file, and its public key when it can be known without a passphrase. */
export interface FileIdentity {
  readonly file: string;
  readonly blob: Uint8Array | undefined;
}

export type KeyStep =
  /** An agent key; `file` when it is the key of a named file. */
  | { readonly kind: "agent"; readonly key: AgentKey; readonly file?: string }
  | { readonly kind: "file"; readonly file: string };

export function keyOrder(
  files: readonly FileIdentity[],
  agent: readonly AgentKey[],
  identitiesOnly: boolean,
): KeyStep[] {
  const remaining = [...files];
  const named: KeyStep[] = [];
  const others: KeyStep[] = [];
  for (const key of agent) {
    const i = remaining.findIndex((f) => f.blob && _same(f.blob, key.blob));
    if (i >= 0) {
      named.push({ kind: "agent", key, file: remaining[i]!.file });
      remaining.splice(i, 1);
    } else if (!identitiesOnly) {
      others.push({ kind: "agent", key });
    }
  }
  return [...named, ...others, ...remaining.map((f) => ({ kind: "file" as const, file: f.file }))];
}

function _same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The public key of a key file, as ssh loads it before any passphrase: the file itself when it
 * is a public key (`IdentityFile X.pub`), else `FILE.pub`, else the public half an OpenSSH
 * private key keeps in clear. Undefined when none of them gives one.
 */
export function identityPublicBlob(file: string): Uint8Array | undefined {
  const text = _read(file);
  if (text === undefined) return undefined;
  return publicLineBlob(text) ?? publicLineBlob(_read(`${file}.pub`) ?? "") ??
    openSshPrivatePublicBlob(text);
}

function _read(path: string): string | undefined {
  try {
    return new TextDecoder().decode(readUnblockingFile(path, 1024 * 1024));
  } catch {
    return undefined;
  }
}

/** The blob of a public key line, "type base64 [comment]". */
export function publicLineBlob(text: string): Uint8Array | undefined {
  const m = /^\s*([a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(\s|$)/.exec(text);
  if (!m) return undefined;
  const blob = new Uint8Array(Buffer.from(m[2]!, "base64"));
  // The blob names its own type: anything else is not a public key line.
  const n = blob.length >= 4 ? new DataView(blob.buffer).getUint32(0) : -1;
  if (n < 0 || n > blob.length - 4) return undefined;
  return new TextDecoder().decode(blob.subarray(4, 4 + n)) === m[1] ? blob : undefined;
}

/** The public key an openssh-key-v1 file holds unencrypted, before its private part. */
export function openSshPrivatePublicBlob(text: string): Uint8Array | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/
    .exec(text);
  if (!m) return undefined;
  const blob = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  const magic = "openssh-key-v1\0";
  if (new TextDecoder().decode(blob.subarray(0, magic.length)) !== magic) return undefined;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let pos = magic.length;
  const skip = () => {
    if (pos + 4 > blob.length) return false;
    pos += 4 + view.getUint32(pos);
    return pos <= blob.length;
  };
  // cipher name, kdf name, kdf options, then the number of keys and the first public key.
  if (!skip() || !skip() || !skip() || pos + 8 > blob.length) return undefined;
  pos += 4;
  const n = view.getUint32(pos);
  if (pos + 4 + n > blob.length) return undefined;
  return blob.slice(pos + 4, pos + 4 + n);
}
