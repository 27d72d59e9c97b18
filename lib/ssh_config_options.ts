/**
 * Every ssh_config keyword of OpenSSH 9.2 (with Debian's additions): the field it sets, how a
 * line of it is read (readconf.c process_config_line, one case per keyword) and its default
 * (fill_default_options), in one table in the order `ssh -G` prints them (dump_client_config).
 * The options, their parsing, defaults and printing all come from that table. Values are
 * checked whether or not the line applies to this host, as ssh checks them; the first value
 * set wins. `-1` and `undefined` mean unset, as in OpenSSH's Options.
 */

import type { ConfigWords } from "./ssh_config_words.ts";
import {
  a2port,
  a2tun,
  ADDRESS_FAMILY,
  CANONICALIZE,
  COMPRESSION,
  CONTROL_MASTER,
  convtime,
  digestNumber,
  FLAG,
  type Forward,
  forwardEquals,
  logFacilityNumber,
  logLevelNumber,
  type Multistate,
  multistate,
  parseForward,
  parseIpqos,
  parseJump,
  PUBKEY_AUTH,
  REQUEST_TTY,
  scanScaled,
  SESSION_TYPE,
  STRICT_HOSTKEY,
  strtonum,
  TUNNEL,
  validDomain,
  validEnvName,
  YES_NO_ASK,
  YES_NO_ASK_CONFIRM,
} from "./ssh_config_values.ts";
import { DEFAULTS, gssNamesValid, keyNamesValid, namesValid } from "./ssh_config_algorithms.ts";
import { matchPattern, patternListMatch } from "./ssh_patterns.ts";
import { ExpandError, expandVars } from "./ssh_config_expand.ts";

/** A file the options name, and whether a user file (not the system one) named it. */
export interface NamedFile {
  readonly path: string;
  readonly userProvided: boolean;
}

/**
 * The fields of the keywords with a parser of their own (`special` in the table), unset until
 * a line sets them; every other field comes from the table.
 */
class _SpecialOptions {
  port = -1;
  fingerprintHash = -1;
  identityAgent: string | undefined;
  logLevel = -1;
  localForwards: Forward[] = [];
  remoteForwards: Forward[] = [];
  identityFiles: NamedFile[] = [];
  canonicalDomains: string[] = [];
  certificateFiles: NamedFile[] = [];
  systemHostfiles: string[] = [];
  userHostfiles: string[] = [];
  sendEnv: string[] = [];
  setEnv: string[] = [];
  logVerbose: string[] = [];
  permittedRemoteOpens: string[] = [];
  addKeysToAgent = -1;
  addKeysToAgentLifespan = -1;
  forwardAgent = -1;
  forwardAgentSockPath: string | undefined;
  tunLocal = -1;
  tunRemote = -1;
  permittedCnames: { source: string; target: string }[] = [];
  controlPersist = -1;
  controlPersistTimeout = 0;
  escapeChar = -1;
  ipQosInteractive = -1;
  ipQosBulk = -1;
  rekeyLimit = -1n;
  rekeyInterval = -1;
  streamlocalBindMask = -1;
  logFacility = -1;
  proxyCommand: string | undefined;
  jumpUser: string | undefined;
  jumpHost: string | undefined;
  jumpPort = -1;
  jumpExtra: string | undefined;
  /** -W was given: ExitOnForwardFailure and ClearAllForwardings default to yes. */
  stdioForward = false;
  /** Where each keyword got its value: "FILE line N" or "-o ...". */
  readonly origin = new Map<string, string>();
}

/** A line OpenSSH rejects, in its words (the caller adds where). */
export class OptionError extends Error {
  override name = "OptionError";
}

/** How one line is read. */
export interface LineContext {
  /** The line applies to this host. */
  readonly active: boolean;
  /** "FILE line N" or "-o ...", for origins. */
  readonly where: string;
  /** A user config (-o, -F, ~/.ssh/config and their includes), not the system one. */
  readonly userConfig: boolean;
  /** From the command line (-o): ProxyJump names are checked for shell characters. */
  readonly cmdline: boolean;
  /** ${VAR}s, for the values OpenSSH checks when it reads them. */
  readonly vars: (name: string) => string | undefined;
  /** Notes for --debug=ssh (deprecated and unsupported keywords). */
  note(text: string): void;
}

/** A keyword whose value is a number in one field: unset is -1. */
export type NumberKind<F extends string = string> =
  | { readonly t: "flag"; readonly f: F; readonly table: Multistate }
  | { readonly t: "int"; readonly f: F }
  | { readonly t: "time"; readonly f: F };
/** A keyword whose value is a string in one field: unset is undefined. */
export type StringKind<F extends string = string> =
  | { readonly t: "string"; readonly f: F }
  | { readonly t: "command"; readonly f: F }
  | {
    readonly t: "algos";
    readonly f: F;
    readonly check: (s: string) => boolean;
    readonly what: string;
    /** Whether `+`, `-` and `^` before the list are read (not for GSSAPIKexAlgorithms). */
    readonly signs: boolean;
  };
/** A parser of its own: it sets only the special fields, so the table types the others. */
type Runner = (o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) => void;
export type Kind =
  | NumberKind
  | StringKind
  | { readonly t: "special"; readonly run: Runner }
  | { readonly t: "deprecated" }
  | { readonly t: "unsupported" }
  | { readonly t: "ignore" };

/** One row of the table: the keyword and its other names, how it reads, its default. */
export interface OptionSpec<K extends Kind = Kind> {
  /** The keyword as printed and as origins name it, then the names that mean the same. */
  readonly names: readonly string[];
  readonly kind: K;
  /** fill_default_options' value, for a field the table owns; others fill in code. */
  readonly def?: number | string;
}

type Names = string | readonly string[];
const _names = (n: Names) => (typeof n === "string" ? [n] : n);

const flag = <F extends string>(n: Names, f: F, def?: number, table: Multistate = FLAG) =>
  _spec(n, { t: "flag", f, table } as const, def);
const int = <F extends string>(n: Names, f: F, def?: number) =>
  _spec(n, { t: "int", f } as const, def);
const time = <F extends string>(n: Names, f: F, def?: number) =>
  _spec(n, { t: "time", f } as const, def);
const str = <F extends string>(n: Names, f: F, def?: string) =>
  _spec(n, { t: "string", f } as const, def);
const command = <F extends string>(n: Names, f: F) => _spec(n, { t: "command", f } as const);
const algos = <F extends string>(
  n: Names,
  f: F,
  check: (s: string) => boolean,
  what: string,
  def?: string,
  signs = true,
) => _spec(n, { t: "algos", f, check, what, signs } as const, def);
const special = (n: Names, run: Runner) => _spec(n, { t: "special", run } as const);
const other = (n: Names, t: "deprecated" | "unsupported" | "ignore") => _spec(n, { t } as const);

function _spec<K extends Kind>(n: Names, kind: K, def?: number | string): OptionSpec<K> {
  return def === undefined ? { names: _names(n), kind } : { names: _names(n), kind, def };
}

const _keyTypes = (n: Names, f: "hostKeyAlgorithms" | "caSignAlgorithms") =>
  algos(n, f, keyNamesValid, "Bad key types");

/**
 * Every keyword ssh knows, in the order `ssh -G` prints them; the keywords it does not print
 * last. A default left out is filled by fillDefaults, or is no value.
 */
export const OPTION_TABLE = [
  str("user", "user"),
  str("hostname", "hostname"),
  special("port", _port),
  flag("addressfamily", "addressFamily", 0, ADDRESS_FAMILY),
  flag("batchmode", "batchMode", 0),
  flag("canonicalizefallbacklocal", "canonicalizeFallbackLocal", 1),
  flag("canonicalizehostname", "canonicalizeHostname", 0, CANONICALIZE),
  flag("checkhostip", "checkHostIp", 0),
  flag("compression", "compression", 0, COMPRESSION),
  flag("controlmaster", "controlMaster", 0, CONTROL_MASTER),
  flag("enablesshkeysign", "enableSshKeysign", 0),
  flag("clearallforwardings", "clearForwardings", 0),
  flag("exitonforwardfailure", "exitOnForwardFailure", 0),
  special("fingerprinthash", _fingerprintHash),
  flag("forwardx11", "forwardX11", 0),
  flag("forwardx11trusted", "forwardX11Trusted", 1), // Debian: trusted by default
  flag("gatewayports", "gatewayPorts", 0),
  flag("gssapiauthentication", "gssAuthentication", 0),
  flag("gssapikeyexchange", "gssKeyex", 0),
  flag("gssapidelegatecredentials", "gssDelegCreds", 0),
  flag("gssapitrustdns", "gssTrustDns", 0),
  flag("gssapirenewalforcesrekey", "gssRenewalRekey", 0),
  str("gssapiclientidentity", "gssClientIdentity"),
  str("gssapiserveridentity", "gssServerIdentity"),
  algos(
    "gssapikexalgorithms",
    "gssKexAlgorithms",
    gssNamesValid,
    "Bad GSSAPI KexAlgorithms",
    DEFAULTS.gssKex.join(","),
    // Debian's GSSAPI patch checks the list as written: no +, - or ^.
    false,
  ),
  flag("hashknownhosts", "hashKnownHosts", 0),
  flag("hostbasedauthentication", "hostbasedAuthentication", 0),
  flag("identitiesonly", "identitiesOnly", 0),
  flag(
    [
      "kbdinteractiveauthentication",
      "challengeresponseauthentication",
      "skeyauthentication",
      "tisauthentication",
    ],
    "kbdInteractiveAuthentication",
    1,
  ),
  flag("nohostauthenticationforlocalhost", "noHostAuthenticationForLocalhost", 0),
  flag("passwordauthentication", "passwordAuthentication", 1),
  flag("permitlocalcommand", "permitLocalCommand", 0),
  flag("proxyusefdpass", "proxyUseFdpass", 0),
  flag(["pubkeyauthentication", "dsaauthentication"], "pubkeyAuthentication", 3, PUBKEY_AUTH),
  flag("requesttty", "requestTty", 0, REQUEST_TTY),
  flag("sessiontype", "sessionType", 2, SESSION_TYPE),
  flag("stdinnull", "stdinNull", 0),
  flag("forkafterauthentication", "forkAfterAuthentication", 0),
  flag("streamlocalbindunlink", "streamlocalBindUnlink", 0),
  flag(
    "stricthostkeychecking",
    "strictHostKeyChecking",
    STRICT_HOSTKEY.ASK,
    STRICT_HOSTKEY.table,
  ),
  flag(["tcpkeepalive", "keepalive"], "tcpKeepAlive", 1),
  flag("tunnel", "tunOpen", 0, TUNNEL),
  flag("verifyhostkeydns", "verifyHostKeyDns", 0, YES_NO_ASK),
  flag("visualhostkey", "visualHostKey", 0),
  // Its default depends on the known_hosts files and VerifyHostKeyDNS: fillDefaults.
  flag("updatehostkeys", "updateHostkeys", undefined, YES_NO_ASK),
  flag("enableescapecommandline", "enableEscapeCommandline", 0),
  int("canonicalizemaxdots", "canonicalizeMaxDots", 1),
  int("connectionattempts", "connectionAttempts", 1),
  time("forwardx11timeout", "forwardX11Timeout", 1200),
  int("numberofpasswordprompts", "numberOfPasswordPrompts", 3),
  int("serveralivecountmax", "serverAliveCountMax", 3),
  // ProtocolKeepAlives and SetupTimeOut: Debian's names for it; its default: fillDefaults.
  time(["serveraliveinterval", "protocolkeepalives", "setuptimeout"], "serverAliveInterval"),
  int("requiredrsasize", "requiredRsaSize", 1024),
  str("bindaddress", "bindAddress"),
  str("bindinterface", "bindInterface"),
  algos("ciphers", "ciphers", (s) => namesValid("cipher", s), "Bad SSH2 cipher spec"),
  str("controlpath", "controlPath"),
  _keyTypes("hostkeyalgorithms", "hostKeyAlgorithms"),
  str("hostkeyalias", "hostKeyAlias"),
  algos(
    ["hostbasedacceptedalgorithms", "hostbasedkeytypes"],
    "hostbasedAcceptedAlgos",
    keyNamesValid,
    "Bad key types",
  ),
  special("identityagent", _identityAgent),
  str("ignoreunknown", "ignoredUnknown"),
  str("kbdinteractivedevices", "kbdInteractiveDevices"),
  algos("kexalgorithms", "kexAlgorithms", (s) => namesValid("kex", s), "Bad SSH2 KexAlgorithms"),
  _keyTypes("casignaturealgorithms", "caSignAlgorithms"),
  command("localcommand", "localCommand"),
  command("remotecommand", "remoteCommand"),
  special("loglevel", _logLevel),
  algos("macs", "macs", (s) => namesValid("mac", s), "Bad SSH2 MAC spec"),
  str(["pkcs11provider", "smartcarddevice"], "pkcs11Provider"),
  str("securitykeyprovider", "skProvider", "internal"),
  str("preferredauthentications", "preferredAuthentications"),
  algos(
    ["pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes"],
    "pubkeyAcceptedAlgos",
    keyNamesValid,
    "Bad key types",
  ),
  str("revokedhostkeys", "revokedHostKeys"),
  str("xauthlocation", "xauthLocation", "/usr/bin/xauth"),
  command("knownhostscommand", "knownHostsCommand"),
  special(["remoteforward", "localforward", "dynamicforward"], _forward),
  special(["identityfile", "identityfile2"], _identityFile),
  special("canonicaldomains", _canonicalDomains),
  special("certificatefile", _certificateFile),
  special("globalknownhostsfile", _globalHostfiles),
  special("userknownhostsfile", _userHostfiles),
  special("sendenv", _sendEnv),
  special("setenv", _setEnv),
  special("logverbose", _logVerbose),
  special("permitremoteopen", _permitRemoteOpen),
  special("addkeystoagent", _addKeysToAgent),
  special("forwardagent", _forwardAgent),
  time("connecttimeout", "connectionTimeout"),
  special("tunneldevice", _tunnelDevice),
  special("canonicalizepermittedcnames", _permittedCnames),
  special("controlpersist", _controlPersist),
  special("escapechar", _escapeChar),
  special("ipqos", _ipqos),
  special("rekeylimit", _rekeyLimit),
  special("streamlocalbindmask", _streamLocalBindMask),
  special("syslogfacility", _syslogFacility),
  special("proxycommand", _proxyCommand),
  special("proxyjump", _proxyJump),
  // Deprecated, unsupported and ignored keywords: accepted, with a note.
  other("protocol", "ignore"),
  ...[
    "cipher",
    "fallbacktorsh",
    "globalknownhostsfile2",
    "rhostsauthentication",
    "userknownhostsfile2",
    "useroaming",
    "usersh",
    "useprivilegedport",
    "useblacklistedkeys",
  ].map((n) => other(n, "deprecated")),
  ...[
    "afstokenpassing",
    "kerberosauthentication",
    "kerberostgtpassing",
    "rsaauthentication",
    "rhostsrsaauthentication",
    "compressionlevel",
  ].map((n) => other(n, "unsupported")),
];

type _Kinds = (typeof OPTION_TABLE)[number]["kind"];
type _SimpleOptions =
  & { [F in Extract<_Kinds, NumberKind>["f"]]: number }
  & { [F in Extract<_Kinds, StringKind>["f"]]: string | undefined };

/** OpenSSH's client Options (readconf.h): the table's fields and the special ones. */
export type Options = _SpecialOptions & _SimpleOptions;

/** A field of the table that holds a number. */
export type NumberField = Extract<_Kinds, NumberKind>["f"];

/** Options with every field unset. */
export function newOptions(): Options {
  const fields: Record<string, number | undefined> = {};
  for (const { kind } of OPTION_TABLE) {
    if (isNumberKind(kind)) fields[kind.f] = -1;
    else if (isStringKind(kind)) fields[kind.f] = undefined;
  }
  return Object.assign(new _SpecialOptions(), fields) as unknown as Options;
}

export function isNumberKind(k: Kind): k is NumberKind<NumberField> {
  return k.t === "flag" || k.t === "int" || k.t === "time";
}

export function isStringKind(k: Kind): k is StringKind<StringField> {
  return k.t === "string" || k.t === "command" || k.t === "algos";
}

type StringField = Extract<_Kinds, StringKind>["f"];

/** Every keyword by its lower-case name, and the name it prints under. */
const KEYWORDS: Record<string, { kind: _Kinds; name: string }> = {};
for (const { names, kind } of OPTION_TABLE) {
  for (const n of names) KEYWORDS[n] = { kind, name: names[0]! };
}

/** The words of a line, taken one by one; what is left at the end is an error. */
class Args {
  #words: string[];
  constructor(words: readonly string[]) {
    this.#words = [...words];
  }
  next(): string | undefined {
    return this.#words.shift();
  }
  peek(): string | undefined {
    return this.#words[0];
  }
  get length(): number {
    return this.#words.length;
  }
  consume() {
    this.#words = [];
  }
}
/**
 * Apply one line (not Host, Match or Include) to the options. Throws OptionError for a line
 * ssh rejects; returns quietly for a keyword that IgnoreUnknown covers.
 */
export function applyOption(o: Options, k: ConfigWords, c: LineContext) {
  const entry = KEYWORDS[k.keyword];
  if (!entry) {
    if (
      o.ignoredUnknown !== undefined && patternListMatch(k.keyword, o.ignoredUnknown, true) === 1
    ) {
      c.note(`${k.written} (an unknown option, in IgnoreUnknown)`);
      return;
    }
    throw new OptionError(`Bad configuration option: ${k.keyword}`);
  }
  if (k.args === undefined) throw new OptionError("invalid quotes");
  const a = new Args(k.args);
  const kind = entry.kind;
  const setInt = (f: NumberField, v: number) => {
    if (c.active && o[f] === -1) {
      (o[f] as number) = v;
      o.origin.set(entry.name, c.where);
    }
  };
  switch (kind.t) {
    case "ignore":
      a.consume();
      break;
    case "deprecated":
      c.note(`${k.written} (deprecated in OpenSSH)`);
      a.consume();
      break;
    case "unsupported":
      c.note(`${k.written} (unsupported by OpenSSH)`);
      a.consume();
      break;
    case "flag": {
      const arg = a.next();
      if (!arg) throw new OptionError("missing argument");
      const v = multistate(kind.table, arg);
      if (v === -1) throw new OptionError(`unsupported option "${arg}"`);
      setInt(kind.f, v);
      break;
    }
    case "int": {
      const arg = a.next();
      const v = arg ? strtonum(arg, 0, 2 ** 31 - 1) : "missing";
      if (typeof v !== "number") throw new OptionError(`integer value ${v}`);
      setInt(kind.f, v);
      break;
    }
    case "time":
      _time(o, a, c, kind.f, entry.name);
      break;
    case "string": {
      const arg = a.next();
      if (!arg) throw new OptionError("Missing argument");
      if (c.active && o[kind.f] === undefined) {
        (o[kind.f] as string) = arg;
        o.origin.set(entry.name, c.where);
      }
      break;
    }
    case "command": {
      const value = k.rest.replace(/^[ \t\r\n=]+/, "");
      if (c.active && o[kind.f] === undefined) {
        (o[kind.f] as string) = value;
        o.origin.set(entry.name, c.where);
      }
      a.consume();
      break;
    }
    case "algos": {
      const arg = a.next();
      if (!arg) throw new OptionError("Missing argument");
      const signed = kind.signs && /^[+^-]/.test(arg);
      if (!(signed && arg.startsWith("-")) && !kind.check(signed ? arg.slice(1) : arg)) {
        throw new OptionError(`${kind.what} '${arg}'`);
      }
      if (c.active && o[kind.f] === undefined) {
        (o[kind.f] as string) = arg;
        o.origin.set(entry.name, c.where);
      }
      break;
    }
    case "special":
      kind.run(o, a, c, k);
      if (c.active && !o.origin.has(entry.name)) o.origin.set(entry.name, c.where);
      break;
  }
  if (a.length > 0) {
    throw new OptionError(`keyword ${k.keyword} extra arguments at end of line`);
  }
}

function _time<F extends string>(
  o: { [K in F]: number } & { readonly origin: Map<string, string> },
  a: Args,
  c: LineContext,
  f: F,
  name: string,
) {
  const arg = a.next();
  if (!arg) throw new OptionError("missing time value");
  const v = arg === "none" ? -1 : convtime(arg);
  if (v === -1 && arg !== "none") throw new OptionError("invalid time value");
  if (c.active && o[f] === -1) {
    (o[f] as number) = v;
    if (v !== -1) o.origin.set(name, c.where);
  }
}

function _forwardAgent(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("missing argument");
  const v = multistate(FLAG, arg);
  if (v !== -1) {
    if (c.active && o.forwardAgent === -1) o.forwardAgent = v;
    return;
  }
  // Not yes or no: a socket path.
  if (c.active && o.forwardAgent === -1) o.forwardAgent = 1;
  _agentPath(arg, c);
  if (c.active && o.forwardAgentSockPath === undefined) o.forwardAgentSockPath = arg;
}

function _identityAgent(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  _agentPath(arg, c);
  if (c.active && o.identityAgent === undefined) o.identityAgent = arg;
}

/** An agent socket path: its ${VAR}s must be set, a `$NAME` must be a valid name. */
function _agentPath(arg: string, c: LineContext) {
  try {
    expandVars(arg, c.vars);
  } catch (err) {
    if (err instanceof ExpandError) throw new OptionError(`Invalid environment expansion ${arg}`);
    throw err;
  }
  if (arg.startsWith("$") && arg[1] !== "{" && !validEnvName(arg.slice(1))) {
    throw new OptionError(`Invalid environment name ${arg}`);
  }
}

function _identityFile(o: _SpecialOptions, a: Args, c: LineContext) {
  _keyFile(o.identityFiles, "identity", a, c);
}

function _certificateFile(o: _SpecialOptions, a: Args, c: LineContext) {
  _keyFile(o.certificateFiles, "certificate", a, c);
}

function _keyFile(list: NamedFile[], what: string, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  if (!c.active) return;
  if (list.length >= 100) throw new OptionError(`Too many ${what} files specified (max 100)`);
  addFile(list, arg, c.userConfig);
}

/** Add a file unless the same path came from the same kind of config already. */
export function addFile(list: NamedFile[], path: string, userProvided: boolean) {
  if (!list.some((f) => f.path === path && f.userProvided === userProvided)) {
    list.push({ path, userProvided });
  }
}

function _addKeysToAgent(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  const arg2 = a.next();
  let value = arg ? multistate(YES_NO_ASK_CONFIRM, arg) : -1;
  if (!arg) throw new OptionError("missing argument");
  let lifespan = 0;
  if (value === 3 && arg2 !== undefined) {
    lifespan = convtime(arg2);
    if (lifespan === -1) throw new OptionError("invalid time value");
  } else if (value === -1 && arg2 === undefined) {
    lifespan = convtime(arg);
    if (lifespan === -1) throw new OptionError("unsupported option");
    value = 1;
  } else if (value === -1 || arg2 !== undefined) {
    throw new OptionError("unsupported option");
  }
  if (c.active && o.addKeysToAgent === -1) {
    o.addKeysToAgent = value;
    o.addKeysToAgentLifespan = lifespan;
  }
}

function _proxyCommand(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  const value = k.rest.replace(/^[ \t\r\n=]+/, "");
  // A ProxyJump already set made this "none": the first of the two wins.
  if (c.active && o.proxyCommand === undefined) o.proxyCommand = value;
  a.consume();
}

function _proxyJump(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  const value = k.rest.replace(/^[ \t\r\n=]+/, "");
  const jump = parseJump(value, c.cmdline);
  if (!jump) throw new OptionError(`Invalid ProxyJump "${value}"`);
  if (jump.none) {
    if (c.active && o.jumpHost === undefined) {
      o.jumpHost = "none";
      o.jumpPort = 0;
    }
  } else if (c.active && o.proxyCommand === undefined && o.jumpHost === undefined) {
    o.jumpUser = jump.hop.user;
    o.jumpHost = jump.hop.host;
    o.jumpPort = jump.hop.port;
    o.jumpExtra = jump.extra;
    o.proxyCommand = "none";
  }
  a.consume();
}

function _port(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  const v = a2port(arg);
  if (v <= 0) throw new OptionError(`Bad port '${arg}'`);
  if (c.active && o.port === -1) o.port = v;
}

function _forward(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  const remote = k.keyword === "remoteforward";
  let dynamic = k.keyword === "dynamicforward";
  let spec = arg;
  if (!dynamic) {
    const arg2 = a.next();
    if (!arg2) {
      if (remote) dynamic = true;
      else throw new OptionError("Missing target argument");
    } else {
      spec = `${arg}:${arg2}`.slice(0, 255);
    }
  }
  let expanded: string | undefined;
  try {
    expanded = expandVars(spec, c.vars);
  } catch (err) {
    if (!(err instanceof ExpandError)) throw err;
  }
  const fwd = expanded === undefined ? undefined : parseForward(expanded, dynamic, remote);
  if (!fwd) throw new OptionError("Bad forwarding specification");
  if (!c.active) return;
  const list = remote ? o.remoteForwards : o.localForwards;
  if (!list.some((f) => forwardEquals(f, fwd))) list.push(fwd);
}

function _permitRemoteOpen(o: _SpecialOptions, a: Args, c: LineContext) {
  const before = o.permittedRemoteOpens.length;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next(), i++) {
    const lower = arg.toLowerCase();
    if (lower === "none" || lower === "any") {
      if (i > 0 || a.length > 0) {
        throw new OptionError(`keyword permitremoteopen "${arg}" argument must appear alone.`);
      }
    } else {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(arg);
      const host = m?.[1];
      const port = m?.[2];
      if (!host) throw new OptionError("missing host in permitremoteopen");
      if (port === undefined || (port !== "*" && a2port(port) <= 0)) {
        throw new OptionError("bad port number in permitremoteopen");
      }
    }
    if (c.active && before === 0) o.permittedRemoteOpens.push(arg);
  }
  if (i === 0) throw new OptionError("missing permitremoteopen specification");
}

function _escapeChar(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  let v: number;
  const bytes = new TextEncoder().encode(arg);
  if (arg === "none") v = -2;
  else if (bytes.length === 1) v = bytes[0]!;
  else if (bytes.length === 2 && bytes[0] === 0x5e && bytes[1]! >= 64 && bytes[1]! < 128) {
    v = bytes[1]! & 31;
  } else throw new OptionError("Bad escape character");
  if (c.active && o.escapeChar === -1) o.escapeChar = v;
}

function _globalHostfiles(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  _fileList(o.systemHostfiles, a, c, k);
}

function _userHostfiles(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  _fileList(o.userHostfiles, a, c, k);
}

/** readconf.c's check on each word of a list: not empty, and "none" only alone. */
function _listWord(arg: string, i: number, a: Args, k: ConfigWords) {
  if (arg === "") throw new OptionError(`keyword ${k.keyword} empty argument`);
  if (arg.toLowerCase() === "none" && (i > 0 || a.length > 0)) {
    throw new OptionError(`keyword ${k.keyword} "none" argument must appear alone.`);
  }
}

function _fileList(list: string[], a: Args, c: LineContext, k: ConfigWords) {
  const empty = list.length === 0;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    _listWord(arg, i, a, k);
    i++;
    if (c.active && empty) {
      if (list.length >= 32) throw new OptionError(`too many ${k.keyword} entries.`);
      list.push(arg);
    }
  }
}

function _syslogFacility(o: _SpecialOptions, a: Args) {
  const arg = a.next();
  const v = logFacilityNumber(arg);
  if (v === -1) throw new OptionError(`unsupported log facility '${arg ?? "<NONE>"}'`);
  // OpenSSH sets it whether or not the line applies.
  if (o.logFacility === -1) o.logFacility = v;
}

function _logLevel(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  const v = logLevelNumber(arg);
  if (v === -1) throw new OptionError(`unsupported log level '${arg ?? "<NONE>"}'`);
  if (c.active && o.logLevel === -1) o.logLevel = v;
}

function _logVerbose(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    _listWord(arg, i, a, k);
    i++;
    // As OpenSSH does: only while the list is empty, so only a line's first word is kept.
    if (c.active && o.logVerbose.length === 0) o.logVerbose.push(arg);
  }
}

function _rekeyLimit(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument.");
  let v: bigint;
  if (arg === "default") v = 0n;
  else {
    const scaled = scanScaled(arg);
    if (scaled === undefined) throw new OptionError(`Bad number '${arg}'`);
    if (scaled !== 0n && scaled < 16n) throw new OptionError("RekeyLimit too small");
    v = scaled;
  }
  if (c.active && o.rekeyLimit === -1n) o.rekeyLimit = v;
  if (a.length > 0) {
    if (a.peek() === "none") {
      a.next();
      return;
    }
    _time(o, a, c, "rekeyInterval", "rekeylimit");
  }
}

function _sendEnv(o: _SpecialOptions, a: Args, c: LineContext) {
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (arg === "" || arg.includes("=")) throw new OptionError("Invalid environment name.");
    if (!c.active) continue;
    if (arg.startsWith("-")) {
      const pattern = arg.slice(1);
      for (let i = o.sendEnv.length - 1; i >= 0; i--) {
        if (matchPattern(o.sendEnv[i]!, pattern)) o.sendEnv.splice(i, 1);
      }
      continue;
    }
    o.sendEnv.push(arg);
  }
}

function _setEnv(o: _SpecialOptions, a: Args, c: LineContext) {
  const before = o.setEnv.length;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (!arg.includes("=")) throw new OptionError("Invalid SetEnv.");
    if (!c.active || before !== 0) continue;
    const name = arg.slice(0, arg.indexOf("="));
    if (o.setEnv.some((e) => e.startsWith(`${name}=`))) continue;
    o.setEnv.push(arg);
  }
}

function _controlPersist(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing ControlPersist argument.");
  let value: number;
  let timeout = 0;
  if (arg === "no" || arg === "false") value = 0;
  else if (arg === "yes" || arg === "true") value = 1;
  else if ((timeout = convtime(arg)) >= 0) value = 1;
  else throw new OptionError("Bad ControlPersist argument.");
  if (c.active && o.controlPersist === -1) {
    o.controlPersist = value;
    o.controlPersistTimeout = timeout;
  }
}

function _tunnelDevice(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument.");
  const tun = a2tun(arg);
  if (!tun) throw new OptionError("Bad tun device.");
  if (c.active && o.tunLocal === -1) [o.tunLocal, o.tunRemote] = tun;
}

function _ipqos(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  const v = parseIpqos(arg);
  if (v === -1) throw new OptionError(`Bad IPQoS value: ${arg}`);
  const arg2 = a.next();
  const v2 = arg2 === undefined ? v : parseIpqos(arg2);
  if (v2 === -1) throw new OptionError(`Bad IPQoS value: ${arg2}`);
  if (c.active && o.ipQosInteractive === -1) {
    o.ipQosInteractive = v;
    o.ipQosBulk = v2;
  }
}

function _canonicalDomains(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  const had = o.canonicalDomains.length !== 0;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    _listWord(arg, i, a, k);
    i++;
    const d = validDomain(arg, true);
    if (!d.ok) throw new OptionError(d.error);
    if (!c.active || had) continue;
    if (o.canonicalDomains.length >= 32) throw new OptionError("too many hostname suffixes.");
    o.canonicalDomains.push(d.name);
  }
}

function _permittedCnames(o: _SpecialOptions, a: Args, c: LineContext, k: ConfigWords) {
  const had = o.permittedCnames.length !== 0;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    let source: string;
    let target: string;
    if (arg.toLowerCase() === "none") {
      if (i > 0 || a.length > 0) {
        throw new OptionError(`keyword ${k.keyword} "none" argument must appear alone.`);
      }
      source = arg;
      target = "";
    } else if (arg === "*") {
      source = arg;
      target = arg;
    } else {
      const lower = arg.toLowerCase();
      const colon = lower.indexOf(":");
      if (colon < 0 || colon === lower.length - 1) {
        throw new OptionError(`Invalid permitted CNAME "${lower}"`);
      }
      source = lower.slice(0, colon);
      target = lower.slice(colon + 1);
    }
    i++;
    if (!c.active || had) continue;
    if (o.permittedCnames.length >= 32) throw new OptionError("too many permitted CNAMEs.");
    o.permittedCnames.push({ source, target });
  }
}

function _streamLocalBindMask(o: _SpecialOptions, a: Args) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing StreamLocalBindMask argument.");
  const m = /^[ \t\n\v\f\r]*([+-]?[0-7]+)/.exec(arg);
  const v = m ? parseInt(m[1]!, 8) : NaN;
  if (!m || v < 0 || v > 0o777) throw new OptionError("Bad mask.");
  // OpenSSH sets it on every line, applying or not, the last one winning.
  o.streamlocalBindMask = v;
}

function _fingerprintHash(o: _SpecialOptions, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument.");
  const v = digestNumber(arg);
  if (v === -1) throw new OptionError(`Invalid hash algorithm "${arg}".`);
  if (c.active && o.fingerprintHash === -1) o.fingerprintHash = v;
}
