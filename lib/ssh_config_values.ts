/**
 * Values of ssh_config keywords as OpenSSH 9.2 reads and prints them (misc.c, readconf.c):
 * numbers, ports and service names, times, multi-state words, forwards, jump hosts, IP QoS
 * names, log levels. Each returns a sentinel or undefined where OpenSSH reports an error; the
 * caller says where.
 */

import { readTextFileOrUndefined } from "./ssh_config_files.ts";
import { compact } from "./compact.ts";

/** OpenSSH's strtonum: a decimal integer in [min, max], or why not. */
export function strtonum(
  s: string,
  min: number,
  max: number,
): number | "invalid" | "too small" | "too large" {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return "invalid";
  const n = BigInt(m[1]!);
  if (n < BigInt(min)) return "too small";
  if (n > BigInt(max)) return "too large";
  return Number(n);
}

let _services: Map<string, number> | undefined;

/** getservbyname(name, "tcp") from /etc/services. */
export function servicePort(name: string): number | undefined {
  if (!_services) {
    _services = new Map();
    for (const line of (readTextFileOrUndefined("/etc/services") ?? "").split("\n")) {
      const words = line.replace(/#.*/, "").trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(words[1] ?? "");
      if (!m) continue;
      for (const n of [words[0]!, ...words.slice(2)]) {
        if (!_services.has(n)) _services.set(n, Number(m[1]));
      }
    }
  }
  return _services.get(name);
}

/** misc.c a2port: 0-65535 or a TCP service name; -1 when neither. */
export function a2port(s: string): number {
  const n = strtonum(s, 0, 65535);
  if (typeof n === "number") return n;
  return servicePort(s) ?? -1;
}

/** misc.c convtime: `90`, `1m30s`, `2W`... in seconds; -1 when invalid. */
export function convtime(s: string): number {
  const INT_MAX = 2 ** 31 - 1;
  if (!s) return -1;
  let total = 0;
  let p = s;
  while (p) {
    const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(p);
    if (!m) return -1;
    const secs = m[1] === "-" ? -Number(m[2]) : Number(m[2]);
    if (secs < 0 || (m[1] === "-" && m[2]!.replace(/^0+/, "") !== "")) return -1;
    p = p.slice(m[0].length);
    const unit = p[0];
    let mult = 1;
    if (unit !== undefined) {
      const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
      const u = units[unit.toLowerCase()];
      if (u === undefined) return -1;
      mult = u;
      p = p.slice(1);
    }
    if (secs > Math.floor(INT_MAX / mult)) return -1;
    if (total > INT_MAX - secs * mult) return -1;
    total += secs * mult;
  }
  return total;
}

export const TUNID_ANY = 0x7fffffff;
const TUNID_ERR = TUNID_ANY - 1;

/** misc.c a2tun: `N`, `any`, `N:M`; undefined when invalid. */
export function a2tun(s: string): [number, number] | undefined {
  const one = (t: string) => {
    if (t.toLowerCase() === "any") return TUNID_ANY;
    const n = strtonum(t, 0, TUNID_ANY - 2);
    return typeof n === "number" ? n : TUNID_ERR;
  };
  const colon = s.indexOf(":");
  if (colon < 0) {
    const local = one(s);
    return local === TUNID_ERR ? undefined : [local, TUNID_ANY];
  }
  const remote = one(s.slice(colon + 1));
  const local = one(s.slice(0, colon));
  return remote === TUNID_ERR || local === TUNID_ERR ? undefined : [local, remote];
}

const IPQOS: [string, number][] = [
  ["none", 2 ** 31 - 1],
  ["af11", 0x28],
  ["af12", 0x30],
  ["af13", 0x38],
  ["af21", 0x48],
  ["af22", 0x50],
  ["af23", 0x58],
  ["af31", 0x68],
  ["af32", 0x70],
  ["af33", 0x78],
  ["af41", 0x88],
  ["af42", 0x90],
  ["af43", 0x98],
  ["cs0", 0x00],
  ["cs1", 0x20],
  ["cs2", 0x40],
  ["cs3", 0x60],
  ["cs4", 0x80],
  ["cs5", 0xa0],
  ["cs6", 0xc0],
  ["cs7", 0xe0],
  ["ef", 0xb8],
  // glibc's IPTOS_DSCP_LE (netinet/ip.h), which OpenSSH takes over its own 0x01 on Linux.
  ["le", 0x04],
  ["lowdelay", 0x10],
  ["throughput", 0x08],
  ["reliability", 0x04],
];

/** misc.c parse_ipqos: a name or a number 0-255 (C notation); -1 when invalid. */
export function parseIpqos(s: string | undefined): number {
  if (s === undefined) return -1;
  const named = IPQOS.find(([n]) => n === s.toLowerCase());
  if (named) return named[1];
  const v = _strtolBase0(s);
  return v === undefined || v < 0 || v > 255 ? -1 : v;
}

function _strtolBase0(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  const v = /^0[xX]/.test(body)
    ? parseInt(body.slice(2), 16)
    : body.startsWith("0")
    ? parseInt(body, 8)
    : Number(body);
  return m[1] === "-" ? -v : v;
}

/** misc.c iptos2str. */
export function iptos2str(v: number): string {
  return IPQOS.find(([, n]) => n === v)?.[0] ?? `0x${v.toString(16).padStart(2, "0")}`;
}

/** A readconf.c multistate table: the words a keyword takes, first word printed for a value. */
export type Multistate = readonly (readonly [string, number])[];

/**
 * The true/false/yes/no words of a multistate table, true and false first so that they are
 * the words printed (the order of OpenSSH's tables differs, but prints the same).
 */
function _bool(yes: number, no: number): Multistate {
  return [["true", yes], ["false", no], ["yes", yes], ["no", no]];
}

export const FLAG: Multistate = _bool(1, 0);
export const YES_NO_ASK: Multistate = [...FLAG, ["ask", 2]];
export const YES_NO_ASK_CONFIRM: Multistate = [...YES_NO_ASK, ["confirm", 3]];
export const STRICT_HOSTKEY = {
  OFF: 0,
  NEW: 1,
  YES: 2,
  ASK: 3,
  table: [..._bool(2, 0), ["ask", 3], ["off", 0], ["accept-new", 1]] as Multistate,
} as const;
export const ADDRESS_FAMILY: Multistate = [["inet", 2], ["inet6", 10], ["any", 0]];
export const CONTROL_MASTER: Multistate = [...FLAG, ["auto", 2], ["ask", 3], ["autoask", 4]];
// point-to-point before true: it is the word printed for 1.
export const TUNNEL: Multistate = [["ethernet", 2], ["point-to-point", 1], ...FLAG];
export const REQUEST_TTY: Multistate = [..._bool(2, 1), ["force", 3], ["auto", 0]];
export const SESSION_TYPE: Multistate = [["none", 0], ["subsystem", 1], ["default", 2]];
export const CANONICALIZE: Multistate = [...FLAG, ["always", 2]];
export const PUBKEY_AUTH: Multistate = [..._bool(3, 0), ["unbound", 1], ["host-bound", 2]];
/** How a plain flag prints (readconf.c fmt_intarg), and the words Compression takes. */
export const YES_NO: Multistate = [["yes", 1], ["no", 0]];
export const COMPRESSION: Multistate = YES_NO;

/** The value of `word` in a multistate table (case-insensitive); -1 when absent. */
export function multistate(table: Multistate, word: string): number {
  return table.find(([k]) => k === word.toLowerCase())?.[1] ?? -1;
}

/** The word OpenSSH prints for a value: the table's first with it. */
export function multistateName(table: Multistate, value: number): string {
  return table.find(([, v]) => v === value)?.[0] ?? "UNKNOWN";
}

const SCALE = "BKMGTPE";

/** OpenBSD scan_scaled: `1G`, `512K`, `1.5M`, in bytes; undefined when invalid. */
export function scanScaled(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)(?:\.(\d*))?(.*)$/.exec(s);
  if (!m || /^[+-]/.test(m[4]!)) return undefined;
  const [, sign, whole, fract = "", unit] = m;
  if (whole!.length >= 21) return undefined;
  let value = BigInt(whole || "0");
  if (sign === "-") value = -value;
  if (unit === "") return value;
  const i = SCALE.indexOf(unit![0]!.toUpperCase());
  if (i < 0 || /^[A-Za-z0-9]/.test(unit!.slice(1))) return undefined;
  if (unit!.length > 1) return undefined;
  const factor = 1024n ** BigInt(i);
  let f = fract.slice(0, 19);
  let fpart = BigInt(f || "0") * factor;
  while (f.length > 0) {
    fpart /= 10n;
    f = f.slice(1);
  }
  return sign === "-" ? value * factor - fpart : value * factor + fpart;
}

const LOG_LEVELS: [string, number][] = [
  ["QUIET", 0],
  ["FATAL", 1],
  ["ERROR", 2],
  ["INFO", 3],
  ["VERBOSE", 4],
  ["DEBUG", 5],
  ["DEBUG1", 5],
  ["DEBUG2", 6],
  ["DEBUG3", 7],
];
export const LOG_INFO = 3;

export function logLevelNumber(s: string | undefined): number {
  return LOG_LEVELS.find(([n]) => n === s?.toUpperCase())?.[1] ?? -1;
}

/** As ssh -G prints a level: QUIET is SILENT there (log.c's name for it). */
export function logLevelName(v: number): string {
  if (v === 0) return "SILENT";
  return LOG_LEVELS.find(([, n]) => n === v)?.[0] ?? "UNKNOWN";
}

const LOG_FACILITIES = [
  "DAEMON",
  "USER",
  "AUTH",
  "AUTHPRIV",
  "LOCAL0",
  "LOCAL1",
  "LOCAL2",
  "LOCAL3",
  "LOCAL4",
  "LOCAL5",
  "LOCAL6",
  "LOCAL7",
];
export const LOG_USER = 1;

export function logFacilityNumber(s: string | undefined): number {
  return s === undefined ? -1 : LOG_FACILITIES.indexOf(s.toUpperCase());
}

export function logFacilityName(v: number): string {
  return LOG_FACILITIES[v] ?? "UNKNOWN";
}

const DIGESTS = ["MD5", "SHA1", "SHA256", "SHA384", "SHA512"];
export const DIGEST_SHA256 = 2;

export function digestNumber(s: string): number {
  return DIGESTS.indexOf(s.toUpperCase());
}

export function digestName(v: number): string {
  return DIGESTS[v] ?? "UNKNOWN";
}

/** misc.c valid_domain: the name lower-cased (if asked) without a trailing dot, or why not. */
export function validDomain(
  name: string,
  makeLower: boolean,
): { ok: true; name: string } | { ok: false; error: string } {
  if (!name) return { ok: false, error: "empty domain name" };
  if (!/^[A-Za-z0-9]/.test(name)) {
    return { ok: false, error: `domain name "${name}" starts with invalid character` };
  }
  if (name.includes("..")) {
    return { ok: false, error: `domain name "${name}" contains consecutive separators` };
  }
  if (!/^[A-Za-z0-9._-]*$/.test(name)) {
    return { ok: false, error: `domain name "${name}" contains invalid characters` };
  }
  let out = makeLower ? name.toLowerCase() : name;
  if (out.endsWith(".")) out = out.slice(0, -1);
  return { ok: true, name: out };
}

/** misc.c valid_env_name. */
export function validEnvName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** One LocalForward, RemoteForward or DynamicForward (misc.h struct Forward). */
export interface Forward {
  readonly listenHost?: string;
  readonly listenPort: number;
  readonly listenPath?: string;
  readonly connectHost?: string;
  readonly connectPort: number;
  readonly connectPath?: string;
}

export const PORT_STREAMLOCAL = -2;

/** readconf.c parse_fwd_field: one field of a forward, `[...]` taken literally. */
function _fwdField(s: string): { arg: string; ispath: boolean; rest: string | null } | undefined {
  if (s === "") return undefined;
  if (s[0] === "[") {
    const close = s.indexOf("]");
    if (close < 0) return undefined;
    const after = s[close + 1];
    if (after !== ":" && after !== undefined) return undefined;
    const arg = s.slice(1, close);
    return { arg, ispath: arg.includes("/"), rest: s.slice(close + (after === ":" ? 2 : 1)) };
  }
  let arg = "";
  let ispath = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\") {
      if (i + 1 >= s.length) return undefined;
      arg += s[++i];
    } else if (ch === ":") {
      return { arg, ispath, rest: s.slice(i + 1) };
    } else {
      if (ch === "/") ispath = true;
      arg += ch;
    }
  }
  return { arg, ispath, rest: "" };
}

/**
 * readconf.c parse_forward: `[host:]port:host:port`, socket paths, or (dynamic) `[host:]port`.
 * `spec` has had its ${VAR}s expanded. Undefined when invalid.
 */
export function parseForward(spec: string, dynamic: boolean, remote: boolean): Forward | undefined {
  let cp: string | null = spec.replace(/^[ \t\n\v\f\r]+/, "");
  const f: { arg: string; ispath: boolean }[] = [];
  for (let i = 0; i < 4; i++) {
    if (cp === null) break;
    const field = _fwdField(cp);
    if (!field) {
      cp = null;
      break;
    }
    f.push(field);
    cp = field.rest;
  }
  let n = f.length;
  if (cp !== null && cp !== "") n = 0;
  let fwd: { -readonly [K in keyof Forward]: Forward[K] } | undefined;
  const [a, b, c, d] = f;
  switch (n) {
    case 1:
      fwd = a!.ispath
        ? { listenPath: a!.arg, listenPort: PORT_STREAMLOCAL, connectHost: "socks", connectPort: 0 }
        : { listenPort: a2port(a!.arg), connectHost: "socks", connectPort: 0 };
      break;
    case 2:
      if (a!.ispath && b!.ispath) {
        fwd = {
          listenPath: a!.arg,
          listenPort: PORT_STREAMLOCAL,
          connectPath: b!.arg,
          connectPort: PORT_STREAMLOCAL,
        };
      } else if (b!.ispath) {
        fwd = { listenPort: a2port(a!.arg), connectPath: b!.arg, connectPort: PORT_STREAMLOCAL };
      } else {
        fwd = {
          listenHost: a!.arg,
          listenPort: a2port(b!.arg),
          connectHost: "socks",
          connectPort: 0,
        };
      }
      break;
    case 3:
      if (a!.ispath) {
        fwd = {
          listenPath: a!.arg,
          listenPort: PORT_STREAMLOCAL,
          connectHost: b!.arg,
          connectPort: a2port(c!.arg),
        };
      } else if (c!.ispath) {
        fwd = {
          listenHost: a!.arg,
          listenPort: a2port(b!.arg),
          connectPath: c!.arg,
          connectPort: PORT_STREAMLOCAL,
        };
      } else {
        fwd = { listenPort: a2port(a!.arg), connectHost: b!.arg, connectPort: a2port(c!.arg) };
      }
      break;
    case 4:
      fwd = {
        listenHost: a!.arg,
        listenPort: a2port(b!.arg),
        connectHost: c!.arg,
        connectPort: a2port(d!.arg),
      };
      break;
    default:
      return undefined;
  }
  if (dynamic) {
    if (!(n === 1 || n === 2)) return undefined;
  } else {
    if (!(n === 3 || n === 4) && fwd.connectPath === undefined && fwd.listenPath === undefined) {
      return undefined;
    }
    if (fwd.connectPort <= 0 && fwd.connectPath === undefined) return undefined;
  }
  if ((fwd.listenPort < 0 && fwd.listenPath === undefined) || (!remote && fwd.listenPort === 0)) {
    return undefined;
  }
  if ((fwd.connectHost?.length ?? 0) >= 1025 || (fwd.listenHost?.length ?? 0) >= 1025) {
    return undefined;
  }
  if ((fwd.connectPath?.length ?? 0) >= 108 || (fwd.listenPath?.length ?? 0) >= 108) {
    return undefined;
  }
  return fwd;
}

/** misc.c forward_equals. */
export function forwardEquals(a: Forward, b: Forward): boolean {
  return a.listenHost === b.listenHost && a.listenPort === b.listenPort &&
    a.listenPath === b.listenPath && a.connectHost === b.connectHost &&
    a.connectPort === b.connectPort && a.connectPath === b.connectPath;
}

/** A jump host: user, host and port (-1: unset). */
export interface Hop {
  readonly user?: string;
  readonly host: string;
  readonly port: number;
}

/** misc.c hpdelim2: a host (maybe `[...]`) up to `:` or `/`. */
function _hpdelim(s: string): { host: string; delim: string; rest: string | null } | undefined {
  let end: number;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return undefined;
    end = close + 1;
  } else {
    end = s.search(/[:/]/);
    if (end < 0) end = s.length;
  }
  const ch = s[end];
  if (ch === undefined) return { host: s, delim: "", rest: null };
  if (ch === ":" || ch === "/") return { host: s.slice(0, end), delim: ch, rest: s.slice(end + 1) };
  return undefined;
}

function _cleanHost(h: string): string {
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/** misc.c parse_user_host_port: `[user@]host[:port]`. */
export function parseUserHostPort(s: string): Hop | undefined {
  let tmp = s;
  let user: string | undefined;
  const at = tmp.lastIndexOf("@");
  if (at >= 0) {
    if (at === 0) return undefined;
    user = tmp.slice(0, at);
    tmp = tmp.slice(at + 1);
  }
  const hp = _hpdelim(tmp);
  if (!hp || hp.delim === "/" || hp.host === "") return undefined;
  let port = -1;
  if (hp.rest !== null && hp.rest !== "") {
    port = a2port(hp.rest);
    if (port <= 0) return undefined;
  }
  return compact({ user, host: _cleanHost(hp.host), port });
}

/** misc.c parse_uri("ssh", ...): "not a URI", "invalid", or the parts (no path allowed). */
export function parseSshUri(s: string): "not-uri" | "invalid" | Hop {
  if (!s.startsWith("ssh://")) return "not-uri";
  let tmp = s.slice(6);
  let user: string | undefined;
  const at = tmp.indexOf("@");
  if (at >= 0) {
    let info = tmp.slice(0, at);
    const semi = info.indexOf(";");
    if (semi >= 0) info = info.slice(0, semi);
    if (info === "") return "invalid";
    const decoded = _urldecode(info);
    if (decoded === undefined) return "invalid";
    user = decoded;
    tmp = tmp.slice(at + 1);
  }
  const hp = _hpdelim(tmp);
  if (!hp || hp.host === "") return "invalid";
  const host = _cleanHost(hp.host);
  if (!validDomain(host, false).ok) return "invalid";
  let port = -1;
  let rest = hp.rest;
  if (rest !== null && rest !== "") {
    if (hp.delim === ":") {
      const slash = rest.indexOf("/");
      port = a2port(slash >= 0 ? rest.slice(0, slash) : rest);
      if (port <= 0) return "invalid";
      rest = slash >= 0 ? rest.slice(slash + 1) : null;
    }
    if (rest !== null && rest !== "") return "invalid"; // a path
  }
  return compact({ user, host, port });
}

function _urldecode(s: string): string | undefined {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "+") out += " ";
    else if (s[i] === "%") {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) return undefined;
      const ch = parseInt(s.slice(i + 1, i + 3), 16);
      if (ch === 0) return undefined;
      out += String.fromCharCode(ch);
      i += 2;
    } else out += s[i];
  }
  return out;
}

/**
 * readconf.c parse_jump (as in OpenSSH 10.3, which Debian's 9.2p1 security updates carry):
 * `none`, or hops `[user@]host[:port]` or `ssh://...`, the last one (ssh's first hop)
 * returned apart from the ones before it. With `strict` (-J, -o ProxyJump), host and user
 * names may not hold shell characters. Undefined when a hop is invalid.
 */
export function parseJump(
  s: string,
  strict: boolean,
): { none: true } | { none: false; hop: Hop; extra?: string } | undefined {
  if (s.toLowerCase() === "none") return { none: true };
  let orig = s;
  const hash = orig.indexOf("#");
  if (hash >= 0) orig = orig.slice(0, hash);
  orig = orig.replace(/[ \t\r\n]+$/, "");
  const parts = orig.split(",");
  let last: Hop | undefined;
  for (let i = parts.length - 1; i >= 0; i--) {
    const hop = parseJumpHop(parts[i]!, strict);
    if (!hop) return undefined;
    if (i === parts.length - 1) last = hop;
  }
  const comma = orig.lastIndexOf(",");
  return { none: false, hop: last!, ...(comma >= 0 ? { extra: orig.slice(0, comma) } : {}) };
}

/**
 * One hop of a jump list, as parse_jump reads each: `ssh://...` or `[user@]host[:port]`, the
 * port 1-65535 or a service name. `strict` as for parseJump. Undefined when invalid.
 */
export function parseJumpHop(part: string, strict: boolean): Hop | undefined {
  const uri = parseSshUri(part);
  const hop = uri === "not-uri" ? parseUserHostPort(part) : uri === "invalid" ? undefined : uri;
  if (!hop) return undefined;
  if (strict && (!validHostname(hop.host) || (hop.user !== undefined && !validUser(hop.user)))) {
    return undefined;
  }
  return hop;
}

/** ssh_valid_hostname: no shell characters, white space, control characters or leading `-`. */
export function validHostname(s: string): boolean {
  return !s.startsWith("-") && !/['`"$\\;&<>|(){},\s]/.test(s) && !_hasControl(s);
}

/** ssh_valid_ruser: no shell characters, no ` -`, no trailing backslash, no control characters. */
export function validUser(s: string): boolean {
  return !s.startsWith("-") && !/['`";&<>|(){}]/.test(s) && !_hasControl(s) && !/\s-/.test(s) &&
    !s.endsWith("\\");
}

function _hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The vis(3) VIS_WHITE form of an escape character, as ssh -G prints it. */
export function visChar(code: number): string {
  if (code === 0x20) return "\\040";
  if (code === 0x09) return "\\^I";
  if (code === 0x0a) return "\\^J";
  if (code < 0x20) return `\\^${String.fromCharCode(code + 64)}`;
  if (code === 0x7f) return "\\^?";
  if (code === 0x5c) return "\\\\";
  if (code >= 0x80) {
    const low = code & 0x7f;
    return `\\M${
      low < 0x20 ? `^${String.fromCharCode(low + 64)}` : `-${String.fromCharCode(low)}`
    }`;
  }
  return String.fromCharCode(code);
}
