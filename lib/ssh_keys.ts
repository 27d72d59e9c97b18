/**
 * Private keys as ssh2 parses them, made to sign on this runtime: one place for the built-in
 * client's identity files and the built-in server's host keys.
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, sign } from "node:crypto";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";

/** An error ssh2's parseKey threw instead of returning it. */
export class UnreadableKeyError extends Error {}

/**
 * ssh2's parseKey returns its errors, but throws one: for a P-521 key in the PEM format it
 * derives the public key with P-521 ECDH, which Deno lacks ("invalid curve",
 * docs/upstream/client-ecdh-nistp521-on-deno.md). The OpenSSH format holds the public key, so
 * the same key rewritten in it loads.
 */
export function parsePrivateKey(
  data: Uint8Array,
  passphrase?: string,
): ReturnType<typeof ssh2.utils.parseKey> {
  try {
    return ssh2.utils.parseKey(Buffer.from(data), passphrase);
  } catch (err) {
    return new UnreadableKeyError(
      `ssh2 cannot read it on this runtime (${(err as Error).message})`,
    );
  }
}

/**
 * Make a parsed private key sign on this runtime (ECDSA keys rebuilt, see _fixEcdsa) and try
 * it once. Returns why it cannot sign, or undefined when it can.
 */
export function prepareToSign(key: ssh2.ParsedKey): string | undefined {
  if (key.type.startsWith("ecdsa-sha2-")) {
    const reason = _fixEcdsa(key);
    if (reason) return reason;
  }
  const test = key.sign(Buffer.from("sockhop: can this key sign?"));
  return test instanceof Error ? `it cannot sign: ${test.message}` : undefined;
}

const _CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  "ecdsa-sha2-nistp256": { crv: "P-256", size: 32, hash: "sha256" },
  "ecdsa-sha2-nistp384": { crv: "P-384", size: 48, hash: "sha384" },
  "ecdsa-sha2-nistp521": { crv: "P-521", size: 66, hash: "sha512" },
};

/**
 * ssh2 copies an OpenSSH ECDSA private scalar into SEC1 as stored, an mpint: with a leading
 * zero when its top bit is set (half of all P-256 and P-384 keys), or shorter than the curve
 * when its top byte is zero. OpenSSL accepts that; Deno wants exactly the curve's size
 * ("invalid SEC1 private key"). So the key is rebuilt here from its scalar and public point,
 * and signs through that (docs/upstream/client-ecdsa-private-key-sign-byte.md). Returns the
 * reason when the key cannot be rebuilt.
 */
function _fixEcdsa(key: ssh2.ParsedKey): string | undefined {
  const curve = _CURVES[key.type];
  const pem = key.getPrivatePEM();
  if (!curve || !pem) return undefined;
  const scalar = _sec1Scalar(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
  const point = _lastString(key.getPublicSSH());
  if (!scalar || !point || point.length !== 1 + 2 * curve.size || point[0] !== 4) {
    return "malformed ECDSA key";
  }
  let start = 0;
  while (start < scalar.length && scalar[start] === 0) start++;
  if (scalar.length - start > curve.size) return "malformed ECDSA key: scalar too long";
  const d = Buffer.alloc(curve.size);
  d.set(scalar.subarray(start), curve.size - (scalar.length - start));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: {
        kty: "EC",
        crv: curve.crv,
        x: Buffer.from(point.subarray(1, 1 + curve.size)).toString("base64url"),
        y: Buffer.from(point.subarray(1 + curve.size)).toString("base64url"),
        d: d.toString("base64url"),
      },
      format: "jwk",
    });
  } catch (err) {
    return `not a valid ${curve.crv} key: ${(err as Error).message}`;
  }
  // An own property shadows ssh2's shared sign(); ssh2 still sees its own parsed key.
  Object.defineProperty(key, "sign", {
    value: (data: Buffer, algo?: string) => {
      try {
        return sign(algo || curve.hash, data, privateKey);
      } catch (err) {
        return err as Error;
      }
    },
  });
  return undefined;
}

/** The privateKey OCTET STRING of a SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING }. */
function _sec1Scalar(der: Uint8Array): Uint8Array | undefined {
  let pos = 0;
  const header = (tag: number): number | undefined => {
    if (der[pos++] !== tag) return undefined;
    let len = der[pos++] ?? 0;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (der[pos++] ?? 0);
    }
    return len;
  };
  if (header(0x30) === undefined) return undefined;
  const versionLength = header(0x02);
  if (versionLength === undefined) return undefined;
  pos += versionLength;
  const length = header(0x04);
  if (length === undefined || pos + length > der.length) return undefined;
  return der.subarray(pos, pos + length);
}

/** The last string of an SSH wire blob (the public point of an ECDSA public key). */
function _lastString(blob: Uint8Array): Uint8Array | undefined {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let pos = 0;
  let last: Uint8Array | undefined;
  while (pos + 4 <= blob.length) {
    const n = view.getUint32(pos);
    if (pos + 4 + n > blob.length) return undefined;
    last = blob.subarray(pos + 4, pos + 4 + n);
    pos += 4 + n;
  }
  return pos === blob.length ? last : undefined;
}
