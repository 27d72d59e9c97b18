/**
 * Host key verification against OpenSSH known_hosts files: plain and hashed (`|1|`) entries,
 * `[host]:port`, patterns and negation, `@revoked`, `@cert-authority` (not usable here).
 * Like golang.org/x/crypto/ssh/knownhosts, the result says what is wrong: unknown (no key on
 * record) vs changed (another key on record, named by file and line). What counts as which is
 * OpenSSH 9.2's reading, checked against real `ssh` logins by tests/known_hosts_diff_test.ts.
 */

import { createHmac, randomBytes } from "node:crypto";
import { SockhopError } from "./errors.ts";
import { parentDir } from "./platform_paths.ts";
import { decodePublicKey, fingerprint, keyTypeLabel, keyTypeOf } from "./public_keys.ts";
import { FileTooLargeError, NotRegularFileError, readUnblockingFile } from "./regular_file.ts";
import { matchPatternList } from "./ssh_patterns.ts";

export type HostKeyResult =
  | { readonly status: "known"; readonly file: string; readonly line: number }
  | { readonly status: "unknown"; readonly certAuthorityOnly: boolean }
  | { readonly status: "changed"; readonly file: string; readonly line: number }
  | { readonly status: "revoked"; readonly file: string; readonly line: number };

interface Entry {
  readonly file: string;
  readonly line: number;
  readonly marker: "" | "@revoked" | "@cert-authority";
  readonly hosts: string;
  readonly keyType: string;
  /** The key blob, base64 as decoded and encoded again, so that equal keys compare equal. */
  readonly key: string;
}

/** `host`, or `[host]:port` for another port: the name a line is written under. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The name OpenSSH looks a host's key up under and records it as: the HostKeyAlias if there is
 * one (no port), else `host` or `[host]:port`; lowercased either way, as ssh lowercases the
 * host name before it looks (a hashed entry of `MyBox` never matches, one of `mybox` does).
 */
export function hostKeyName(host: string, port: number, alias = ""): string {
  return (alias ? alias : hostEntryName(host, port)).toLowerCase();
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
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return;
    // As ssh's sshkey_read: a line whose key does not decode (bad base64, a truncated or
    // padded blob), or whose type field names another type than the key itself, is no entry
    // at all (not a "changed" key).
    const blob = decodePublicKey(keyType, b64);
    if (!blob) return;
    entries.push({
      file,
      line: i + 1,
      marker,
      hosts,
      keyType,
      key: Buffer.from(blob).toString("base64"),
    });
  });
  return entries;
}

/** Whether a line's host field names `name` (already lowercased). */
function _hostMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash, extra] = hosts.split("|");
    if (!salt || !hash || extra !== undefined) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  return matchPatternList(hosts.split(","), name);
}

function _entriesFor(name: string, entries: readonly Entry[]): Entry[] {
  return entries.filter((e) => _hostMatches(e.hosts, name));
}

/**
 * One lookup, as OpenSSH's check_hostkeys_by_key_or_type: a matching `@revoked` key wins; then
 * the key itself on record; then any other plain key on record for the name, of whatever type,
 * makes it changed (ssh prefers the types on record when it negotiates, so a key of another
 * type means the host offers none of those any more).
 */
function _lookup(key: string, entries: Entry[]): HostKeyResult {
  const revoked = entries.find((e) => e.marker === "@revoked" && e.key === key);
  if (revoked) return { status: "revoked", file: revoked.file, line: revoked.line };
  const plain = entries.filter((e) => e.marker === "");
  const same = plain.find((e) => e.key === key);
  if (same) return { status: "known", file: same.file, line: same.line };
  // ssh names the last line it looked at.
  const other = plain.at(-1);
  if (other) return { status: "changed", file: other.file, line: other.line };
  return {
    status: "unknown",
    certAuthorityOnly: entries.some((e) => e.marker === "@cert-authority"),
  };
}

/** known_hosts files as read once, for every question a connection asks of them. */
export interface KnownHosts {
  /**
   * Check a server's key against the files, in order (user files first, then global ones).
   * For a port other than 22 and no alias, a host unknown as `[host]:port` is looked up again
   * as the bare `host`, and accepted if its key is on record there (OpenSSH: "checking without
   * port identifier"); a key revoked there is refused (OpenSSH only warns, see the README).
   */
  check(host: string, port: number, alias: string, keyBlob: Uint8Array): HostKeyResult;
  /**
   * The key types on record for a host, so the client can prefer them (as OpenSSH's
   * order_hostkeyalgs: under the lookup name only, not the bare-host fallback; no type with a
   * @revoked key for the host).
   */
  keyTypes(host: string, port: number, alias: string): string[];
  /**
   * Why the built-in client cannot check this host's key as ssh would, or undefined: the host
   * is known only through a `@cert-authority` line (no plain key under its lookup name, nor
   * under the bare host for another port), and the built-in client checks no host
   * certificates. `--ssh=auto` then uses ssh.
   */
  certificateGap(host: string, port: number, alias: string): string | undefined;
}

/** Read and parse the files once; a missing or unreadable file has no entries. */
export function readKnownHosts(
  files: readonly string[],
  readFile: (path: string) => string | undefined = _readOrUndefined,
): KnownHosts {
  const entries: Entry[] = [];
  for (const file of files) {
    const text = readFile(file);
    if (text !== undefined) entries.push(..._parse(file, text));
  }
  return {
    check(host, port, alias, keyBlob) {
      const key = Buffer.from(keyBlob).toString("base64");
      const result = _lookup(key, _entriesFor(hostKeyName(host, port, alias), entries));
      if (result.status !== "unknown" || alias || port === 22) return result;
      const fallback = _lookup(key, _entriesFor(host.toLowerCase(), entries));
      return fallback.status === "known" || fallback.status === "revoked" ? fallback : result;
    },
    certificateGap(host, port, alias) {
      const name = hostKeyName(host, port, alias);
      const named = _entriesFor(name, entries);
      const plain = (list: Entry[]) => list.some((e) => e.marker === "");
      if (plain(named)) return undefined;
      if (!alias && port !== 22 && plain(_entriesFor(host.toLowerCase(), entries))) {
        return undefined;
      }
      const ca = named.find((e) => e.marker === "@cert-authority");
      return ca &&
        `@cert-authority ${ca.hosts} (${ca.file} line ${ca.line}; ${name} is known only through a @cert-authority line, and the built-in client checks no host certificates)`;
    },
    keyTypes(host, port, alias) {
      const named = _entriesFor(hostKeyName(host, port, alias), entries);
      // ssh prefers no type it has a revoked key of for this host (record_hostkey).
      const revoked = new Set(named.filter((e) => e.marker === "@revoked").map((e) => e.keyType));
      const types: string[] = [];
      for (const e of named) {
        if (e.marker === "" && !revoked.has(e.keyType) && !types.includes(e.keyType)) {
          types.push(e.keyType);
        }
      }
      return types;
    },
  };
}

/** One check against the files (KnownHosts.check, for a single question). */
export function checkHostKey(input: {
  host: string;
  port: number;
  alias?: string;
  keyBlob: Uint8Array;
  files: readonly string[];
  readFile?: (path: string) => string | undefined;
}): HostKeyResult {
  return readKnownHosts(input.files, input.readFile).check(
    input.host,
    input.port,
    input.alias ?? "",
    input.keyBlob,
  );
}

/**
 * Why the built-in client cannot check this host's key as ssh would, in the form of
 * nativeUnsupportedReason, or undefined (KnownHosts.certificateGap, for a single question).
 */
export function nativeHostKeyGap(
  config: {
    readonly hostName: string;
    readonly port: number;
    readonly knownHosts: {
      readonly alias: string;
      readonly userFiles: readonly string[];
      readonly globalFiles: readonly string[];
    };
  },
  readFile: (path: string) => string | undefined = _readOrUndefined,
): string | undefined {
  const { alias, userFiles, globalFiles } = config.knownHosts;
  return readKnownHosts([...userFiles, ...globalFiles], readFile).certificateGap(
    config.hostName,
    config.port,
    alias,
  );
}

/** The key types on record for a host (KnownHosts.keyTypes, for a single question). */
export function knownKeyTypes(
  host: string,
  port: number,
  files: readonly string[],
  alias = "",
): string[] {
  return readKnownHosts(files).keyTypes(host, port, alias);
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
    name: string,
    blob: Uint8Array,
    firstFile: string,
    options?: ErrorOptions,
  ) {
    super(
      _message(result, name, blob, firstFile),
      result.status === "known" ? "host-key" : `host-key-${result.status}`,
      options,
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
      return `Host key for ${name} is not known (${fp}): if that is the host's key, trust it ` +
        `with --host-key=${fingerprint(blob)}, or -o StrictHostKeyChecking=accept-new to add it ` +
        `to ${firstFile} (or connect once on a terminal and answer yes)`;
    case "known":
      return `Host key for ${name} is known`;
  }
}

/**
 * Append one line for `name` (from hostKeyName), creating the file (0600) and its dir (0700)
 * if missing.
 */
export function appendKnownHost(input: {
  file: string;
  name: string;
  keyBlob: Uint8Array;
  hash: boolean;
}): void {
  const hosts = input.hash ? hashHostName(input.name) : input.name;
  const line = `${hosts} ${keyTypeOf(input.keyBlob)} ${
    Buffer.from(input.keyBlob).toString("base64")
  }\n`;
  const dir = parentDir(input.file);
  if (dir) Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = "";
  let exists = true;
  try {
    const old = readUnblockingFile(input.file);
    if (old.length && old[old.length - 1] !== 0x0a) prefix = "\n";
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    exists = false;
  }
  // A mode only for a file made here: Deno applies `mode` to an existing file too, and with the
  // common UserKnownHostsFile=/dev/null a run as root made /dev/null 0600 for everyone.
  if (!exists) {
    try {
      Deno.writeTextFileSync(input.file, line, { createNew: true, mode: 0o600 });
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
  Deno.writeTextFileSync(input.file, prefix + line, { append: true });
}

/** `|1|salt|hmac` as HashKnownHosts writes it. */
export function hashHostName(name: string, salt: Uint8Array = randomBytes(20)): string {
  const mac = createHmac("sha1", salt).update(name).digest("base64");
  return `|1|${Buffer.from(salt).toString("base64")}|${mac}`;
}

/** OpenSSH's question for an unknown host, `name` from hostKeyName. */
export function unknownHostQuestion(name: string, blob: Uint8Array): string {
  return [
    `The authenticity of host '${name}' can't be established.`,
    `${keyTypeLabel(keyTypeOf(blob))} key fingerprint is ${fingerprint(blob)}.`,
    "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
  ].join("\n");
}

/** yes, or the pasted fingerprint of this very key, accepts; anything else refuses. */
export function acceptsAnswer(answer: string, blob: Uint8Array): boolean {
  const a = answer.trim();
  return a.toLowerCase() === "yes" || a === fingerprint(blob);
}

function _readOrUndefined(path: string): string | undefined {
  try {
    return new TextDecoder().decode(readUnblockingFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || (err as { code?: string }).code === "ENOTDIR") {
      return undefined;
    }
    if (err instanceof NotRegularFileError) {
      throw new SockhopError(`known_hosts file ${err.message}: give the path of a file`);
    }
    if (err instanceof FileTooLargeError) {
      throw new SockhopError(`known_hosts file ${err.message}`, "usage-file");
    }
    if (err instanceof Deno.errors.PermissionDenied) return undefined;
    throw err;
  }
}
