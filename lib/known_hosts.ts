/**
 * Host key verification against OpenSSH known_hosts files: plain and hashed (`|1|`) entries,
 * `[host]:port`, patterns and negation, `@revoked`, `@cert-authority` (not usable here).
 * Like golang.org/x/crypto/ssh/knownhosts, the result says what is wrong: unknown (no key on
 * record) vs changed (another key on record, named by file and line).
 */

import { createHash, createHmac, randomBytes } from "node:crypto";
import { SockhopError } from "./errors.ts";
import { parentDir } from "./platform_paths.ts";
import { matchPatternList } from "./ssh_config_match.ts";

export type HostKeyResult =
  | { readonly status: "known"; readonly file: string; readonly line: number }
  | {
    readonly status: "unknown";
    readonly otherTypes: readonly string[];
    readonly certAuthorityOnly: boolean;
  }
  | { readonly status: "changed"; readonly file: string; readonly line: number }
  | { readonly status: "revoked"; readonly file: string; readonly line: number };

interface Entry {
  readonly file: string;
  readonly line: number;
  readonly marker: "" | "@revoked" | "@cert-authority";
  readonly hosts: string;
  readonly keyType: string;
  readonly key: string;
}

/** The name a host is recorded under: `host`, or `[host]:port` for another port. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type (first SSH string) of a wire-format public key. */
export function keyTypeOf(blob: Uint8Array): string {
  if (blob.length < 4) return "";
  const len = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
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

function _parse(file: string, text: string): Entry[] {
  const entries: Entry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: Entry["marker"] = "";
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
      marker = fields.shift() as Entry["marker"];
    } else if (fields[0]!.startsWith("@")) return;
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    entries.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return entries;
}

function _hostMatches(hosts: string, name: string, host: string, port: number): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  const patterns = hosts.split(",");
  if (port === 22) return matchPatternList(patterns, host);
  return matchPatternList(patterns, name);
}

/** Check a server's key against the files, in order. */
export function checkHostKey(input: {
  host: string;
  port: number;
  keyBlob: Uint8Array;
  files: readonly string[];
  readFile?: (path: string) => string | undefined;
}): HostKeyResult {
  const readFile = input.readFile ?? _readOrUndefined;
  const name = hostEntryName(input.host, input.port);
  const keyType = keyTypeOf(input.keyBlob);
  const key = Buffer.from(input.keyBlob).toString("base64");
  const matching: Entry[] = [];
  for (const file of input.files) {
    const text = readFile(file);
    if (text === undefined) continue;
    for (const e of _parse(file, text)) {
      if (_hostMatches(e.hosts, name, input.host, input.port)) matching.push(e);
    }
  }
  const revoked = matching.find((e) => e.marker === "@revoked" && e.key === key);
  if (revoked) return { status: "revoked", file: revoked.file, line: revoked.line };
  const plain = matching.filter((e) => e.marker === "");
  const same = plain.find((e) => e.keyType === keyType && e.key === key);
  if (same) return { status: "known", file: same.file, line: same.line };
  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) return { status: "changed", file: changed.file, line: changed.line };
  return {
    status: "unknown",
    otherTypes: [...new Set(plain.map((e) => e.keyType))],
    certAuthorityOnly: plain.length === 0 && matching.some((e) => e.marker === "@cert-authority"),
  };
}

/** The key types on record for a host, so the client can prefer them (as OpenSSH does). */
export function knownKeyTypes(host: string, port: number, files: readonly string[]): string[] {
  const name = hostEntryName(host, port);
  const types: string[] = [];
  for (const file of files) {
    const text = _readOrUndefined(file);
    if (text === undefined) continue;
    for (const e of _parse(file, text)) {
      if (
        e.marker === "" && _hostMatches(e.hosts, name, host, port) && !types.includes(e.keyType)
      ) {
        types.push(e.keyType);
      }
    }
  }
  return types;
}

export type Decision = "accept" | "ask" | "append-and-accept" | "refuse";

/**
 * OpenSSH's policy. A changed or revoked key is refused in every mode (stricter than
 * OpenSSH's `no`, which connects with a changed key but without password authentication).
 */
export function decideHostKey(
  result: HostKeyResult,
  strict: "yes" | "no" | "ask" | "accept-new",
  batchMode: boolean,
): Decision {
  switch (result.status) {
    case "known":
      return "accept";
    case "revoked":
    case "changed":
      return "refuse";
    case "unknown":
      if (strict === "yes") return "refuse";
      if (strict === "ask") return batchMode ? "refuse" : "ask";
      return "append-and-accept";
  }
}

/** A host key refused: carries the result, with a message that names the next action. */
export class HostKeyError extends SockhopError {
  override name = "HostKeyError";
  constructor(
    readonly result: HostKeyResult,
    host: string,
    port: number,
    blob: Uint8Array,
    firstFile: string,
  ) {
    super(
      _message(result, hostEntryName(host, port), blob, firstFile),
      `host-key-${result.status}`,
    );
  }
}

function _message(
  result: HostKeyResult,
  name: string,
  blob: Uint8Array,
  firstFile: string,
): string {
  const fp = `${keyTypeLabel(keyTypeOf(blob))} ${fingerprint(blob)}`;
  switch (result.status) {
    case "changed":
      return `Host key for ${name} has changed (now ${fp}); the key on record is in ${result.file} line ${result.line}. ` +
        `If the change is expected, remove that line (ssh-keygen -R '${name}' -f ${result.file}) and connect again`;
    case "revoked":
      return `Host key for ${name} (${fp}) is revoked in ${result.file} line ${result.line}: do not connect; ask the host's admin`;
    case "unknown":
      if (result.certAuthorityOnly) {
        return `Host ${name} is known only through a @cert-authority line; certificates are not supported by the native client: use --ssh=openssh`;
      }
      return `Host key for ${name} is not known (${fp}): add it to ${firstFile} ` +
        `(connect once on a terminal and answer yes, or use -o StrictHostKeyChecking=accept-new)`;
    case "known":
      return `Host key for ${name} is known`;
  }
}

/** Append one line for the host, creating the file (0600) and its dir (0700) if missing. */
export function appendKnownHost(input: {
  file: string;
  host: string;
  port: number;
  keyBlob: Uint8Array;
  hash: boolean;
}): void {
  const name = hostEntryName(input.host, input.port);
  const hosts = input.hash ? hashHostName(name) : name;
  const line = `${hosts} ${keyTypeOf(input.keyBlob)} ${
    Buffer.from(input.keyBlob).toString("base64")
  }\n`;
  const dir = parentDir(input.file);
  if (dir) Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const old = Deno.readFileSync(input.file);
    if (old.length && old[old.length - 1] !== 0x0a) prefix = "\n";
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  Deno.writeTextFileSync(input.file, prefix + line, { append: true, create: true, mode: 0o600 });
}

/** `|1|salt|hmac` as HashKnownHosts writes it. */
export function hashHostName(name: string, salt: Uint8Array = randomBytes(20)): string {
  const mac = createHmac("sha1", salt).update(name).digest("base64");
  return `|1|${Buffer.from(salt).toString("base64")}|${mac}`;
}

/** OpenSSH's question for an unknown host. */
export function unknownHostQuestion(
  host: string,
  port: number,
  blob: Uint8Array,
  otherTypes: readonly string[],
): string {
  const name = hostEntryName(host, port);
  const lines = [
    `The authenticity of host '${name}' can't be established.`,
    `${keyTypeLabel(keyTypeOf(blob))} key fingerprint is ${fingerprint(blob)}.`,
  ];
  if (otherTypes.length) {
    lines.push(`This host is known by other key types: ${otherTypes.join(", ")}.`);
  }
  lines.push("Are you sure you want to continue connecting (yes/no/[fingerprint])? ");
  return lines.join("\n");
}

/** yes, or the pasted fingerprint of this very key, accepts; anything else refuses. */
export function acceptsAnswer(answer: string, blob: Uint8Array): boolean {
  const a = answer.trim();
  return a.toLowerCase() === "yes" || a === fingerprint(blob);
}

function _readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    if (err instanceof Deno.errors.PermissionDenied) return undefined;
    throw err;
  }
}
