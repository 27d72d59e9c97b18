/**
 * The OpenSSH client configuration, as OpenSSH 9.2 reads it (readconf.c, ssh.c): the command
 * line (-l, -p, then -o), then `~/.ssh/config`, then `/etc/ssh/ssh_config` (or only `-F FILE`),
 * `Host`, `Match` and `Include`; the first value wins; a final pass when `Match final` or
 * CanonicalizeHostname asks for one; defaults filled last. `formatSshConfig` prints the result
 * as `ssh -G` does; tests/ssh_config_diff_test.ts holds it against the real `ssh -G`.
 */

import { UsageError } from "./errors.ts";
import { ConfigSyntaxError, type ConfigWords, splitConfigLine } from "./ssh_config_words.ts";
import { applyOption, type NamedFile, OptionError, Options } from "./ssh_config_options.ts";
import { evaluateMatch, MatchError, matchPattern } from "./ssh_config_match.ts";
import {
  badOwnerOrMode,
  type ConfigFs,
  functionFs,
  globPaths,
  passwdHome,
  readTextFileOrUndefined,
  REAL_FS,
} from "./ssh_config_files.ts";
import { clientTokens, ExpandError, expandTilde, expandTokens } from "./ssh_config_expand.ts";
import { ALL, assembleNames, DEFAULTS } from "./ssh_config_algorithms.ts";
import {
  DIGEST_SHA256,
  LOG_INFO,
  LOG_USER,
  STRICT_HOSTKEY,
  TUNID_ANY,
  validHostname,
  validUser,
} from "./ssh_config_values.ts";
import { type PrintedOption, printOptions } from "./ssh_config_print.ts";
import { type NativeGap, nativeGaps } from "./ssh_config_native.ts";

export { readTextFileOrUndefined };
export type { NativeGap };

export type StrictHostKeyChecking = "yes" | "no" | "ask" | "accept-new";

/** The effective settings for one destination. */
export interface SshConfig {
  /** The host as given. */
  readonly host: string;
  /** The host connected to: HostName with %h expanded, lower-cased unless an address. */
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  /** IdentityFile entries, ~ and tokens expanded; empty: the client's own defaults. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** `SSH_AUTH_SOCK` (the default), `none`, `$VAR`, or a socket path. */
  readonly identityAgent: string;
  /** ProxyJump hops, first to last, as `[user@]host[:port]`. */
  readonly proxyJump: readonly string[];
  readonly proxyCommand: string;
  readonly userKnownHostsFiles: readonly string[];
  readonly globalKnownHostsFiles: readonly string[];
  readonly strictHostKeyChecking: StrictHostKeyChecking;
  readonly hashKnownHosts: boolean;
  /** HostKeyAlias, lower-cased; "" when unset (then host keys are looked up by hostName). */
  readonly hostKeyAlias: string;
  readonly batchMode: boolean;
  /** Seconds; 0: no limit. */
  readonly connectTimeout: number;
  readonly serverAliveInterval: number;
  readonly serverAliveCountMax: number;
  readonly preferredAuthentications: readonly string[];
  readonly passwordAuthentication: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly pubkeyAuthentication: boolean;
  readonly numberOfPasswordPrompts: number;
  /** The algorithm specs as written (`+x`, `-y*`, a list), "" when unset. */
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
  /** Options only ssh can honour (see lib/ssh_config_native.ts). */
  readonly nativeGaps: readonly NativeGap[];
  /** Every option as `ssh -G` prints it. */
  readonly printed: readonly PrintedOption[];
}

/** A keyword the native client does not act on, and where it was set. */
export interface Unsupported {
  readonly keyword: string;
  readonly where: string;
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
}

export interface Resolved {
  readonly config: SshConfig;
  /** Options the native client does not use (for --debug=ssh). */
  readonly unsupported: readonly Unsupported[];
  readonly filesRead: readonly string[];
}

/** The config files read when no -F is given, user's first; kept here for other platforms. */
export function defaultConfigFiles(home: string): { path: string; user: boolean }[] {
  return [{ path: `${home}/.ssh/config`, user: true }, {
    path: "/etc/ssh/ssh_config",
    user: false,
  }];
}

const MAX_DEPTH = 16;

interface _Reader {
  readonly o: Options;
  readonly env: Required<Omit<ConfigEnv, "vars">>;
  readonly vars: (name: string) => string | undefined;
  readonly execEnv: Readonly<Record<string, string>> | undefined;
  readonly fs: ConfigFs;
  readonly hostArg: string;
  /** Host lines match this: the host as typed, then (final pass) the host name. */
  host: string;
  finalPass: boolean;
  wantFinal: boolean;
  readonly matchExec: "run" | "refuse";
  readonly gaps: NativeGap[];
  readonly notes: Unsupported[];
  readonly filesRead: string[];
}

interface _Flags {
  readonly user: boolean;
  readonly checkPerm: boolean;
  readonly neverMatch: boolean;
}

/** Read and resolve the configuration for `input.host`. */
export function resolveSshConfig(input: ResolveInput): Resolved {
  const base: ConfigEnv = input.env ?? defaultEnv();
  const env = {
    home: base.home,
    localUser: base.localUser,
    localHost: base.localHost ?? Deno.hostname(),
    uid: base.uid ?? (Deno.build.os === "windows" ? 0 : Deno.uid() ?? 0),
  };
  const vars = base.vars;
  const r: _Reader = {
    o: new Options(),
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
  for (const line of input.options ?? []) _option(r, line);
  if (o.user !== undefined && !validUser(o.user)) {
    throw new UsageError(
      `User name ${JSON.stringify(o.user)} contains invalid characters: check the user name`,
    );
  }
  _readConfigs(r, input.configFile);

  // ssh.c: the host name in use from now on, then a final pass if one was asked for.
  _fillForCanonicalization(o);
  let host = input.host;
  if (o.hostname !== undefined) {
    host = _expand(r, "HostName", o.hostname, { h: input.host });
    o.hostname = host;
  }
  // Addresses are not lower-cased but written as getnameinfo would.
  let address = _canonicalAddress(host);
  if (address?.toLowerCase() === host.toLowerCase()) address = host;
  const wasAddress = address !== undefined || /[%:]/.test(host) || /^[0-9.]*$/.test(host);
  host = address ?? (wasAddress ? host : host.toLowerCase());
  if (!wasAddress && o.canonicalizeHostname !== 0) _canonicalizeName(r, host);
  if (o.canonicalizeHostname !== 0) r.wantFinal = true;
  if (r.wantFinal) {
    o.hostname = host;
    r.host = host;
    r.finalPass = true;
    _readConfigs(r, input.configFile);
  }
  const raw = {
    ciphers: o.ciphers ?? "",
    kexAlgorithms: o.kexAlgorithms ?? "",
    hostKeyAlgorithms: o.hostKeyAlgorithms ?? "",
    macs: o.macs ?? "",
    identityFiles: [...o.identityFiles],
  };
  _fillDefaults(o);
  o.user ??= env.localUser;
  _checkJump(o, host);
  if (o.port === 0) o.port = 22;
  if (o.hostKeyAlias !== undefined) o.hostKeyAlias = o.hostKeyAlias.toLowerCase();
  _tidy(r, host);
  // ssh -G assembles HostKeyAlgorithms only when it prints them.
  o.hostKeyAlgorithms = _assemble(
    o,
    "hostkeyalgorithms",
    o.hostKeyAlgorithms,
    DEFAULTS.key,
    ALL.key,
  );
  const printed = printOptions(o, input.host, host);
  const { gaps, notes } = nativeGaps(o);
  return {
    config: Object.freeze(_typed(r, host, raw, printed, [...r.gaps, ...gaps])),
    unsupported: [...r.notes, ...notes],
    filesRead: r.filesRead,
  };
}

function _option(r: _Reader, line: string) {
  const where = `-o "${line}"`;
  _line(
    r,
    line,
    where,
    { user: true, checkPerm: false, neverMatch: false },
    { value: true },
    0,
    true,
  );
}

function _readConfigs(r: _Reader, configFile: string | undefined) {
  if (configFile !== undefined) {
    if (configFile.toLowerCase() === "none") return;
    const path = _tilde(r, configFile);
    if (
      !_readFile(r, path, { user: true, checkPerm: false, neverMatch: false }, { value: true }, 0)
    ) {
      throw new UsageError(`Cannot read the ssh config ${path} (-F): check the path`);
    }
    return;
  }
  for (const f of defaultConfigFiles(r.env.home)) {
    _readFile(
      r,
      f.path,
      { user: f.user, checkPerm: f.user, neverMatch: false },
      { value: true },
      0,
    );
  }
}

/** readconf.c read_config_file_depth; false when the file does not exist. */
function _readFile(
  r: _Reader,
  path: string,
  flags: _Flags,
  active: { value: boolean },
  depth: number,
): boolean {
  if (depth > MAX_DEPTH) {
    throw new UsageError(`Too many nested Includes reading ${path}: an Include includes itself`);
  }
  const text = r.fs.readFile(path);
  if (text === undefined) return false;
  if (flags.checkPerm) {
    const st = r.fs.stat(path);
    if (st && badOwnerOrMode(st, r.env.uid)) {
      throw new UsageError(
        `Bad owner or permissions on ${path}: it must be yours (or root's) and writable by you only (chmod go-w)`,
      );
    }
  }
  if (!r.filesRead.includes(path)) r.filesRead.push(path);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => _line(r, line, `${path} line ${i + 1}`, flags, active, depth, false));
  return true;
}

/** readconf.c process_config_line_depth, for Host, Match and Include; the rest in options. */
function _line(
  r: _Reader,
  text: string,
  where: string,
  flags: _Flags,
  active: { value: boolean },
  depth: number,
  cmdline: boolean,
) {
  const fail = (detail: string): never => {
    throw new UsageError(`Config error in ${where}: ${detail.replace(/\.$/, "")}: fix that line`);
  };
  let k: ConfigWords | undefined;
  try {
    k = splitConfigLine(text);
  } catch (err) {
    if (err instanceof ConfigSyntaxError) fail(err.message);
    throw err;
  }
  if (!k) return;
  const words = k.args;
  if (k.keyword === "host" || k.keyword === "match" || k.keyword === "include") {
    if (words === undefined) fail("invalid quotes");
    if (cmdline) fail(`${k.written} is not allowed in -o`);
  }
  switch (k.keyword) {
    case "host": {
      active.value = false;
      for (const arg of words!) {
        if (arg === "") fail(`keyword ${k.keyword} empty argument`);
        if (flags.neverMatch) break;
        const negated = arg.startsWith("!");
        if (matchPattern(r.host, negated ? arg.slice(1) : arg)) {
          if (negated) {
            active.value = false;
            break;
          }
          active.value = true;
        }
      }
      return;
    }
    case "match": {
      let result;
      try {
        result = evaluateMatch(k.rest, _matchContext(r, where));
      } catch (err) {
        if (err instanceof MatchError || err instanceof ExpandError) fail(err.message);
        throw err;
      }
      if (result!.wantsFinal) r.wantFinal = true;
      active.value = flags.neverMatch ? false : result!.matched;
      if (result!.leftover) fail(`keyword match extra arguments at end of line`);
      return;
    }
    case "include":
      return _include(r, words!, flags, active, depth, fail);
  }
  try {
    applyOption(r.o, k, {
      active: cmdline || active.value,
      where,
      userConfig: flags.user,
      cmdline,
      vars: r.vars,
      note: (t) => r.notes.push({ keyword: t, where }),
    });
  } catch (err) {
    if (err instanceof OptionError) fail(err.message);
    throw err;
  }
}

function _include(
  r: _Reader,
  words: readonly string[],
  flags: _Flags,
  active: { value: boolean },
  depth: number,
  fail: (detail: string) => never,
) {
  for (const arg of words) {
    if (arg === "") fail("keyword include empty argument");
    if (arg.startsWith("~") && !flags.user) fail(`bad include path ${arg}`);
    const pattern = !arg.startsWith("/") && !arg.startsWith("~")
      ? `${flags.user ? "~/.ssh" : "/etc/ssh"}/${arg}`
      : arg;
    const was = active.value;
    for (const file of globPaths(pattern, r.fs, r.env.home)) {
      _readFile(
        r,
        file,
        { user: flags.user, checkPerm: true, neverMatch: flags.neverMatch || !was },
        active,
        depth + 1,
      );
      // A Match in an included file does not change the including file's state.
      active.value = was;
    }
  }
}

function _matchContext(r: _Reader, where: string) {
  const o = r.o;
  const host = r.finalPass || o.hostname === undefined
    ? (o.hostname ?? r.hostArg)
    : _expand(r, "HostName", o.hostname, { h: r.hostArg });
  const user = o.user ?? r.env.localUser;
  return {
    host,
    originalHost: r.hostArg,
    user,
    localUser: r.env.localUser,
    finalPass: r.finalPass,
    expand: (command: string) =>
      expandTokens(
        command,
        clientTokens({
          localHost: r.env.localHost,
          uid: r.env.uid,
          keyAlias: o.hostKeyAlias ?? host,
          originalHost: r.hostArg,
          port: o.port <= 0 ? 22 : o.port,
          home: r.env.home,
          host,
          user,
          localUser: r.env.localUser,
        }),
      ),
    exec: (command: string) => {
      if (r.matchExec === "refuse") {
        r.gaps.push({
          option: `Match exec ${command}`,
          where,
          why: "the built-in client runs no commands from the config",
        });
        return false;
      }
      return _execInShell(r, command, where);
    },
  };
}

/** readconf.c execute_in_shell: $SHELL -c COMMAND, stdin and stdout on /dev/null. */
function _execInShell(r: _Reader, command: string, where: string): boolean {
  const shell = r.vars("SHELL") || "/bin/sh";
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(shell, {
      args: ["-c", command],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
      ...(r.execEnv ? { clearEnv: true, env: { ...r.execEnv } } : {}),
    }).outputSync();
  } catch (err) {
    throw new UsageError(
      `Shell "${shell}" is not executable (${
        (err as Error).message
      }) for Match exec in ${where}: check $SHELL`,
    );
  }
  if (out.signal !== null) {
    throw new UsageError(
      `Match exec "${command}" in ${where} was killed by ${out.signal}: check the command`,
    );
  }
  return out.code === 0;
}

function _expand(
  r: _Reader,
  keyword: string,
  text: string,
  tokens: Record<string, string>,
  dollar = false,
): string {
  try {
    return expandTokens(text, tokens, dollar ? r.vars : undefined);
  } catch (err) {
    if (err instanceof ExpandError) {
      const where = r.o.origin.get(keyword.toLowerCase());
      throw new UsageError(
        `Cannot expand ${keyword} ${JSON.stringify(text)}${
          where ? ` (${where})` : ""
        }: ${err.message}: ${
          err.message.startsWith("unknown")
            ? "use %% for a percent sign"
            : "set the variable or remove it"
        }`,
      );
    }
    throw err;
  }
}

function _tilde(r: _Reader, path: string): string {
  try {
    return expandTilde(path, r.env.home, passwdHome);
  } catch (err) {
    if (err instanceof ExpandError) {
      throw new UsageError(
        `Cannot expand ${JSON.stringify(path)}: ${err.message}: check the user name`,
      );
    }
    throw err;
  }
}

function _fillForCanonicalization(o: Options) {
  if (o.canonicalizeMaxDots === -1) o.canonicalizeMaxDots = 1;
  if (o.canonicalizeFallbackLocal === -1) o.canonicalizeFallbackLocal = 1;
  if (o.canonicalizeHostname === -1) o.canonicalizeHostname = 0;
}

/**
 * An address in the form getnameinfo prints it (`127.1` -> `127.0.0.1`, IPv6 compressed and
 * in lower case); undefined when `host` is not a numeric address.
 */
function _canonicalAddress(host: string): string | undefined {
  const v4 = _ipv4(host);
  if (v4 !== undefined) return v4;
  if (!host.includes(":") || host.includes("%")) return undefined;
  try {
    const h = new URL(`http://[${host}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** inet_aton's forms: a.b.c.d, a.b.c, a.b, a; each part decimal, octal (0...) or hex (0x...). */
function _ipv4(host: string): string | undefined {
  const parts = host.split(".");
  if (parts.length > 4 || parts.some((p) => !/^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/.test(p))) {
    return undefined;
  }
  const nums = parts.map((p) =>
    /^0[xX]/.test(p)
      ? parseInt(p.slice(2) || "0", 16)
      : p.startsWith("0")
      ? parseInt(p, 8)
      : Number(p)
  );
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  let value = last;
  nums.forEach((n, i) => (value += n * 2 ** (8 * (3 - i))));
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join(".");
}

/**
 * ssh.c resolve_canonicalize for a name: sockhop does not look names up, so every suffix in
 * CanonicalDomains counts as not found (README, Differences) and the name stays as it is,
 * unless CanonicalizeFallbackLocal is off.
 */
function _canonicalizeName(r: _Reader, host: string) {
  const o = r.o;
  if (/[%:]/.test(host) || /^[0-9.]*$/.test(host)) return;
  const direct = (o.proxyCommand === undefined || o.proxyCommand.toLowerCase() === "none") &&
    o.jumpHost === undefined;
  if (!direct && o.canonicalizeHostname !== 2) return;
  if (!host.endsWith(".") && host.split(".").length - 1 > o.canonicalizeMaxDots) return;
  if (!o.canonicalizeFallbackLocal) {
    throw new UsageError(
      `Could not resolve host "${host}" (CanonicalizeHostname, CanonicalizeFallbackLocal no): sockhop does not look host names up; use --ssh=openssh`,
    );
  }
}

/** readconf.c fill_default_options, with Debian's defaults. */
function _fillDefaults(o: Options) {
  const d = (f: keyof Options & string, v: number) => {
    if ((o[f] as unknown) === -1) (o[f] as unknown as number) = v;
  };
  d("forwardAgent", 0);
  d("forwardX11", 0);
  d("forwardX11Trusted", 1); // Debian: trusted X11 forwarding by default
  d("forwardX11Timeout", 1200);
  d("exitOnForwardFailure", 0);
  d("clearForwardings", 0);
  if (o.clearForwardings === 1) {
    o.localForwards = [];
    o.remoteForwards = [];
    o.tunOpen = 0;
  }
  o.xauthLocation ??= "/usr/bin/xauth";
  d("gatewayPorts", 0);
  d("streamlocalBindMask", 0o177);
  d("streamlocalBindUnlink", 0);
  d("pubkeyAuthentication", 3);
  d("gssAuthentication", 0);
  d("gssKeyex", 0);
  d("gssDelegCreds", 0);
  d("gssTrustDns", 0);
  d("gssRenewalRekey", 0);
  o.gssKexAlgorithms ??= DEFAULTS.gssKex.join(",");
  d("passwordAuthentication", 1);
  d("kbdInteractiveAuthentication", 1);
  d("hostbasedAuthentication", 0);
  d("batchMode", 0);
  d("checkHostIp", 0);
  d("strictHostKeyChecking", STRICT_HOSTKEY.ASK);
  d("compression", 0);
  d("tcpKeepAlive", 1);
  d("port", 0);
  d("addressFamily", 0);
  d("connectionAttempts", 1);
  d("numberOfPasswordPrompts", 3);
  if (o.addKeysToAgent === -1) {
    o.addKeysToAgent = 0;
    o.addKeysToAgentLifespan = 0;
  }
  if (o.identityFiles.length === 0) {
    for (
      const k of [
        "id_rsa",
        "id_ecdsa",
        "id_ecdsa_sk",
        "id_ed25519",
        "id_ed25519_sk",
        "id_xmss",
        "id_dsa",
      ]
    ) {
      o.identityFiles.push({ path: `~/.ssh/${k}`, userProvided: false });
    }
  }
  d("escapeChar", "~".charCodeAt(0));
  if (o.systemHostfiles.length === 0) {
    o.systemHostfiles.push("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2");
  }
  if (o.updateHostkeys === -1) {
    const onlyDefault = o.userHostfiles.length === 0 ||
      (o.userHostfiles.length === 1 && o.userHostfiles[0] === "~/.ssh/known_hosts");
    o.updateHostkeys = o.verifyHostKeyDns <= 0 && onlyDefault ? 1 : 0;
  }
  if (o.userHostfiles.length === 0) {
    o.userHostfiles.push("~/.ssh/known_hosts", "~/.ssh/known_hosts2");
  }
  d("logLevel", LOG_INFO);
  d("logFacility", LOG_USER);
  d("noHostAuthenticationForLocalhost", 0);
  d("identitiesOnly", 0);
  d("enableSshKeysign", 0);
  if (o.rekeyLimit === -1n) o.rekeyLimit = 0n;
  d("rekeyInterval", 0);
  d("verifyHostKeyDns", 0);
  // Debian: under BatchMode, keepalives every 300 s unless set otherwise.
  d("serverAliveInterval", o.batchMode === 1 ? 300 : 0);
  d("serverAliveCountMax", 3);
  d("controlMaster", 0);
  if (o.controlPersist === -1) {
    o.controlPersist = 0;
    o.controlPersistTimeout = 0;
  }
  d("hashKnownHosts", 0);
  d("tunOpen", 0);
  d("tunLocal", TUNID_ANY);
  d("tunRemote", TUNID_ANY);
  d("permitLocalCommand", 0);
  d("visualHostKey", 0);
  // Debian keeps the older IPQoS defaults.
  d("ipQosInteractive", 0x10);
  d("ipQosBulk", 0x08);
  d("requestTty", 0);
  d("sessionType", 2);
  d("stdinNull", 0);
  d("forkAfterAuthentication", 0);
  d("proxyUseFdpass", 0);
  d("canonicalizeMaxDots", 1);
  d("canonicalizeFallbackLocal", 1);
  d("canonicalizeHostname", 0);
  d("fingerprintHash", DIGEST_SHA256);
  o.skProvider ??= "internal";
  d("requiredRsaSize", 1024);
  d("enableEscapeCommandline", 0);

  const assemble = (
    k: string,
    spec: string | undefined,
    def: readonly string[],
    all: readonly string[],
  ) => _assemble(o, k, spec, def, all);
  o.ciphers = assemble("Ciphers", o.ciphers, DEFAULTS.cipher, ALL.cipher);
  o.macs = assemble("MACs", o.macs, DEFAULTS.mac, ALL.mac);
  o.kexAlgorithms = assemble("KexAlgorithms", o.kexAlgorithms, DEFAULTS.kex, ALL.kex);
  const defKey = DEFAULTS.key;
  o.hostbasedAcceptedAlgos = assemble(
    "HostbasedAcceptedAlgorithms",
    o.hostbasedAcceptedAlgos,
    defKey,
    ALL.key,
  );
  o.pubkeyAcceptedAlgos = assemble(
    "PubkeyAcceptedAlgorithms",
    o.pubkeyAcceptedAlgos,
    defKey,
    ALL.key,
  );
  o.caSignAlgorithms = assemble(
    "CASignatureAlgorithms",
    o.caSignAlgorithms,
    DEFAULTS.caSig,
    ALL.sig,
  );

  const none = (
    v: string | undefined,
  ) => (v === undefined || v.toLowerCase() === "none" ? undefined : v);
  o.localCommand = none(o.localCommand);
  o.remoteCommand = none(o.remoteCommand);
  o.proxyCommand = none(o.proxyCommand);
  o.controlPath = none(o.controlPath);
  o.revokedHostKeys = none(o.revokedHostKeys);
  o.pkcs11Provider = none(o.pkcs11Provider);
  o.skProvider = none(o.skProvider);
  o.knownHostsCommand = none(o.knownHostsCommand);
  if (o.jumpHost === "none" && o.jumpPort === 0 && o.jumpUser === undefined) o.jumpHost = undefined;
  if (
    o.permittedCnames.length === 1 && o.permittedCnames[0]!.source.toLowerCase() === "none" &&
    o.permittedCnames[0]!.target === ""
  ) o.permittedCnames = [];
}

function _assemble(
  o: Options,
  keyword: string,
  spec: string | undefined,
  def: readonly string[],
  all: readonly string[],
): string {
  const list = assembleNames(spec, def, all);
  if (list === undefined) {
    const where = o.origin.get(keyword.toLowerCase());
    throw new UsageError(
      `${keyword} ${spec} leaves no algorithm or negates one${
        where ? ` (${where})` : ""
      }: name at least one that ssh -Q lists`,
    );
  }
  return list.join(",");
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
function _tidy(r: _Reader, host: string) {
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
  if (o.forkAfterAuthentication === 1 && o.remoteCommand === undefined && o.sessionType !== 0) {
    throw new UsageError(
      `ForkAfterAuthentication (${
        o.origin.get("forkafterauthentication")
      }) needs a command: drop it`,
    );
  }
  const tokens = clientTokens({
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
  if (o.remoteCommand !== undefined) {
    o.remoteCommand = _expand(r, "RemoteCommand", o.remoteCommand, tokens);
  }
  const path = (keyword: string, p: string) => _expand(r, keyword, _tilde(r, p), tokens, true);
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
  const expandPaths = (f: { listenPath?: string; connectPath?: string }, keyword: string) => ({
    ...f,
    ...(f.listenPath !== undefined
      ? { listenPath: _expand(r, keyword, f.listenPath, tokens) }
      : {}),
    ...(f.connectPath !== undefined
      ? { connectPath: _expand(r, keyword, f.connectPath, tokens) }
      : {}),
  });
  o.localForwards = o.localForwards.map((f) => ({ ...f, ...expandPaths(f, "LocalForward") }));
  o.remoteForwards = o.remoteForwards.map((f) => ({ ...f, ...expandPaths(f, "RemoteForward") }));
}

interface _Raw {
  readonly ciphers: string;
  readonly kexAlgorithms: string;
  readonly hostKeyAlgorithms: string;
  readonly macs: string;
  readonly identityFiles: readonly NamedFile[];
}

function _typed(
  r: _Reader,
  host: string,
  raw: _Raw,
  printed: PrintedOption[],
  gaps: NativeGap[],
): SshConfig {
  const o = r.o;
  const tokens = clientTokens({
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
    identityFiles: raw.identityFiles.map(keyPath),
    identitiesOnly: o.identitiesOnly === 1,
    identityAgent: o.identityAgent ?? "SSH_AUTH_SOCK",
    proxyJump: o.jumpHost === undefined ? [] : [
      ...(o.jumpExtra ? o.jumpExtra.split(",") : []),
      `${o.jumpUser !== undefined ? `${o.jumpUser}@` : ""}${
        o.jumpHost.includes(":") ? `[${o.jumpHost}]` : o.jumpHost
      }${o.jumpPort > 0 ? `:${o.jumpPort}` : ""}`,
    ],
    proxyCommand: o.proxyCommand ?? "",
    userKnownHostsFiles: o.userHostfiles,
    globalKnownHostsFiles: o.systemHostfiles.map((f) => _tilde(r, f)),
    strictHostKeyChecking: strict === STRICT_HOSTKEY.YES
      ? "yes"
      : strict === STRICT_HOSTKEY.OFF
      ? "no"
      : strict === STRICT_HOSTKEY.NEW
      ? "accept-new"
      : "ask",
    hashKnownHosts: o.hashKnownHosts === 1,
    hostKeyAlias: o.hostKeyAlias ?? "",
    batchMode: o.batchMode === 1,
    connectTimeout: Math.max(o.connectionTimeout, 0),
    serverAliveInterval: o.serverAliveInterval,
    serverAliveCountMax: o.serverAliveCountMax,
    preferredAuthentications:
      (o.preferredAuthentications ?? "publickey,keyboard-interactive,password")
        .split(",").filter(Boolean),
    passwordAuthentication: o.passwordAuthentication === 1,
    kbdInteractiveAuthentication: o.kbdInteractiveAuthentication === 1,
    pubkeyAuthentication: o.pubkeyAuthentication !== 0,
    numberOfPasswordPrompts: o.numberOfPasswordPrompts,
    ciphers: raw.ciphers,
    kexAlgorithms: raw.kexAlgorithms,
    hostKeyAlgorithms: raw.hostKeyAlgorithms,
    macs: raw.macs,
    controlMaster: ["no", "yes", "auto", "ask", "autoask"][o.controlMaster] ?? "no",
    controlPath: o.controlPath ?? "",
    controlPersist: o.controlPersist === 0
      ? ""
      : o.controlPersistTimeout
      ? String(o.controlPersistTimeout)
      : "yes",
    pkcs11Provider: o.pkcs11Provider ?? "",
    certificateFiles: o.certificateFiles.map(keyPath),
    forwardAgent: o.forwardAgent === 1,
    nativeGaps: gaps,
    printed,
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
  env: ConfigEnv = defaultEnv(),
): SshConfig {
  const body = text.split("\n").filter((l) => !l.startsWith("host ")).join("\n");
  return resolveSshConfig({ host, configFile: "/printed", readFile: () => body, env }).config;
}

/** This user's home and name, from the environment. */
export function defaultEnv(): { home: string; localUser: string; localHost: string } {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "";
  const localUser = Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? Deno.env.get("LOGNAME") ??
    (Deno.uid() === 0 ? "root" : "");
  return { home, localUser, localHost: Deno.hostname() };
}
