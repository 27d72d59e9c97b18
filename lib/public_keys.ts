/** SSH public keys as both the client and the server name them: type, label, fingerprint. */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

/** The key type (first SSH string) of a wire-format public key. */
export function keyTypeOf(blob: Uint8Array): string {
  if (blob.length < 4) return "";
  const len = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
  if (len > blob.length - 4) return "";
  return new TextDecoder().decode(blob.subarray(4, 4 + len));
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(blob: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** ED25519, RSA, ECDSA: the names OpenSSH shows. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === "ssh-ed25519") return "ED25519";
  if (keyType === "ssh-rsa") return "RSA";
  if (keyType.startsWith("ecdsa-")) return "ECDSA";
  return keyType.toUpperCase();
}

/**
 * The signature algorithms sockhop offers and accepts, client and server alike: no SHA-1
 * (ssh-rsa, ssh-dss), strongest first as OpenSSH orders them.
 */
export const KEY_ALGORITHMS: readonly string[] = Object.freeze([
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
]);

/**
 * A known_hosts or authorized_keys key field as ssh's sshkey_read takes it, or undefined when
 * ssh would skip the line: base64 with nothing but its alphabet (padding optional, no stray
 * bits), and a blob of `keyType` whose fields have their lengths (an ed25519 key of 32 bytes,
 * an uncompressed point on a named curve, two mpints for RSA) with nothing after them.
 */
export function decodePublicKey(keyType: string, b64: string): Uint8Array | undefined {
  const m = /^([A-Za-z0-9+/]*)(={0,2})$/.exec(b64);
  if (!m || (m[2] && (m[1]!.length + m[2].length) % 4 !== 0) || m[1]!.length % 4 === 1) {
    return undefined;
  }
  const blob = Buffer.from(m[1]!, "base64");
  if (blob.toString("base64").replace(/=+$/, "") !== m[1]) return undefined;
  const fields = _sshStrings(blob);
  if (!fields || fields[0] !== keyType) return undefined;
  const parts = fields.length;
  if (keyType === "ssh-ed25519") {
    return parts === 2 && _lengths(blob)[1] === 32 ? blob : undefined;
  }
  const curve = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(keyType)?.[1];
  if (curve) {
    const point = _lengths(blob)[2];
    const size = { nistp256: 65, nistp384: 97, nistp521: 133 }[curve];
    return parts === 3 && fields[1] === curve && point === size ? blob : undefined;
  }
  if (keyType === "ssh-rsa") return parts === 3 ? blob : undefined;
  return blob;
}

/** The SSH strings of a blob (the first decoded as text), or undefined if they do not fit. */
function _sshStrings(blob: Uint8Array): string[] | undefined {
  const out: string[] = [];
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let off = 0; off < blob.length;) {
    if (off + 4 > blob.length) return undefined;
    const len = view.getUint32(off);
    if (off + 4 + len > blob.length) return undefined;
    out.push(new TextDecoder().decode(blob.subarray(off + 4, off + 4 + len)));
    off += 4 + len;
  }
  return out;
}

/** The lengths of a blob's SSH strings (the blob is known to split into them). */
function _lengths(blob: Uint8Array): number[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: number[] = [];
  for (let off = 0; off < blob.length; off += 4 + view.getUint32(off)) {
    out.push(view.getUint32(off));
  }
  return out;
}
