/**
 * The OpenSSH client configuration, as OpenSSH 9.2 reads it (readconf.c, ssh.c): the command
 * line (-l, -p, then -o), then `~/.ssh/config`, then `/etc/ssh/ssh_config` (or only `-F FILE`),
 * `Host`, `Match` and `Include`; the first value wins; a final pass when `Match final` or
 * CanonicalizeHostname asks for one; defaults filled last. `formatSshConfig` prints the result
 * as `ssh -G` does; tests/ssh_config_diff_test.ts holds it against the real `ssh -G`.
 */

import { localEnv } from "./env.ts";
import * as platform from "./platform_paths.ts";
import { UsageError } from "./errors.ts";
import { type NamedFile, newOptions, type Options } from "./ssh_config_options.ts";
import {
  type ConfigFs,
  functionFs,
  passwdHome,
  readTextFileOrUndefined,
  REAL_FS,
} from "./ssh_config_files.ts";
import { clientTokens, expandTilde, expandTokens } from "./ssh_config_expand.ts";
import { ALL, DEFAULTS } from "./ssh_config_algorithms.ts";
import { LOG_INFO, STRICT_HOSTKEY, validHostname, validUser } from "./ssh_config_values.ts";
import { type PrintedOption, printOptions } from "./ssh_config_print.ts";
import { type NativeGap, nativeGaps } from "./ssh_config_native.ts";
import {
  type ConfigReader,
  expandIn,
  readConfigs,
  tildeIn,
  type Unsupported,
} from "./ssh_config_read.ts";
import { assembleList, fillDefaults, fillForCanonicalization } from "./ssh_config_defaults.ts";
import { canonicalizeName, connectName } from "./ssh_config_host.ts";
import { compact } from "./compact.ts";
import { type CommandLineArg, readCommandLine } from "./ssh_config_cmdline.ts";

export { readTextFileOrUndefined };
export type { NativeGap, Unsupported };

export type StrictHostKeyChecking = "yes" | "no" | "ask" | "accept-new";

/** The effective settings for one destination. */
export interface SshConfig {
  /** The host as given. */
  readonly host: string;
  /** The host connected to: HostName with %h expanded, lower-cased unless an address. */
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  /** ProxyJump hops, first to last, as `[user@]host[:port]`. */
  readonly proxyJump: readonly string[];
  readonly proxyCommand: string;
  readonly batchMode: boolean;
  /** Seconds; 0: no limit. */
  readonly connectTimeout: number;
  /**
   * ServerAliveInterval (seconds) and ServerAliveCountMax, and which of them a config file
   * or -o set (the others are defaults, which `forward` replaces with its own).
   */
  readonly keepalive: {
    readonly interval: number;
    readonly countMax: number;
    readonly set: { readonly interval: boolean; readonly countMax: boolean };
  };
  readonly knownHosts: KnownHostsConfig;
  readonly auth: AuthConfig;
  readonly algorithms: AlgorithmsConfig;
  /** Options only ssh can honour (see lib/ssh_config_native.ts). */
  readonly nativeGaps: readonly NativeGap[];
  /** What a login session asks for (sockhop ssh): tty, environment, agent, forwards. */
  readonly session: SessionConfig;
  /** Every option as `ssh -G` prints it. */
  readonly printed: readonly PrintedOption[];
}

/** The session-level options, as `sockhop ssh` acts on them. */
export interface SessionConfig {
  /** RequestTTY: auto (a tty for a login shell on a terminal), no, yes, force. */
  readonly requestTty: "auto" | "no" | "yes" | "force";
  /** SessionType: default (a command or shell), none (-N), subsystem (-s). */
  readonly sessionType: "default" | "none" | "subsystem";
  readonly remoteCommand?: string;
  /** SendEnv patterns (`!` negates), in order. */
  readonly sendEnv: readonly string[];
  /** SetEnv entries, `NAME=value`. */
  readonly setEnv: readonly string[];
  /** ForwardAgent: none, or the agent socket (`SSH_AUTH_SOCK`, `$VAR` or a path). */
  readonly forwardAgent?: string;
  readonly stdinNull: boolean;
  readonly compression: boolean;
  /** AddressFamily. */
  readonly family: "any" | "inet" | "inet6";
  /** LogLevel, as a number: 0 QUIET ... 3 INFO ... 5-7 DEBUG1-3. */
  readonly logLevel: number;
  /** EscapeChar's code; undefined for none. */
  readonly escapeChar?: number;
  /** ControlMaster as set ("no" when unset), and ControlPath. */
  readonly controlMaster: string;
  readonly controlPath?: string;
  /** What only ssh does that this config asks for, as ssh_config keywords (forwards, X11, tunnels). */
  readonly unsupported: readonly string[];
}

/** A command-line setting, in the order given: an `-o` line or a flag applied as ssh.c does. */
export type CommandLineSetting = CommandLineArg | { readonly apply: (o: Options) => void };

/** How the server's host key is checked and recorded. */
export interface KnownHostsConfig {
  /** UserKnownHostsFile, ~ and tokens expanded; the first is where new keys go. */
  readonly userFiles: readonly string[];
  /** GlobalKnownHostsFile, ~ expanded. */
  readonly globalFiles: readonly string[];
  readonly strict: StrictHostKeyChecking;
  /** HashKnownHosts: names of keys added are hashed. */
  readonly hash: boolean;
  /** HostKeyAlias, lower-cased; "" when unset (then host keys are looked up by hostName). */
  readonly alias: string;
}

/** Which authentication methods are tried, in which order, with which keys. */
export interface AuthConfig {
  /** PreferredAuthentications, in order. */
  readonly methods: readonly string[];
  readonly pubkey: boolean;
  readonly password: boolean;
  readonly kbdInteractive: boolean;
  /** IdentityFile entries, ~ and tokens expanded; empty: the client's own defaults. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** `SSH_AUTH_SOCK` (the default), `none`, `$VAR`, or a socket path. */
  readonly identityAgent: string;
  /** NumberOfPasswordPrompts. */
  readonly passwordPrompts: number;
}

/** The algorithm specs as written (`+x`, `-y*`, a list), "" when unset. */
export interface AlgorithmsConfig {
  readonly ciphers: string;
  readonly kex: string;
  readonly hostKey: string;
  readonly macs: string;
}

/** Who is asking: home, user and host names, and the environment for ${VAR}. */
export interface ConfigEnv {
  readonly home: string;
  readonly localUser: string;
  readonly localHost?: string;
  /** For the owner check on config files and %i; default: this process's. */
  readonly uid?: number;
  /** The environment for ${VAR} and Match exec; default: this process's. */
  readonly vars?: Readonly<Record<string, string>>;
}

export interface ResolveInput {
  /** The host as the user typed it (an alias, maybe). */
  readonly host: string;
  /** -l, or the user of the URL. */
  readonly user?: string;
  /** -p, or the port of the URL. */
  readonly port?: number;
  /** `-o Key=value` options; they win over every file. */
  readonly options?: readonly string[];
  /** -o, -i and -J in the order given (after `options`). */
  readonly args?: readonly CommandLineArg[];
  /** `-F FILE`: read only this file. `none` reads none. */
  readonly configFile?: string;
  /** Read files through this (tests); default: the real files. */
  readonly readFile?: (path: string) => string | undefined;
  readonly fs?: ConfigFs;
  readonly env?: ConfigEnv;
  /**
   * `Match exec`: "run" the commands, as ssh does (for --print-config), or "refuse" to: a
   * Match exec that would run is then a gap, and the config reads as if it had failed.
   */
  readonly matchExec?: "run" | "refuse";
  /** The caller runs what the config asks, a subsystem too (sockhop ssh); else SessionType
   * subsystem is refused: sockhop's own command is not a subsystem's name. */
  readonly subsystem?: boolean;
  /** The command line names a remote command (sockhop ssh's words after the destination). */
  readonly command?: boolean;
  /** sockhop ssh's command line, after `args`: -o, -i, -J and the other flags, in order. */
  readonly commandLine?: readonly CommandLineSetting[];
}

export interface Resolved {
  readonly config: SshConfig;
  /** Options the native client does not use (for --debug=ssh). */
  readonly unsupported: readonly Unsupported[];
  readonly filesRead: readonly string[];
  /** What ssh would warn of on stderr (an -i file it cannot read). */
  readonly warnings: readonly string[];
}

/** The config files read when no -F is given, user's first; kept here for other platforms. */
export function defaultConfigFiles(home: string): { path: string; user: boolean }[] {
  return [
    { path: platform.joinPath([home, ".ssh", "config"]), user: true },
    { path: platform.systemSshConfig(), user: false },
  ];
}

/** Read and resolve the configuration for `input.host`. */
export function resolveSshConfig(input: ResolveInput): Resolved {
  const base: ConfigEnv = input.env ?? localEnv();
  const env = {
    home: base.home,
    localUser: base.localUser,
    localHost: base.localHost ?? Deno.hostname(),
    uid: base.uid ?? (Deno.build.os === "windows" ? 0 : Deno.uid() ?? 0),
  };
  const vars = base.vars;
  const r: ConfigReader = {
    o: newOptions(),
    env,
    vars: (name) => (vars ? vars[name] : Deno.env.get(name)),
    execEnv: vars,
    fs: input.fs ?? (input.readFile ? functionFs(input.readFile) : REAL_FS),
    hostArg: input.host,
    host: input.host,
    finalPass: false,
    wantFinal: false,
    matchExec: input.matchExec ?? "refuse",
    gaps: [],
    notes: [],
    filesRead: [],
  };
  const o = r.o;
  // ssh.c: what the command line names must hold no shell characters (Debian backports).
  if (!validHostname(input.host)) {
    throw new UsageError(
      `Host name ${JSON.stringify(input.host)} contains invalid characters: check the destination`,
    );
  }
  if (input.user !== undefined) {
    o.user = input.user;
    o.origin.set("user", "command line");
  }
  if (input.port !== undefined) {
    o.port = input.port;
    o.origin.set("port", "command line");
  }
  const warnings = readCommandLine(r, [
    ...(input.options ?? []).map((value) => ({ flag: "o" as const, value })),
    ...(input.args ?? []),
  ]);
  for (const item of input.commandLine ?? []) {
    if ("apply" in item) item.apply(o);
    else warnings.push(...readCommandLine(r, [item]));
  }
  if (o.user !== undefined && !validUser(o.user)) {
    throw new UsageError(
      `User name ${JSON.stringify(o.user)} contains invalid characters: check the user name`,
    );
  }
  readConfigs(r, input.configFile, defaultConfigFiles(env.home));

  // ssh.c: the host name in use from now on, then a final pass if one was asked for.
  const host = _hostName(r);
  if (r.wantFinal) {
    o.hostname = host;
    r.host = host;
    r.finalPass = true;
    readConfigs(r, input.configFile, defaultConfigFiles(env.home));
  }
  const raw = {
    algorithms: {
      ciphers: o.ciphers ?? "",
      kex: o.kexAlgorithms ?? "",
      hostKey: o.hostKeyAlgorithms ?? "",
      macs: o.macs ?? "",
    },
    identityFiles: [...o.identityFiles],
    keepaliveSet: {
      interval: o.serverAliveInterval !== -1,
      countMax: o.serverAliveCountMax !== -1,
    },
  };
  fillDefaults(o);
  o.user ??= env.localUser;
  _checkJump(o, host);
  // ssh refuses a subsystem session with nothing named to invoke; sockhop's own command is
  // never a subsystem's name.
  if (o.sessionType === 1 && !input.subsystem) {
    throw new UsageError(
      `SessionType subsystem (${
        o.origin.get("sessiontype") ?? "config"
      }): sockhop runs its own command on the server, not a subsystem: remove it`,
    );
  }
  if (o.port === 0) o.port = 22;
  if (o.hostKeyAlias !== undefined) o.hostKeyAlias = o.hostKeyAlias.toLowerCase();
  _tidy(r, host, input.command === true);
  // ssh -G assembles HostKeyAlgorithms only when it prints them.
  o.hostKeyAlgorithms = assembleList(
    o,
    "HostKeyAlgorithms",
    o.hostKeyAlgorithms,
    DEFAULTS.key,
    ALL.key,
  );
  const printed = printOptions(o, input.host, host);
  const { gaps, notes } = nativeGaps(o, raw.algorithms.hostKey);
  return {
    config: Object.freeze(_typed(r, host, raw, printed, [...r.gaps, ...gaps])),
    unsupported: [...r.notes, ...notes],
    filesRead: r.filesRead,
    warnings,
  };
}

/** HostName with %h expanded, as ssh connects to it; whether canonicalisation asks for a final pass. */
function _hostName(r: ConfigReader): string {
  const o = r.o;
  fillForCanonicalization(o);
  let host = r.hostArg;
  if (o.hostname !== undefined) {
    host = expandIn(r, "HostName", o.hostname, { h: r.hostArg });
    o.hostname = host;
  }
  const { name, address } = connectName(host);
  if (!address && o.canonicalizeHostname !== 0) canonicalizeName(o, name);
  if (o.canonicalizeHostname !== 0) r.wantFinal = true;
  return name;
}

function _checkJump(o: Options, host: string) {
  if (o.jumpHost === undefined) return;
  const port = o.port <= 0 ? 22 : o.port;
  const jumpPort = o.jumpPort <= 0 ? 22 : o.jumpPort;
  if (o.jumpHost === host && port === jumpPort && (o.jumpUser ?? o.user) === o.user) {
    throw new UsageError(
      `ProxyJump ${o.jumpHost} loops back to ${host} (${
        o.origin.get("proxyjump") ?? "-J"
      }): jump through another host`,
    );
  }
  o.proxyUseFdpass = 0;
}

/** ssh.c between fill_default_options and the -G dump: checks and token expansion. */
function _tidy(r: ConfigReader, host: string, command: boolean) {
  const o = r.o;
  if (o.proxyCommand === "-" && o.proxyUseFdpass) {
    throw new UsageError("ProxyCommand=- and ProxyUseFdpass are incompatible: drop one");
  }
  if (o.updateHostkeys === 2) {
    if (o.controlPersist && o.controlPath !== undefined) o.updateHostkeys = 0;
    else if (o.remoteCommand !== undefined || o.requestTty === 1) o.updateHostkeys = 0;
    else if (o.logLevel < LOG_INFO) o.updateHostkeys = 0;
  }
  if (o.connectionAttempts <= 0) {
    throw new UsageError(
      `ConnectionAttempts ${o.connectionAttempts} (${
        o.origin.get("connectionattempts")
      }): use 1 or more`,
    );
  }
  if (
    o.forkAfterAuthentication === 1 && !command && o.remoteCommand === undefined &&
    o.sessionType !== 0
  ) {
    throw new UsageError(
      `ForkAfterAuthentication (${
        o.origin.get("forkafterauthentication") ?? "-f"
      }) needs a command: drop it`,
    );
  }
  const tokens = _tokens(r, host);
  if (o.remoteCommand !== undefined) {
    o.remoteCommand = expandIn(r, "RemoteCommand", o.remoteCommand, tokens);
  }
  const path = (keyword: string, p: string) => expandIn(r, keyword, tildeIn(r, p), tokens, true);
  if (o.controlPath !== undefined) o.controlPath = path("ControlPath", o.controlPath);
  if (o.identityAgent !== undefined) o.identityAgent = path("IdentityAgent", o.identityAgent);
  if (o.forwardAgentSockPath !== undefined) {
    o.forwardAgentSockPath = path("ForwardAgent", o.forwardAgentSockPath);
    if (o.exitOnForwardFailure === 1 && r.fs.stat(o.forwardAgentSockPath) === undefined) {
      throw new UsageError(
        `Cannot forward agent socket path "${o.forwardAgentSockPath}" and ExitOnForwardFailure is set: fix the path`,
      );
    }
  }
  for (
    const [name, list] of [["GlobalKnownHostsFile", o.systemHostfiles], [
      "UserKnownHostsFile",
      o.userHostfiles,
    ]] as const
  ) {
    if (list.length && list[0]!.toLowerCase() === "none") {
      if (list.length > 1) {
        throw new UsageError(`Invalid ${name}: "none" appears with other entries`);
      }
      list.length = 0;
    }
  }
  o.userHostfiles = o.userHostfiles.map((f) => path("UserKnownHostsFile", f));
  const expand = (keyword: string, path: string | undefined) =>
    path === undefined ? undefined : expandIn(r, keyword, path, tokens);
  const expandPaths = (f: { listenPath?: string; connectPath?: string }, keyword: string) => ({
    ...f,
    ...compact({
      listenPath: expand(keyword, f.listenPath),
      connectPath: expand(keyword, f.connectPath),
    }),
  });
  o.localForwards = o.localForwards.map((f) => ({ ...f, ...expandPaths(f, "LocalForward") }));
  o.remoteForwards = o.remoteForwards.map((f) => ({ ...f, ...expandPaths(f, "RemoteForward") }));
}

/** What the config said before defaults were filled in. */
interface _Raw {
  readonly algorithms: AlgorithmsConfig;
  readonly identityFiles: readonly NamedFile[];
  readonly keepaliveSet: { readonly interval: boolean; readonly countMax: boolean };
}

function _typed(
  r: ConfigReader,
  host: string,
  raw: _Raw,
  printed: PrintedOption[],
  gaps: NativeGap[],
): SshConfig {
  const o = r.o;
  const tokens = _tokens(r, host);
  // Key files are expanded when ssh loads them; one that does not expand stays as written.
  const keyPath = (f: NamedFile) => {
    try {
      return expandTokens(expandTilde(f.path, r.env.home, passwdHome), tokens, r.vars);
    } catch {
      return f.path;
    }
  };
  const strict = o.strictHostKeyChecking;
  return {
    host: r.hostArg,
    hostName: host,
    user: o.user!,
    port: o.port,
    proxyJump: o.jumpHost === undefined ? [] : [
      ...(o.jumpExtra ? o.jumpExtra.split(",") : []),
      `${o.jumpUser !== undefined ? `${o.jumpUser}@` : ""}${
        o.jumpHost.includes(":") ? `[${o.jumpHost}]` : o.jumpHost
      }${o.jumpPort > 0 ? `:${o.jumpPort}` : ""}`,
    ],
    proxyCommand: o.proxyCommand ?? "",
    batchMode: o.batchMode === 1,
    connectTimeout: Math.max(o.connectionTimeout, 0),
    keepalive: {
      interval: o.serverAliveInterval,
      countMax: o.serverAliveCountMax,
      set: raw.keepaliveSet,
    },
    knownHosts: {
      userFiles: o.userHostfiles,
      globalFiles: o.systemHostfiles.map((f) => tildeIn(r, f)),
      strict: strict === STRICT_HOSTKEY.YES
        ? "yes"
        : strict === STRICT_HOSTKEY.OFF
        ? "no"
        : strict === STRICT_HOSTKEY.NEW
        ? "accept-new"
        : "ask",
      hash: o.hashKnownHosts === 1,
      alias: o.hostKeyAlias ?? "",
    },
    auth: {
      methods: (o.preferredAuthentications ?? "publickey,keyboard-interactive,password")
        .split(",").filter(Boolean),
      pubkey: o.pubkeyAuthentication !== 0,
      password: o.passwordAuthentication === 1,
      kbdInteractive: o.kbdInteractiveAuthentication === 1,
      identityFiles: raw.identityFiles.map(keyPath),
      identitiesOnly: o.identitiesOnly === 1,
      identityAgent: o.identityAgent ?? "SSH_AUTH_SOCK",
      passwordPrompts: o.numberOfPasswordPrompts,
    },
    algorithms: raw.algorithms,
    session: _session(o),
    nativeGaps: gaps,
    printed,
  };
}

function _session(o: Options): SessionConfig {
  const tty = (["auto", "no", "yes", "force"] as const)[o.requestTty] ?? "auto";
  const type = (["none", "subsystem", "default"] as const)[o.sessionType] ?? "default";
  const unsupported = [
    ...(o.localForwards.length ? ["LocalForward/DynamicForward (-L, -D)"] : []),
    ...(o.remoteForwards.length ? ["RemoteForward (-R)"] : []),
    ...(o.forwardX11 === 1 ? ["ForwardX11 (-X, -Y)"] : []),
    ...(o.tunOpen > 0 ? ["Tunnel (-w)"] : []),
    ...(o.forkAfterAuthentication === 1 ? ["ForkAfterAuthentication (-f)"] : []),
  ];
  return {
    requestTty: tty,
    sessionType: type,
    ...compact({ remoteCommand: o.remoteCommand }),
    sendEnv: [...o.sendEnv],
    setEnv: [...o.setEnv],
    ...compact({
      forwardAgent: o.forwardAgent === 1 ? o.forwardAgentSockPath ?? "SSH_AUTH_SOCK" : undefined,
      controlPath: o.controlPath,
      escapeChar: o.escapeChar >= 0 ? o.escapeChar : undefined,
    }),
    stdinNull: o.stdinNull === 1,
    compression: o.compression === 1,
    family: o.addressFamily === 2 ? "inet" : o.addressFamily === 10 ? "inet6" : "any",
    logLevel: o.logLevel,
    controlMaster: (["no", "yes", "auto", "ask", "autoask"] as const)[o.controlMaster] ?? "no",
    unsupported,
  };
}

/** Why the native client cannot honour this config (so auto picks openssh), if it cannot. */
export function nativeUnsupportedReason(config: SshConfig): string | undefined {
  const g = config.nativeGaps[0];
  return g ? `${g.option} (${g.where}; ${g.why})` : undefined;
}

/** The effective settings, one `keyword value` per line, as `ssh -G` prints them. */
export function formatSshConfig(config: SshConfig): string {
  return config.printed.map(([k, v]) => `${k} ${v}\n`).join("");
}

/** Resolve a config from `formatSshConfig`'s text alone (for the round-trip check). */
export function parseSshConfigText(
  text: string,
  host: string,
  env: ConfigEnv = localEnv(),
): SshConfig {
  const body = text.split("\n").filter((l) => !l.startsWith("host ")).join("\n");
  return resolveSshConfig({ host, configFile: "/printed", readFile: () => body, env }).config;
}

/** The % tokens of this destination (ssh.c: after the host name is final). */
function _tokens(r: ConfigReader, host: string) {
  const o = r.o;
  return clientTokens({
    localHost: r.env.localHost,
    uid: r.env.uid,
    keyAlias: o.hostKeyAlias ?? r.hostArg,
    originalHost: r.hostArg,
    port: o.port,
    home: r.env.home,
    host,
    user: o.user!,
    localUser: r.env.localUser,
  });
}
