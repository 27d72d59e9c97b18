/**
 * Connection files: `*.sockhop` and xpra's `*.xpra`, `key=value` lines that carry a
 * destination and options such as `ssh=`. Command-line options override the file.
 */

import { SockhopError, UsageError } from "./errors.ts";
import { quote } from "./safe_text.ts";
import { readUserFile } from "./regular_file.ts";
import type { Hop } from "./hop.ts";
import { parsePort } from "./address.ts";
import { parseTarget, type SshTarget } from "./url.ts";
import { compact } from "./compact.ts";

/** What a connection file says, beyond the destination. */
export interface FileOptions {
  readonly ssh?: string;
  readonly exitSsh?: string;
  readonly remoteSockhop?: string;
  readonly passwordFile?: string;
  readonly hostKey?: string;
}

export interface ConnectionFile {
  readonly target: SshTarget;
  readonly options: FileOptions;
  /** Lines with keys we do not know, for a warning each. */
  readonly warnings: readonly string[];
}

/** A jump host's keys, the same in both kinds of file. */
const JUMP_KEYS = ["proxy_host", "proxy_port", "proxy_username", "proxy_password", "proxy_key"];
const SOCKHOP_KEYS = new Set([
  "url",
  "host",
  "port",
  "user",
  "username",
  "password",
  "session",
  "key",
  ...JUMP_KEYS,
  "ssh",
  "exit_ssh",
  "remote_sockhop",
  "password_file",
  "host_key",
]);
/** The keys of a `.xpra` file sockhop acts on, as xpra spells them (and a few of its own). */
const XPRA_KEYS = new Set([
  "mode",
  "host",
  "port",
  "ssh_port",
  "username",
  "password",
  ...JUMP_KEYS,
  "ssh",
  "exit-ssh",
  "exit_ssh",
  "password-file",
  "password_file",
  "key",
  "host_key",
]);
/** What xpra's launcher saves besides the connection: settings of xpra's own client. */
const XPRA_CLIENT_KEYS = new Set([
  "autoconnect",
  "encoding",
  "quality",
  "min-quality",
  "speed",
  "min-speed",
]);

/** Whether a connect argument names a connection file. */
export function isConnectionFile(arg: string): boolean {
  return /\.(sockhop|xpra)$/i.test(arg);
}

/** Read and parse a connection file. */
export function readConnectionFile(path: string): ConnectionFile {
  return parseConnectionFile(readUserFile(path, "connection file"), path);
}

/** Parse the text of a connection file; `path` names it in messages and tells its kind. */
export function parseConnectionFile(text: string, path: string): ConnectionFile {
  return /\.xpra$/i.test(path) ? _parseXpra(text, path) : _parseSockhop(text, path);
}

interface _Value {
  readonly value: string;
  readonly line: number;
}

function _parseSockhop(text: string, path: string): ConnectionFile {
  const where = path;
  const values = new Map<string, _Value>();
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`${where} line ${i + 1}: expected key=value, got ${quote(line)}`);
    }
    const key = line.slice(0, eq).trim().toLowerCase().replaceAll("-", "_");
    const value = line.slice(eq + 1).trim();
    if (!SOCKHOP_KEYS.has(key)) {
      warnings.push(`${where} line ${i + 1}: unknown key ${quote(key)} ignored`);
      return;
    }
    values.set(key, { value, line: i + 1 });
  });
  const get = (k: string) => values.get(k)?.value;
  const portOf = (k: string) => _port(values.get(k), k, where);
  let target: SshTarget;
  const url = get("url");
  if (url) {
    const parsed = parseTarget(url);
    if (parsed.kind !== "ssh") throw new UsageError(`${where}: url must be an ssh:// URL`);
    target = parsed;
  } else {
    const host = get("host");
    if (!host) throw new UsageError(`${where}: no host=: add host=NAME (or url=ssh://...)`);
    const sshPort = portOf("port");
    const user = get("username") ?? get("user");
    const password = get("password");
    const key = get("key");
    target = compact({
      kind: "ssh" as const,
      host,
      name: get("session") ?? "",
      port: sshPort,
      user: user || undefined,
      password,
      key: key || undefined,
    });
  }
  const jumpHost = get("proxy_host");
  if (jumpHost) target = { ...target, jump: _jump(jumpHost, get, portOf) };
  return { target, options: _options(get), warnings };
}

/**
 * xpra's `.xpra` file, as xpra's launcher reads it (read_config, then connect_builtin):
 * `!` and `#` comment lines, lines without `=` skipped, a trailing backslash joins the next
 * line with a space, keys as xpra spells them; `mode=ssh` or `mode=ssh -> ssh` (the jump host
 * of `proxy_*` is used only then); `port` is the display (none when 0 or less); `host` may
 * carry `user[:password]@`, which wins over `username` and `password`.
 */
function _parseXpra(text: string, path: string): ConnectionFile {
  const where = path;
  const warnings: string[] = [];
  const values = new Map<string, _Value>();
  for (const { text: line, line: n } of _xpraLines(text)) {
    const eq = line.indexOf("=");
    if (eq <= 0) {
      warnings.push(`${where} line ${n}: not key=value, skipped: ${quote(line, 60)}`);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (XPRA_CLIENT_KEYS.has(key)) continue;
    if (key === "display") {
      warnings.push(
        `${where} line ${n}: display= is ignored, as xpra's launcher ignores it: the display is port=`,
      );
      continue;
    }
    if (!XPRA_KEYS.has(key)) {
      warnings.push(`${where} line ${n}: unknown key ${quote(key)} ignored`);
      continue;
    }
    const seen = values.get(key);
    if (seen) {
      // xpra drops such a key (with a warning) and uses its default: rather say so.
      throw new UsageError(
        `${where} line ${n}: ${quote(key)} is given again (first on line ${seen.line}): keep one`,
      );
    }
    values.set(key, { value, line: n });
  }
  const get = (k: string) => values.get(k)?.value;
  const mode = values.get("mode");
  if (!mode) {
    throw new SockhopError(
      `${where} has no mode=, which xpra reads as tcp: add mode=ssh (sockhop reaches xpra over SSH only)`,
      "usage-file",
    );
  }
  if (mode.value !== "ssh" && mode.value !== "ssh -> ssh") {
    throw new SockhopError(
      `${where} line ${mode.line}: mode=${
        quote(mode.value, 40)
      } is not an SSH connection: use mode=ssh or mode=ssh -> ssh (sockhop reaches xpra over SSH only)`,
      "usage-file",
    );
  }
  const hostValue = values.get("host");
  if (!hostValue?.value) throw new UsageError(`${where}: no host=: add host=NAME`);
  let host = hostValue.value;
  let user = get("username");
  let password = get("password");
  const at = host.indexOf("@");
  if (at >= 0) {
    if (host.indexOf("@", at + 1) >= 0) {
      throw new UsageError(
        `${where} line ${hostValue.line}: host=${
          quote(host, 60)
        } has two @: write host=user@host and put the password in password=`,
      );
    }
    const userinfo = host.slice(0, at);
    host = host.slice(at + 1);
    const colon = userinfo.indexOf(":");
    user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (colon >= 0) password = userinfo.slice(colon + 1);
  }
  if (!host) throw new UsageError(`${where} line ${hostValue.line}: no host after the @`);
  const portOf = (k: string) => _port(values.get(k), k, where);
  const sshPort = portOf("ssh_port");
  const key = get("key");
  let target: SshTarget = compact({
    kind: "ssh" as const,
    host,
    name: _xpraDisplay(values.get("port"), where),
    port: sshPort,
    user: user || undefined,
    password: password || undefined,
    key: key || undefined,
  });
  const proxyKeys = [...values.keys()].filter((k) => k.startsWith("proxy_"));
  if (mode.value === "ssh -> ssh") {
    const jumpHost = get("proxy_host");
    if (!jumpHost) {
      throw new UsageError(`${where}: mode=ssh -> ssh needs proxy_host=: add the jump host`);
    }
    target = { ...target, jump: _jump(jumpHost, get, portOf) };
  } else if (proxyKeys.length) {
    warnings.push(
      `${where}: ${
        proxyKeys.join(", ")
      } ignored, as xpra ignores them with mode=ssh: use mode=ssh -> ssh for a jump host`,
    );
  }
  return { target, options: _options(get), warnings };
}

/** read_config's lines: stripped, comments and blank lines out, backslash lines joined. */
function _xpraLines(text: string): { text: string; line: number }[] {
  const kept: { text: string; line: number }[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line && line[0] !== "!" && line[0] !== "#") kept.push({ text: line, line: i + 1 });
  });
  const joined: { text: string; line: number }[] = [];
  let open: { text: string; line: number } | undefined;
  for (const k of kept) {
    const text = (open?.text ?? "") + (k.text.endsWith("\\") ? `${k.text.slice(0, -1)} ` : k.text);
    const line = open?.line ?? k.line;
    if (k.text.endsWith("\\")) {
      open = { text, line };
    } else {
      joined.push({ text, line });
      open = undefined;
    }
  }
  if (open) joined.push({ text: open.text.trim(), line: open.line });
  return joined;
}

function _port(v: _Value | undefined, key: string, where: string): number | undefined {
  if (!v || v.value === "") return undefined;
  try {
    return parsePort(v.value);
  } catch {
    throw new UsageError(`${where} line ${v.line}: bad ${key} ${quote(v.value, 40)}: use 1-65535`);
  }
}

function _jump(
  host: string,
  get: (k: string) => string | undefined,
  portOf: (k: string) => number | undefined,
): Hop {
  const port = portOf("proxy_port");
  const user = get("proxy_username");
  const password = get("proxy_password");
  const key = get("proxy_key");
  return compact({
    host,
    port,
    user: user || undefined,
    password: password || undefined,
    key: key || undefined,
  });
}

function _options(get: (k: string) => string | undefined): FileOptions {
  const options: { -readonly [K in keyof FileOptions]: FileOptions[K] } = {};
  const ssh = get("ssh");
  if (ssh) options.ssh = ssh;
  const exitSsh = get("exit_ssh") ?? get("exit-ssh");
  if (exitSsh) options.exitSsh = exitSsh;
  const remote = get("remote_sockhop");
  if (remote) options.remoteSockhop = remote;
  const pwFile = get("password_file") ?? get("password-file");
  if (pwFile) options.passwordFile = pwFile;
  const hostKey = get("host_key");
  if (hostKey) options.hostKey = hostKey;
  return options;
}

/** `port=` of a `.xpra` file: the display, none when 0 or less (xpra's default is -1). */
function _xpraDisplay(v: _Value | undefined, where: string): string {
  if (!v || v.value === "") return "";
  if (!/^-?\d+$/.test(v.value)) {
    throw new UsageError(
      `${where} line ${v.line}: bad port ${quote(v.value, 40)}: the display number, as port=100`,
    );
  }
  const n = Number(v.value);
  return n > 0 ? `:${n}` : "";
}
