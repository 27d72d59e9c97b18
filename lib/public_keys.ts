/** SSH public keys as both the client and the server name them: type, label, fingerprint. */

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
