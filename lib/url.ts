/**
 * Parse what the user names to connect to: an ssh:// URL, xpra's own `ssh:HOST:DISPLAY` and
 * `ssh/HOST/DISPLAY`, or a local session. How xpra reads each form is checked against xpra
 * 3.1.3's own parser by tests/xpra_url_diff_test.ts; where sockhop reads one otherwise, the
 * README ("Differences from OpenSSH and xpra") says so and why.
 */

import { UsageError } from "./errors.ts";
import type { Hop } from "./hop.ts";
import { parsePort, percentDecode, splitHostPort } from "./address.ts";
import { quote } from "./safe_text.ts";

/** An SSH destination and the session to reach there. */
export interface SshTarget extends Hop {
  readonly kind: "ssh";
  /** Session name or xpra display; empty when the URL names none. */
  readonly name: string;
  /** A jump host, from the URL's proxy_* keys or proxy=, or a connection file. */
  readonly jump?: Hop;
}

/** A session on this host. */
export interface LocalTarget {
  readonly kind: "local";
  readonly name: string;
}

export type Target = SshTarget | LocalTarget;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const SCHEMES = ["ssh://", "xpra+ssh://", "vnc+ssh://", "ssh+xpra://"];
const QUERY_KEYS = new Set([
  "proxy",
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
  if (/^ssh[:/]/.test(text)) return _parseXpraName(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(`Unsupported URL ${quote(text)}: use ssh://[user@]host[:port]/NAME`);
  }
  return { kind: "local", name: text };
}

/**
 * xpra's display names `ssh:[user[:pw]@]host[:port][:DISPLAY]` and `ssh/...[/DISPLAY]`, read as
 * xpra reads them: the last separator splits off the display, a `?proxy=` anywhere names a
 * jump host, `?` and `#` end the display. They are not URLs: nothing is percent-decoded.
 */
function _parseXpraName(text: string): SshTarget {
  const { rest, jump } = _takeProxy(text);
  const sep = rest[3]!;
  const after = rest.slice(4);
  // xpra's display name syntax, not a file path.
  if (after.startsWith("/")) {
    throw new UsageError(
      `Unknown form ${quote(text)}: write ssh://HOST/DISPLAY or ssh:HOST:DISPLAY`,
    );
  }
  const parts = after.split(sep);
  let hostText = after;
  let display = "";
  if (parts.length > 1) {
    hostText = parts.slice(0, -1).join(sep);
    display = _displayPart(parts.at(-1)!.split(/[?#]/)[0]!);
  }
  const target: Mutable<SshTarget> = {
    kind: "ssh",
    ..._userAndHost(hostText, text, false),
    name: _sessionName(display),
  };
  if (jump) target.jump = jump;
  return target;
}

/** The `?proxy=[user[:password]@]host[:port]` of xpra 3.x, cut out of a display name. */
function _takeProxy(text: string): { rest: string; jump?: Hop } {
  const at = text.indexOf("?proxy=");
  if (at < 0) return { rest: text };
  const start = at + "?proxy=".length;
  const next = text.indexOf("?", text.lastIndexOf("@") >= start ? text.lastIndexOf("@") : start);
  const end = next < 0 ? text.length : next;
  return {
    rest: text.slice(0, at) + text.slice(end),
    jump: _proxyValue(text.slice(start, end), text),
  };
}

/** `[user[:password]@]host[:port]`, the value of `proxy=`. */
function _proxyValue(value: string, original: string): Hop {
  const at = value.lastIndexOf("@");
  const userinfo = at >= 0 ? value.slice(0, at) : undefined;
  const m = /^([^:]+)(?::(\d+))?$/.exec(at >= 0 ? value.slice(at + 1) : value);
  if (!m) {
    throw new UsageError(
      `Bad proxy=${quote(value)} in ${quote(original)}: write proxy=[user[:password]@]host[:port]`,
    );
  }
  const jump: Mutable<Hop> = { host: m[1]! };
  if (m[2] !== undefined) jump.port = parsePort(m[2], original);
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (!user) {
      throw new UsageError(
        `No user name before the password in proxy=... of ${
          quote(original)
        }: write proxy=user:password@host`,
      );
    }
    jump.user = user;
    // An empty password is none, as xpra reads it.
    if (colon >= 0 && colon < userinfo.length - 1) jump.password = userinfo.slice(colon + 1);
  }
  return jump;
}

function _parseSshUrl(rest: string, original: string): SshTarget {
  // RFC 3986: the fragment ends everything, then the query ends the path.
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  let query = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : "";
  const name = _sessionName(percentDecode(_displayPart(path), original));
  const params = _parseQuery(query, original);
  const target: Mutable<SshTarget> = {
    kind: "ssh",
    ..._userAndHost(authority, original, true),
    name,
  };
  const key = params.get("key");
  if (key) target.key = key;
  const proxy = params.get("proxy");
  const jumpHost = params.get("proxy_host");
  if (proxy !== undefined && jumpHost !== undefined) {
    throw new UsageError(`${quote(original)} has both proxy= and proxy_host=: keep one`);
  }
  if (proxy !== undefined) {
    target.jump = _proxyValue(proxy, original);
    const jk = params.get("proxy_key");
    if (jk) target.jump = { ...target.jump, key: jk };
  } else if (jumpHost) {
    const jump: Mutable<Hop> = { host: jumpHost };
    const jp = params.get("proxy_port");
    if (jp) jump.port = parsePort(jp, original);
    const ju = params.get("proxy_username");
    if (ju) jump.user = ju;
    const jw = params.get("proxy_password");
    if (jw) jump.password = jw;
    const jk = params.get("proxy_key");
    if (jk) jump.key = jk;
    target.jump = jump;
  } else if ([...params.keys()].some((k) => k.startsWith("proxy_"))) {
    throw new UsageError(`${quote(original)} has proxy_* keys but no proxy_host: add it`);
  }
  return target;
}

/**
 * `[user[:password]@]host[:port]`: the user info up to the last `@`, the password after the
 * first `:` of it (an empty one is none, as xpra reads it), then the host and port.
 */
function _userAndHost(
  text: string,
  original: string,
  decode: boolean,
): { host: string; port?: number; user?: string; password?: string } {
  const dec = (s: string) => (decode ? percentDecode(s, original) : s);
  const at = text.lastIndexOf("@");
  const out: { host: string; port?: number; user?: string; password?: string } = {
    ..._urlHostPort(at >= 0 ? text.slice(at + 1) : text, original, decode),
  };
  if (at >= 0) {
    const userinfo = text.slice(0, at);
    const colon = userinfo.indexOf(":");
    const user = dec(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    const password = colon >= 0 ? dec(userinfo.slice(colon + 1)) : "";
    if (user) out.user = user;
    if (password) out.password = password;
  }
  return out;
}

/**
 * The host and port of a URL. `[v6]:port` is the way to write an IPv6 address with a port; a
 * bare one is read as xpra reads it: `fe80::1%eth0:2222` (a port after the zone), or a last
 * group of five digits (no IPv6 group has five) is the port; a zone is never percent-decoded.
 */
function _urlHostPort(
  text: string,
  original: string,
  decode: boolean,
): { host: string; port?: number } {
  if (!text.startsWith("[") && text.split(":").length > 2) {
    let host = text;
    let portText = "";
    const zone = text.indexOf("%");
    if (zone >= 0) {
      const colon = text.indexOf(":", zone);
      if (colon >= 0) [host, portText] = [text.slice(0, colon), text.slice(colon + 1)];
    } else if (text.slice(text.lastIndexOf(":") + 1).length > 4) {
      [host, portText] = [
        text.slice(0, text.lastIndexOf(":")),
        text.slice(text.lastIndexOf(":") + 1),
      ];
    }
    return portText ? { host, port: parsePort(portText, original) } : { host };
  }
  const split = splitHostPort(text, original);
  const host = decode ? percentDecode(split.host, original) : split.host;
  if (!host) {
    // xpra would take 127.0.0.1; an empty host is more likely a slip than a wish.
    throw new UsageError(`No host in ${quote(original)}: write ssh://host/NAME`);
  }
  return split.portText ? { host, port: parsePort(split.portText, original) } : { host };
}

/**
 * The session part: a display `100`, `:100`, `100.0` or `:100.0` names xpra display 100 (the
 * screen number means nothing to a socket); anything else is a session name.
 */
/**
 * The display part of either form without what follows it for xpra's client: `,k=v` options
 * and trailing slashes (`100,encoding=rgb/` is display 100).
 */
function _displayPart(text: string): string {
  const comma = text.indexOf(",");
  return (comma >= 0 ? text.slice(0, comma) : text).replace(/\/+$/, "");
}

function _sessionName(text: string): string {
  const display = /^(:?\d+)\.\d+$/.exec(text);
  return display ? display[1]! : text;
}

function _parseQuery(query: string, original: string): Map<string, string> {
  const params = new Map<string, string>();
  if (!query) return params;
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = percentDecode(eq >= 0 ? part.slice(0, eq) : part, original);
    const value = percentDecode(eq >= 0 ? part.slice(eq + 1).replaceAll("+", " ") : "", original);
    if (!QUERY_KEYS.has(key)) {
      throw new UsageError(
        `Unknown URL option ${quote(key)} in ${quote(original)}: use ${[...QUERY_KEYS].join(", ")}`,
      );
    }
    if (params.has(key)) {
      throw new UsageError(`URL option ${quote(key)} given twice in ${quote(original)}: keep one`);
    }
    params.set(key, value);
  }
  return params;
}
