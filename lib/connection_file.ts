/**
 * Connection files: `*.sockhop` and xpra's `*.xpra`, `key=value` lines that carry a
 * destination and options such as `ssh=`. Command-line options override the file.
 */

import { SockhopError, UsageError } from "./errors.ts";
import { type JumpHost, parsePort, parseTarget, type SshTarget } from "./url.ts";

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

const SOCKHOP_KEYS = new Set([
  "url",
  "host",
  "port",
  "user",
  "username",
  "password",
  "session",
  "key",
  "proxy_host",
  "proxy_port",
  "proxy_username",
  "proxy_password",
  "proxy_key",
  "ssh",
  "exit_ssh",
  "remote_sockhop",
  "password_file",
  "host_key",
]);
const XPRA_KEYS = new Set([
  "mode",
  "host",
  "ssh_port",
  "username",
  "password",
  "port",
  "display",
  "key",
  "proxy_host",
  "proxy_port",
  "proxy_username",
  "proxy_password",
  "proxy_key",
  "ssh",
  "exit_ssh",
  "password_file",
  "host_key",
  "autoconnect",
]);

/** Whether a connect argument names a connection file. */
export function isConnectionFile(arg: string): boolean {
  return /\.(sockhop|xpra)$/i.test(arg);
}

/** Read and parse a connection file. */
export function readConnectionFile(path: string): ConnectionFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new SockhopError(
      `Cannot read connection file ${path}: ${(err as Error).message}`,
      "usage-file",
      {
        cause: err,
      },
    );
  }
  return parseConnectionFile(text, path);
}

/** Parse the text of a connection file; `path` names it in messages and tells its kind. */
export function parseConnectionFile(text: string, path: string): ConnectionFile {
  const xpra = /\.xpra$/i.test(path);
  const known = xpra ? XPRA_KEYS : SOCKHOP_KEYS;
  const values = new Map<string, { value: string; line: number }>();
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `${path} line ${i + 1}: expected key=value, got ${JSON.stringify(line)}`,
      );
    }
    const key = line.slice(0, eq).trim().toLowerCase().replaceAll("-", "_");
    const value = line.slice(eq + 1).trim();
    if (!known.has(key)) {
      warnings.push(`${path} line ${i + 1}: unknown key ${JSON.stringify(key)} ignored`);
      return;
    }
    values.set(key, { value, line: i + 1 });
  });
  const get = (k: string) => values.get(k)?.value;
  const portOf = (k: string) => {
    const v = values.get(k);
    if (!v || v.value === "") return undefined;
    try {
      return parsePort(v.value);
    } catch {
      throw new UsageError(
        `${path} line ${v.line}: bad ${k} ${JSON.stringify(v.value)}: use 1-65535`,
      );
    }
  };

  if (xpra) {
    const mode = get("mode") ?? "ssh";
    if (mode !== "ssh") {
      throw new SockhopError(
        `${path}: mode=${mode} is not an SSH connection: sockhop reaches xpra sessions over ssh only`,
        "usage-file",
      );
    }
  }
  let target: SshTarget;
  const url = get("url");
  if (url) {
    const parsed = parseTarget(url);
    if (parsed.kind !== "ssh") throw new UsageError(`${path}: url must be an ssh:// URL`);
    target = parsed;
  } else {
    const host = get("host");
    if (!host) throw new UsageError(`${path}: no host=: add host=NAME (or url=ssh://...)`);
    const sshPort = portOf(xpra ? "ssh_port" : "port");
    const name = xpra ? _xpraDisplay(get("display") ?? get("port")) : get("session") ?? "";
    const user = get("username") ?? get("user");
    const password = get("password");
    const key = get("key");
    target = {
      kind: "ssh",
      host,
      name,
      ...(sshPort !== undefined ? { port: sshPort } : {}),
      ...(user ? { user } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(key ? { key } : {}),
    };
  }
  const jumpHost = get("proxy_host");
  if (jumpHost) {
    const jp = portOf("proxy_port");
    const ju = get("proxy_username");
    const jw = get("proxy_password");
    const jk = get("proxy_key");
    const jump: JumpHost = {
      host: jumpHost,
      ...(jp !== undefined ? { port: jp } : {}),
      ...(ju ? { user: ju } : {}),
      ...(jw !== undefined ? { password: jw } : {}),
      ...(jk ? { key: jk } : {}),
    };
    target = { ...target, jump };
  }
  const options: { -readonly [K in keyof FileOptions]: FileOptions[K] } = {};
  const ssh = get("ssh");
  if (ssh) options.ssh = ssh;
  const exitSsh = get("exit_ssh");
  if (exitSsh) options.exitSsh = exitSsh;
  const remote = get("remote_sockhop");
  if (remote) options.remoteSockhop = remote;
  const pwFile = get("password_file");
  if (pwFile) options.passwordFile = pwFile;
  const hostKey = get("host_key");
  if (hostKey) options.hostKey = hostKey;
  return { target, options, warnings };
}

function _xpraDisplay(value: string | undefined): string {
  if (!value) return "";
  return value.startsWith(":") ? value : `:${value}`;
}
