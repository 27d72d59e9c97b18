/**
 * The OpenSSH client configuration, as the native client uses it: `-o` options, then
 * `~/.ssh/config`, then `/etc/ssh/ssh_config` (or only `-F FILE`); first value wins; defaults
 * filled last (OpenSSH's readconf.c). `formatSshConfig` prints the result like `ssh -G`.
 */

import { SockhopError } from "./errors.ts";
import * as platform from "./platform_paths.ts";
import { splitShellWords } from "./shell_words.ts";
import { matchGlob, matchPatternList } from "./ssh_config_match.ts";

export type StrictHostKeyChecking = "yes" | "no" | "ask" | "accept-new";

/** The effective settings for one destination. */
export interface SshConfig {
  readonly host: string;
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  readonly identityAgent: string;
  readonly proxyJump: readonly string[];
  readonly proxyCommand: string;
  readonly userKnownHostsFiles: readonly string[];
  readonly globalKnownHostsFiles: readonly string[];
  readonly strictHostKeyChecking: StrictHostKeyChecking;
  readonly hashKnownHosts: boolean;
  /** The name known_hosts records this host under instead of its own; "" for none. */
  readonly hostKeyAlias: string;
  readonly batchMode: boolean;
  readonly connectTimeout: number;
  readonly serverAliveInterval: number;
  readonly serverAliveCountMax: number;
  readonly preferredAuthentications: readonly string[];
  readonly passwordAuthentication: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly pubkeyAuthentication: boolean;
  readonly numberOfPasswordPrompts: number;
  readonly ciphers: string;
  readonly kexAlgorithms: string;
  readonly hostKeyAlgorithms: string;
  readonly macs: string;
  readonly controlMaster: string;
  readonly controlPath: string;
  readonly controlPersist: string;
  readonly pkcs11Provider: string;
  readonly certificateFiles: readonly string[];
  readonly forwardAgent: boolean;
}

/** A keyword the native client does not act on, and where it was set. */
export interface Unsupported {
  readonly keyword: string;
  readonly where: string;
}

export interface ResolveInput {
  /** The host as the user typed it (an alias, maybe). */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** `-o Key=value` options; they win over every file. */
  readonly options?: readonly string[];
  /** `-F FILE`: read only this file. `none` reads none. */
  readonly configFile?: string;
  readonly readFile?: (path: string) => string | undefined;
  readonly env?: { readonly home: string; readonly localUser: string; readonly localHost?: string };
}

export interface Resolved {
  readonly config: SshConfig;
  readonly unsupported: readonly Unsupported[];
  readonly filesRead: readonly string[];
}

type Raw = Map<string, { values: string[]; where: string }>;

const ACCUMULATE = new Set([
  "identityfile",
  "certificatefile",
  "localforward",
  "remoteforward",
  "sendenv",
]);
/** Keywords we read; any other is recorded as unsupported. */
const KNOWN = new Set([
  "hostname",
  "user",
  "port",
  "identityfile",
  "identitiesonly",
  "identityagent",
  "proxyjump",
  "proxycommand",
  "userknownhostsfile",
  "globalknownhostsfile",
  "stricthostkeychecking",
  "hashknownhosts",
  "hostkeyalias",
  "batchmode",
  "connecttimeout",
  "serveraliveinterval",
  "serveralivecountmax",
  "preferredauthentications",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "challengeresponseauthentication",
  "pubkeyauthentication",
  "numberofpasswordprompts",
  "ciphers",
  "kexalgorithms",
  "hostkeyalgorithms",
  "macs",
  "controlmaster",
  "controlpath",
  "controlpersist",
  "pkcs11provider",
  "certificatefile",
  "forwardagent",
  "addkeystoagent",
]);
/** Keywords that change nothing for a stream to one session; read without a notice. */
const HARMLESS = new Set([
  "forwardx11",
  "forwardx11trusted",
  "compression",
  "loglevel",
  "visualhostkey",
  "sendenv",
  "setenv",
  "requesttty",
  "tcpkeepalive",
  "addressfamily",
  "checkhostip",
  "updatehostkeys",
  "gssapiauthentication",
  "gssapidelegatecredentials",
  "escapechar",
  "usekeychain",
  "ignoreunknown",
  "exitonforwardfailure",
  "localforward",
  "remoteforward",
  "dynamicforward",
  "permitlocalcommand",
  "localcommand",
  "hashknownhosts",
]);

/** Read and resolve the configuration for `input.host`. */
export function resolveSshConfig(input: ResolveInput): Resolved {
  const env = input.env ?? defaultEnv();
  const readFile = input.readFile ?? readTextFileOrUndefined;
  const raw: Raw = new Map();
  const unsupported: Unsupported[] = [];
  const filesRead: string[] = [];
  const state: _State = {
    raw,
    unsupported,
    filesRead,
    host: input.host,
    env,
    readFile,
    depth: 0,
    active: true,
  };
  if (input.user) raw.set("user", { values: [input.user], where: "command line" });
  if (input.port !== undefined) {
    raw.set("port", { values: [String(input.port)], where: "command line" });
  }
  (input.options ?? []).forEach((line, i) => _line(state, line, `-o option ${i + 1}`, true));
  if (input.configFile !== undefined) {
    if (input.configFile !== "none") {
      _file(state, _expandTilde(input.configFile, env.home), true, "user");
    }
  } else {
    _file(state, `${env.home}/.ssh/config`, false, "user");
    _file(state, platform.systemSshConfig(), false, "system");
  }
  return { config: _fill(raw, input.host, env), unsupported, filesRead };
}

interface _State {
  raw: Raw;
  unsupported: Unsupported[];
  filesRead: string[];
  host: string;
  env: { home: string; localUser: string; localHost?: string };
  readFile: (path: string) => string | undefined;
  depth: number;
  active: boolean;
}

function _file(state: _State, path: string, required: boolean, kind: "user" | "system") {
  const text = state.readFile(path);
  if (text === undefined) {
    if (required) {
      throw new SockhopError(`Cannot read ssh config ${path}: check the -F path`, "usage-config");
    }
    return;
  }
  state.filesRead.push(path);
  const saved = state.active;
  state.active = true;
  text.split(/\r?\n/).forEach((line, i) =>
    _line(state, line, `${path} line ${i + 1}`, false, kind)
  );
  state.active = saved;
}

function _line(
  state: _State,
  text: string,
  where: string,
  option: boolean,
  kind: "user" | "system" = "user",
) {
  const line = text.trim();
  if (!line || line.startsWith("#")) return;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) {
    throw new SockhopError(
      `Bad line in ${where}: ${JSON.stringify(line)}: write Keyword value`,
      "usage-config",
    );
  }
  const keyword = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  if (keyword === "host") {
    if (option) throw new SockhopError(`Host is not allowed in ${where}`, "usage-config");
    state.active = matchPatternList(_words(rest, where), state.host);
    return;
  }
  if (keyword === "match") {
    if (option) throw new SockhopError(`Match is not allowed in ${where}`, "usage-config");
    state.active = _match(state, _words(rest, where), where);
    return;
  }
  if (keyword === "include") {
    if (!state.active) return;
    if (state.depth >= 16) {
      throw new SockhopError(`Include nested too deeply at ${where}`, "usage-config");
    }
    for (const pattern of _words(rest, where)) {
      const base = kind === "user" ? `${state.env.home}/.ssh` : platform.systemSshDir();
      const path = _expandTilde(pattern, state.env.home);
      for (const file of _glob(platform.isAbsolutePath(path) ? path : `${base}/${path}`)) {
        state.depth++;
        _file(state, file, false, kind);
        state.depth--;
      }
    }
    return;
  }
  if (!state.active) return;
  if (!KNOWN.has(keyword)) {
    if (!HARMLESS.has(keyword)) state.unsupported.push({ keyword: m[1]!, where });
    return;
  }
  const values = keyword === "proxycommand" ? [rest] : _words(rest, where);
  if (!values.length) throw new SockhopError(`${m[1]} needs a value in ${where}`, "usage-config");
  const name = keyword === "challengeresponseauthentication"
    ? "kbdinteractiveauthentication"
    : keyword;
  _validate(name, values, where);
  const had = state.raw.get(name);
  if (ACCUMULATE.has(name)) {
    if (had) had.values.push(...values);
    else state.raw.set(name, { values: [...values], where });
  } else if (!had) {
    state.raw.set(name, { values, where });
  }
}

function _words(text: string, where: string): string[] {
  try {
    return splitShellWords(text);
  } catch (err) {
    throw new SockhopError(`Bad quoting in ${where}: ${(err as Error).message}`, "usage-config");
  }
}

function _match(state: _State, words: string[], where: string): boolean {
  let result = true;
  for (let i = 0; i < words.length; i++) {
    let criterion = words[i]!.toLowerCase();
    const negate = criterion.startsWith("!");
    if (negate) criterion = criterion.slice(1);
    if (criterion === "all") continue;
    if (criterion === "canonical" || criterion === "final") {
      state.unsupported.push({ keyword: `Match ${criterion}`, where });
      return false;
    }
    const arg = words[++i];
    if (arg === undefined) {
      throw new SockhopError(`Match ${criterion} needs an argument in ${where}`, "usage-config");
    }
    const patterns = arg.split(",");
    let ok: boolean;
    switch (criterion) {
      case "host":
        ok = matchPatternList(patterns, state.raw.get("hostname")?.values[0] ?? state.host);
        break;
      case "originalhost":
        ok = matchPatternList(patterns, state.host);
        break;
      case "user":
        ok = matchPatternList(patterns, state.raw.get("user")?.values[0] ?? state.env.localUser);
        break;
      case "localuser":
        ok = matchPatternList(patterns, state.env.localUser);
        break;
      case "exec":
        state.unsupported.push({ keyword: "Match exec", where });
        return false;
      default:
        throw new SockhopError(
          `Unknown Match criterion ${JSON.stringify(criterion)} in ${where}`,
          "usage-config",
        );
    }
    if (ok === negate) result = false;
  }
  return result;
}

const YES_NO = new Set([
  "identitiesonly",
  "hashknownhosts",
  "batchmode",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "pubkeyauthentication",
  "forwardagent",
]);

function _validate(keyword: string, values: string[], where: string) {
  const v = values[0]!.toLowerCase();
  const bad = (allowed: string) =>
    new SockhopError(
      `Bad value ${JSON.stringify(values[0])} for ${keyword} in ${where}: use ${allowed}`,
      "usage-config",
    );
  if (YES_NO.has(keyword) && v !== "yes" && v !== "no") {
    if (!(keyword === "forwardagent" && (v.startsWith("/") || v.startsWith("$")))) {
      throw bad("yes or no");
    }
  }
  if (
    keyword === "stricthostkeychecking" && !["yes", "no", "ask", "accept-new", "off"].includes(v)
  ) {
    throw bad("yes, no, ask or accept-new");
  }
  if (
    keyword === "port" && !/^\d+$/.test(v) ||
    keyword === "port" && (Number(v) < 1 || Number(v) > 65535)
  ) {
    throw bad("a port number 1-65535");
  }
  if (
    ["connecttimeout", "serveraliveinterval", "serveralivecountmax", "numberofpasswordprompts"]
      .includes(keyword) &&
    !/^\d+$/.test(v)
  ) throw bad("a whole number");
}

function _fill(
  raw: Raw,
  host: string,
  env: { home: string; localUser: string; localHost?: string },
): SshConfig {
  const get = (k: string) => raw.get(k)?.values;
  const one = (k: string) => get(k)?.[0];
  const yes = (k: string, d: boolean) => (one(k) ? one(k)!.toLowerCase() === "yes" : d);
  const num = (k: string, d: number) => (one(k) !== undefined ? Number(one(k)) : d);
  const port = num("port", 22);
  const user = one("user") ?? env.localUser;
  const hostName = (one("hostname") ?? host).replaceAll("%h", host).replaceAll("%%", "%");
  const tokens = (s: string) =>
    _expandTilde(s, env.home).replace(/%([%dhpru nlC])/g, (all, t: string) => {
      switch (t) {
        case "%":
          return "%";
        case "d":
          return env.home;
        case "h":
          return hostName;
        case "p":
          return String(port);
        case "r":
          return user;
        case "u":
          return env.localUser;
        case "n":
          return host;
        case "l":
          return env.localHost ?? "";
        default:
          return all;
      }
    });
  const none = (v: string[] | undefined) => (v && v[0]?.toLowerCase() === "none" ? [] : v);
  const strict = (one("stricthostkeychecking") ?? "ask").toLowerCase();
  const identityAgent = one("identityagent") ?? "SSH_AUTH_SOCK";
  return Object.freeze({
    host,
    hostName,
    user,
    port,
    identityFiles: Object.freeze((get("identityfile") ?? []).map(tokens)),
    identitiesOnly: yes("identitiesonly", false),
    identityAgent:
      identityAgent === "SSH_AUTH_SOCK" || identityAgent === "none" || identityAgent.startsWith("$")
        ? identityAgent
        : tokens(identityAgent),
    proxyJump: Object.freeze(
      (none(get("proxyjump")) ?? []).flatMap((v) => v.split(",")).filter(Boolean),
    ),
    proxyCommand: one("proxycommand") && one("proxycommand")!.toLowerCase() !== "none"
      ? one("proxycommand")!
      : "",
    userKnownHostsFiles: Object.freeze(
      (none(get("userknownhostsfile")) ?? ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]).map(
        tokens,
      ),
    ),
    globalKnownHostsFiles: Object.freeze(
      (none(get("globalknownhostsfile")) ??
        platform.systemKnownHostsFiles()).map(tokens),
    ),
    strictHostKeyChecking: (strict === "off" ? "no" : strict) as StrictHostKeyChecking,
    hashKnownHosts: yes("hashknownhosts", false),
    hostKeyAlias: one("hostkeyalias") ?? "",
    batchMode: yes("batchmode", false),
    connectTimeout: num("connecttimeout", 0),
    serverAliveInterval: num("serveraliveinterval", 0),
    serverAliveCountMax: num("serveralivecountmax", 3),
    preferredAuthentications: Object.freeze(
      (one("preferredauthentications") ?? "publickey,keyboard-interactive,password").split(",")
        .filter(Boolean),
    ),
    passwordAuthentication: yes("passwordauthentication", true),
    kbdInteractiveAuthentication: yes("kbdinteractiveauthentication", true),
    pubkeyAuthentication: yes("pubkeyauthentication", true),
    numberOfPasswordPrompts: num("numberofpasswordprompts", 3),
    ciphers: one("ciphers") ?? "",
    kexAlgorithms: one("kexalgorithms") ?? "",
    hostKeyAlgorithms: one("hostkeyalgorithms") ?? "",
    macs: one("macs") ?? "",
    controlMaster: (one("controlmaster") ?? "no").toLowerCase(),
    controlPath: one("controlpath") && one("controlpath")!.toLowerCase() !== "none"
      ? tokens(one("controlpath")!)
      : "",
    controlPersist: one("controlpersist") ?? "",
    pkcs11Provider: one("pkcs11provider") && one("pkcs11provider")!.toLowerCase() !== "none"
      ? one("pkcs11provider")!
      : "",
    certificateFiles: Object.freeze((get("certificatefile") ?? []).map(tokens)),
    forwardAgent: yes("forwardagent", false),
  });
}

/** Why the native client cannot honour this config (so auto picks openssh), if it cannot. */
export function nativeUnsupportedReason(config: SshConfig): string | undefined {
  if (config.proxyCommand) {
    return `ProxyCommand ${config.proxyCommand} (the native client cannot run it)`;
  }
  if (config.controlMaster !== "no") {
    return `ControlMaster ${config.controlMaster} (connection sharing)`;
  }
  if (config.pkcs11Provider) return `PKCS11Provider ${config.pkcs11Provider}`;
  if (config.certificateFiles.length) {
    return `CertificateFile ${config.certificateFiles[0]} (certificates)`;
  }
  return undefined;
}

const PRINT_ORDER: [keyof SshConfig, string][] = [
  ["hostName", "hostname"],
  ["user", "user"],
  ["port", "port"],
  ["identityFiles", "identityfile"],
  ["identitiesOnly", "identitiesonly"],
  ["identityAgent", "identityagent"],
  ["proxyJump", "proxyjump"],
  ["proxyCommand", "proxycommand"],
  ["userKnownHostsFiles", "userknownhostsfile"],
  ["globalKnownHostsFiles", "globalknownhostsfile"],
  ["strictHostKeyChecking", "stricthostkeychecking"],
  ["hashKnownHosts", "hashknownhosts"],
  ["hostKeyAlias", "hostkeyalias"],
  ["batchMode", "batchmode"],
  ["connectTimeout", "connecttimeout"],
  ["serverAliveInterval", "serveraliveinterval"],
  ["serverAliveCountMax", "serveralivecountmax"],
  ["preferredAuthentications", "preferredauthentications"],
  ["passwordAuthentication", "passwordauthentication"],
  ["kbdInteractiveAuthentication", "kbdinteractiveauthentication"],
  ["pubkeyAuthentication", "pubkeyauthentication"],
  ["numberOfPasswordPrompts", "numberofpasswordprompts"],
  ["ciphers", "ciphers"],
  ["kexAlgorithms", "kexalgorithms"],
  ["hostKeyAlgorithms", "hostkeyalgorithms"],
  ["macs", "macs"],
  ["controlMaster", "controlmaster"],
  ["controlPath", "controlpath"],
  ["controlPersist", "controlpersist"],
  ["pkcs11Provider", "pkcs11provider"],
  ["certificateFiles", "certificatefile"],
  ["forwardAgent", "forwardagent"],
];

/** The effective settings, one `keyword value` per line, like `ssh -G`. */
export function formatSshConfig(config: SshConfig): string {
  const lines: string[] = [];
  const q = (
    s: string,
  ) => (s === "" || /[\s"'\\#]/.test(s) ? `"${s.replace(/(["\\])/g, "\\$1")}"` : s);
  for (const [key, keyword] of PRINT_ORDER) {
    const value = config[key];
    if (Array.isArray(value)) {
      if (keyword === "identityfile" || keyword === "certificatefile") {
        for (const v of value) lines.push(`${keyword} ${q(v)}`);
      } else if (keyword === "userknownhostsfile" || keyword === "globalknownhostsfile") {
        lines.push(`${keyword} ${value.length ? value.map(q).join(" ") : "none"}`);
      } else {
        lines.push(`${keyword} ${value.length ? value.join(",") : "none"}`);
      }
    } else if (typeof value === "boolean") {
      lines.push(`${keyword} ${value ? "yes" : "no"}`);
    } else if (value === "") {
      continue; // unset: the built-in default applies
    } else {
      lines.push(`${keyword} ${keyword === "proxycommand" ? value : q(String(value))}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Resolve a config from `formatSshConfig`'s text alone (for the round-trip check). */
export function parseSshConfigText(text: string, host: string, env = defaultEnv()): SshConfig {
  return resolveSshConfig({ host, configFile: "/printed", readFile: () => text, env }).config;
}

function _expandTilde(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? home + path.slice(1) : path;
}

function _glob(path: string): string[] {
  const [dir, name] = [platform.parentDir(path), platform.baseName(path)];
  if (!/[*?]/.test(name)) return [path];
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => matchGlob(name, n)).sort()
      .map((n) => platform.joinPath([dir, n]));
  } catch {
    return [];
  }
}

/** This user's home and name, from the environment. */
export function defaultEnv(): { home: string; localUser: string; localHost: string } {
  const home = platform.homeDir(Deno.env);
  const localUser = Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? Deno.env.get("LOGNAME") ??
    (Deno.uid() === 0 ? "root" : "");
  return { home, localUser, localHost: Deno.hostname() };
}

/** Read a text file; undefined when it does not exist. */
export function readTextFileOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new SockhopError(`Cannot read ${path}: ${(err as Error).message}`, "usage-config", {
      cause: err,
    });
  }
}
