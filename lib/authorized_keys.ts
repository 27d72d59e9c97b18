/**
 * authorized_keys for the built-in server. Options that would change what a key may do and
 * that sockhop cannot honour (command=, permitopen=, ...) make the key unusable: refusing is
 * the safe reading. `from=` is honoured.
 */

// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { matchPatternList } from "./ssh_patterns.ts";

export interface AuthorizedKey {
  readonly blob: Uint8Array;
  readonly key: ssh2.ParsedKey;
  readonly from?: readonly string[];
  readonly line: number;
}

export interface Unusable {
  readonly line: number;
  readonly reason: string;
}

const HARMLESS = new Set([
  "restrict",
  "no-pty",
  "no-port-forwarding",
  "no-agent-forwarding",
  "no-x11-forwarding",
  "no-user-rc",
  "no-touch-required",
  "verify-required",
]);

/** Parse the text of an authorized_keys file. */
export function parseAuthorizedKeys(text: string): { keys: AuthorizedKey[]; unusable: Unusable[] } {
  const keys: AuthorizedKey[] = [];
  const unusable: Unusable[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    let options: string[] = [];
    let rest = line;
    if (!/^(ssh-|ecdsa-|sk-)/.test(line)) {
      const split = _splitOptions(line);
      options = split.options;
      rest = split.rest;
    }
    const parsed = ssh2.utils.parseKey(rest);
    if (parsed instanceof Error || (Array.isArray(parsed) && !parsed[0])) {
      unusable.push({
        line: i + 1,
        reason: `not a public key${parsed instanceof Error ? `: ${parsed.message}` : ""}`,
      });
      return;
    }
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    let from: string[] | undefined;
    for (const opt of options) {
      const m = /^([a-z0-9-]+)(?:="((?:[^"\\]|\\.)*)")?$/i.exec(opt);
      const name = m?.[1]?.toLowerCase() ?? opt;
      if (name === "from" && m?.[2] !== undefined) from = m[2].split(",");
      else if (!HARMLESS.has(name)) {
        unusable.push({
          line: i + 1,
          reason: `option ${name} cannot be honoured by sockhop's server`,
        });
        return;
      }
    }
    keys.push({
      blob: new Uint8Array(key.getPublicSSH()),
      key,
      ...(from ? { from } : {}),
      line: i + 1,
    });
  });
  return { keys, unusable };
}

/** The key of this blob that may log in from `address`, if any. */
export function findAuthorizedKey(
  keys: readonly AuthorizedKey[],
  blob: Uint8Array,
  address: string,
): AuthorizedKey | undefined {
  return keys.find((k) =>
    k.blob.length === blob.length && k.blob.every((b, i) => b === blob[i]) &&
    (!k.from || matchPatternList(k.from, address.replace(/^::ffff:/, "")))
  );
}

function _splitOptions(line: string): { options: string[]; rest: string } {
  const options: string[] = [];
  let cur = "";
  let quoted = false;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' && line[i - 1] !== "\\") quoted = !quoted;
    if (!quoted && (c === "," || c === " " || c === "\t")) {
      options.push(cur);
      cur = "";
      if (c !== ",") break;
      continue;
    }
    cur += c;
  }
  return { options: options.filter(Boolean), rest: line.slice(i).trim() };
}
