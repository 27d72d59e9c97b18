/** Parse what the user names to connect to: an ssh:// URL, the legacy ssh:host:NAME, or a local session. */

import { UsageError } from "./errors.ts";

/** A jump host, from the URL's proxy_* keys or a connection file. */
export interface JumpHost {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly key?: string;
}

/** An SSH destination and the session to reach there. */
export interface SshTarget {
  readonly kind: "ssh";
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** Session name or xpra display; empty when the URL names none. */
  readonly name: string;
  readonly key?: string;
  readonly jump?: JumpHost;
}

/** A session on this host. */
export interface LocalTarget {
  readonly kind: "local";
  readonly name: string;
}

export type Target = SshTarget | LocalTarget;

const SCHEMES = ["ssh://", "xpra+ssh://", "vnc+ssh://", "ssh+xpra://"];
const QUERY_KEYS = new Set([
  "proxy_host",
  "proxy_port",
  "proxy_username",
  "proxy_password",
  "proxy_key",
  "key",
]);

/** Parse a connect/forward argument into a target. */
export function parseTarget(text: string): Target {
  const scheme = SCHEMES.find((s) => text.toLowerCase().startsWith(s));
  if (scheme) return _parseSshUrl(text.slice(scheme.length), text);
  const legacy = /^ssh:([^:/@]+):(.*)$/.exec(text);
  if (legacy) {
    return { kind: "ssh", host: legacy[1]!, name: legacy[2]! };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(
      `Unsupported URL ${JSON.stringify(text)}: use ssh://[user@]host[:port]/NAME`,
    );
  }
  return { kind: "local", name: text };
}

function _parseSshUrl(rest: string, original: string): SshTarget {
  let query = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  let path = slash >= 0 ? rest.slice(slash + 1) : "";
  const comma = path.indexOf(",");
  if (comma >= 0) path = path.slice(0, comma);
  const name = _decode(path.replace(/\/+$/, ""), original);

  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    user = _decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, original);
    if (colon >= 0) password = _decode(userinfo.slice(colon + 1), original);
  }
  const { host, port } = parseHostPort(hostport, original);
  const params = _parseQuery(query, original);
  const target: {
    -readonly [K in keyof SshTarget]: SshTarget[K];
  } = { kind: "ssh", host, name };
  if (port !== undefined) target.port = port;
  if (user) target.user = user;
  if (password !== undefined) target.password = password;
  const key = params.get("key");
  if (key) target.key = key;
  const jumpHost = params.get("proxy_host");
  if (jumpHost) {
    const jump: { -readonly [K in keyof JumpHost]: JumpHost[K] } = { host: jumpHost };
    const jp = params.get("proxy_port");
    if (jp) jump.port = parsePort(jp, original);
    const ju = params.get("proxy_username");
    if (ju) jump.user = ju;
    const jw = params.get("proxy_password");
    if (jw !== undefined) jump.password = jw;
    const jk = params.get("proxy_key");
    if (jk) jump.key = jk;
    target.jump = jump;
  } else if ([...params.keys()].some((k) => k.startsWith("proxy_"))) {
    throw new UsageError(`${JSON.stringify(original)} has proxy_* keys but no proxy_host: add it`);
  }
  return target;
}

/** Split `host[:port]` or `[v6]:port`. */
export function parseHostPort(
  text: string,
  context = text,
  allowZero = false,
): { host: string; port?: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) throw new UsageError(`Missing ] in ${JSON.stringify(context)}: write [::1]:22`);
    host = text.slice(1, end);
    const after = text.slice(end + 1);
    if (after.startsWith(":")) portText = after.slice(1);
    else if (after !== "") {
      throw new UsageError(
        `Unexpected ${JSON.stringify(after)} after ] in ${JSON.stringify(context)}`,
      );
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") === colon) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text; // a bare IPv6 address without brackets has no port
    }
  }
  host = _decode(host, context);
  if (!host) throw new UsageError(`No host in ${JSON.stringify(context)}: write ssh://host/NAME`);
  if (portText === undefined || portText === "") return { host };
  return { host, port: parsePort(portText, context, allowZero) };
}

/** A TCP port number, 1-65535 (0 too when a listener may pick one). */
export function parsePort(text: string, context = text, allowZero = false): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new UsageError(
      `Bad port ${JSON.stringify(text)} in ${JSON.stringify(context)}: use 1-65535`,
    );
  }
  return port;
}

function _parseQuery(query: string, original: string): Map<string, string> {
  const params = new Map<string, string>();
  if (!query) return params;
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = _decode(eq >= 0 ? part.slice(0, eq) : part, original);
    const value = _decode(eq >= 0 ? part.slice(eq + 1).replaceAll("+", " ") : "", original);
    if (!QUERY_KEYS.has(key)) {
      throw new UsageError(
        `Unknown URL option ${JSON.stringify(key)} in ${JSON.stringify(original)}: use ${
          [...QUERY_KEYS].join(", ")
        }`,
      );
    }
    params.set(key, value);
  }
  return params;
}

function _decode(text: string, original: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(
      `Bad percent-encoding in ${JSON.stringify(original)}: write %XX with hex digits`,
    );
  }
}
