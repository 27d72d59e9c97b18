/**
 * Every ssh_config keyword of OpenSSH 9.2 (with Debian's additions) and what a line of it
 * does to the options: readconf.c process_config_line, one case per keyword. Values are
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
import { gssNamesValid, keyNamesValid, namesValid } from "./ssh_config_algorithms.ts";
import { matchPattern, patternListMatch } from "./ssh_patterns.ts";
import { ExpandError, expandVars } from "./ssh_config_expand.ts";

/** A file the options name, and whether a user file (not the system one) named it. */
export interface NamedFile {
  readonly path: string;
  readonly userProvided: boolean;
}

/** OpenSSH's client Options (readconf.h), unset until a line sets them. */
export class Options {
  forwardAgent = -1;
  forwardAgentSockPath: string | undefined;
  forwardX11 = -1;
  forwardX11Trusted = -1;
  forwardX11Timeout = -1;
  clearForwardings = -1;
  exitOnForwardFailure = -1;
  xauthLocation: string | undefined;
  gatewayPorts = -1;
  streamlocalBindMask = -1;
  streamlocalBindUnlink = -1;
  pubkeyAuthentication = -1;
  gssAuthentication = -1;
  gssKeyex = -1;
  gssDelegCreds = -1;
  gssTrustDns = -1;
  gssRenewalRekey = -1;
  gssClientIdentity: string | undefined;
  gssServerIdentity: string | undefined;
  gssKexAlgorithms: string | undefined;
  passwordAuthentication = -1;
  kbdInteractiveAuthentication = -1;
  kbdInteractiveDevices: string | undefined;
  hostbasedAuthentication = -1;
  batchMode = -1;
  checkHostIp = -1;
  strictHostKeyChecking = -1;
  compression = -1;
  tcpKeepAlive = -1;
  port = -1;
  addressFamily = -1;
  connectionAttempts = -1;
  connectionTimeout = -1;
  numberOfPasswordPrompts = -1;
  ciphers: string | undefined;
  macs: string | undefined;
  kexAlgorithms: string | undefined;
  hostKeyAlgorithms: string | undefined;
  caSignAlgorithms: string | undefined;
  identityFiles: NamedFile[] = [];
  certificateFiles: NamedFile[] = [];
  hostname: string | undefined;
  hostKeyAlias: string | undefined;
  proxyCommand: string | undefined;
  jumpUser: string | undefined;
  jumpHost: string | undefined;
  jumpPort = -1;
  jumpExtra: string | undefined;
  user: string | undefined;
  escapeChar = -1;
  systemHostfiles: string[] = [];
  userHostfiles: string[] = [];
  localForwards: Forward[] = [];
  remoteForwards: Forward[] = [];
  permittedRemoteOpens: string[] = [];
  logFacility = -1;
  logLevel = -1;
  logVerbose: string[] = [];
  preferredAuthentications: string | undefined;
  bindAddress: string | undefined;
  bindInterface: string | undefined;
  pkcs11Provider: string | undefined;
  skProvider: string | undefined;
  enableSshKeysign = -1;
  noHostAuthenticationForLocalhost = -1;
  identitiesOnly = -1;
  rekeyLimit = -1n;
  rekeyInterval = -1;
  verifyHostKeyDns = -1;
  serverAliveInterval = -1;
  serverAliveCountMax = -1;
  sendEnv: string[] = [];
  setEnv: string[] = [];
  controlPath: string | undefined;
  controlMaster = -1;
  controlPersist = -1;
  controlPersistTimeout = 0;
  hashKnownHosts = -1;
  tunOpen = -1;
  tunLocal = -1;
  tunRemote = -1;
  localCommand: string | undefined;
  permitLocalCommand = -1;
  remoteCommand: string | undefined;
  addKeysToAgent = -1;
  addKeysToAgentLifespan = -1;
  identityAgent: string | undefined;
  visualHostKey = -1;
  ipQosInteractive = -1;
  ipQosBulk = -1;
  requestTty = -1;
  sessionType = -1;
  stdinNull = -1;
  forkAfterAuthentication = -1;
  proxyUseFdpass = -1;
  ignoredUnknown: string | undefined;
  canonicalDomains: string[] = [];
  permittedCnames: { source: string; target: string }[] = [];
  canonicalizeMaxDots = -1;
  canonicalizeFallbackLocal = -1;
  canonicalizeHostname = -1;
  revokedHostKeys: string | undefined;
  fingerprintHash = -1;
  updateHostkeys = -1;
  hostbasedAcceptedAlgos: string | undefined;
  pubkeyAcceptedAlgos: string | undefined;
  knownHostsCommand: string | undefined;
  requiredRsaSize = -1;
  enableEscapeCommandline = -1;
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

type Kind =
  | { t: "flag"; f: IntField; table?: Multistate }
  | { t: "int"; f: IntField }
  | { t: "time"; f: IntField }
  | { t: "string"; f: StringField }
  | { t: "command"; f: StringField }
  | { t: "algos"; f: StringField; check: (s: string) => boolean; what: string }
  | { t: "special"; run: (o: Options, a: Args, c: LineContext, k: ConfigWords) => void }
  | { t: "deprecated" }
  | { t: "unsupported" }
  | { t: "ignore" };

type IntField = {
  [K in keyof Options]: Options[K] extends number ? K : never;
}[keyof Options];
type StringField = {
  [K in keyof Options]: Options[K] extends string | undefined ? K : never;
}[keyof Options];

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

const flag = (f: IntField, table: Multistate = FLAG): Kind => ({ t: "flag", f, table });
const int = (f: IntField): Kind => ({ t: "int", f });
const time = (f: IntField): Kind => ({ t: "time", f });
const str = (f: StringField): Kind => ({ t: "string", f });
const special = (run: (o: Options, a: Args, c: LineContext, k: ConfigWords) => void): Kind => ({
  t: "special",
  run,
});
const DEPRECATED: Kind = { t: "deprecated" };
const UNSUPPORTED: Kind = { t: "unsupported" };

/** Every keyword ssh knows, by its lower-case name, and the name it prints under. */
const KEYWORDS: Record<string, { kind: Kind; name: string }> = {};

function kw(names: string | string[], kind: Kind) {
  const list = Array.isArray(names) ? names : [names];
  for (const n of list) KEYWORDS[n] = { kind, name: list[0]! };
}

// Deprecated, unsupported and ignored keywords: accepted, with a note.
kw("protocol", { t: "ignore" });
for (
  const n of [
    "cipher",
    "fallbacktorsh",
    "globalknownhostsfile2",
    "rhostsauthentication",
    "userknownhostsfile2",
    "useroaming",
    "usersh",
    "useprivilegedport",
    "useblacklistedkeys",
  ]
) kw(n, DEPRECATED);
for (
  const n of [
    "afstokenpassing",
    "kerberosauthentication",
    "kerberostgtpassing",
    "rsaauthentication",
    "rhostsrsaauthentication",
    "compressionlevel",
  ]
) kw(n, UNSUPPORTED);

kw("forwardagent", special(_forwardAgent));
kw("forwardx11", flag("forwardX11"));
kw("forwardx11trusted", flag("forwardX11Trusted"));
kw("forwardx11timeout", time("forwardX11Timeout"));
kw("exitonforwardfailure", flag("exitOnForwardFailure"));
kw("xauthlocation", str("xauthLocation"));
kw("gatewayports", flag("gatewayPorts"));
kw("passwordauthentication", flag("passwordAuthentication"));
kw(
  [
    "kbdinteractiveauthentication",
    "challengeresponseauthentication",
    "skeyauthentication",
    "tisauthentication",
  ],
  flag("kbdInteractiveAuthentication"),
);
kw("kbdinteractivedevices", str("kbdInteractiveDevices"));
kw(["pubkeyauthentication", "dsaauthentication"], flag("pubkeyAuthentication", PUBKEY_AUTH));
kw("hostbasedauthentication", flag("hostbasedAuthentication"));
kw("gssapiauthentication", flag("gssAuthentication"));
kw("gssapikeyexchange", flag("gssKeyex"));
kw("gssapidelegatecredentials", flag("gssDelegCreds"));
kw("gssapitrustdns", flag("gssTrustDns"));
kw("gssapiclientidentity", str("gssClientIdentity"));
kw("gssapiserveridentity", str("gssServerIdentity"));
kw("gssapirenewalforcesrekey", flag("gssRenewalRekey"));
kw("gssapikexalgorithms", {
  t: "algos",
  f: "gssKexAlgorithms",
  check: gssNamesValid,
  what: "Bad GSSAPI KexAlgorithms",
});
kw(["identityfile", "identityfile2"], special(_identityFile));
kw("identitiesonly", flag("identitiesOnly"));
kw("certificatefile", special(_certificateFile));
kw("addkeystoagent", special(_addKeysToAgent));
kw("identityagent", special(_identityAgent));
kw("hostname", str("hostname"));
kw("hostkeyalias", str("hostKeyAlias"));
kw("proxycommand", special(_proxyCommand));
kw("port", special(_port));
kw("ciphers", {
  t: "algos",
  f: "ciphers",
  check: (s) => namesValid("cipher", s),
  what: "Bad SSH2 cipher spec",
});
kw("macs", {
  t: "algos",
  f: "macs",
  check: (s) => namesValid("mac", s),
  what: "Bad SSH2 MAC spec",
});
kw(["remoteforward", "localforward", "dynamicforward"], special(_forward));
kw("permitremoteopen", special(_permitRemoteOpen));
kw("user", str("user"));
kw("escapechar", special(_escapeChar));
kw("globalknownhostsfile", special((o, a, c, k) => _fileList(o.systemHostfiles, a, c, k)));
kw("userknownhostsfile", special((o, a, c, k) => _fileList(o.userHostfiles, a, c, k)));
kw("connectionattempts", int("connectionAttempts"));
kw("batchmode", flag("batchMode"));
kw("checkhostip", flag("checkHostIp"));
kw("stricthostkeychecking", flag("strictHostKeyChecking", STRICT_HOSTKEY.table));
kw("compression", flag("compression", COMPRESSION));
kw(["tcpkeepalive", "keepalive"], flag("tcpKeepAlive"));
kw("numberofpasswordprompts", int("numberOfPasswordPrompts"));
kw("syslogfacility", special(_syslogFacility));
kw("loglevel", special(_logLevel));
kw("logverbose", special(_logVerbose));
kw("preferredauthentications", str("preferredAuthentications"));
kw("hostkeyalgorithms", {
  t: "algos",
  f: "hostKeyAlgorithms",
  check: keyNamesValid,
  what: "Bad key types",
});
kw("casignaturealgorithms", {
  t: "algos",
  f: "caSignAlgorithms",
  check: keyNamesValid,
  what: "Bad key types",
});
kw("bindaddress", str("bindAddress"));
kw("bindinterface", str("bindInterface"));
kw(["pkcs11provider", "smartcarddevice"], str("pkcs11Provider"));
kw("clearallforwardings", flag("clearForwardings"));
kw("enablesshkeysign", flag("enableSshKeysign"));
kw("verifyhostkeydns", flag("verifyHostKeyDns", YES_NO_ASK));
kw("nohostauthenticationforlocalhost", flag("noHostAuthenticationForLocalhost"));
kw("rekeylimit", special(_rekeyLimit));
kw("connecttimeout", time("connectionTimeout"));
kw("addressfamily", flag("addressFamily", ADDRESS_FAMILY));
// ProtocolKeepAlives and SetupTimeOut: Debian's names for ServerAliveInterval.
kw(["serveraliveinterval", "protocolkeepalives", "setuptimeout"], time("serverAliveInterval"));
kw("serveralivecountmax", int("serverAliveCountMax"));
kw("sendenv", special(_sendEnv));
kw("setenv", special(_setEnv));
kw("controlpath", str("controlPath"));
kw("controlmaster", flag("controlMaster", CONTROL_MASTER));
kw("controlpersist", special(_controlPersist));
kw("hashknownhosts", flag("hashKnownHosts"));
kw("tunnel", flag("tunOpen", TUNNEL));
kw("tunneldevice", special(_tunnelDevice));
kw("localcommand", { t: "command", f: "localCommand" });
kw("permitlocalcommand", flag("permitLocalCommand"));
kw("remotecommand", { t: "command", f: "remoteCommand" });
kw("visualhostkey", flag("visualHostKey"));
kw("kexalgorithms", {
  t: "algos",
  f: "kexAlgorithms",
  check: (s) => namesValid("kex", s),
  what: "Bad SSH2 KexAlgorithms",
});
kw("ipqos", special(_ipqos));
kw("requesttty", flag("requestTty", REQUEST_TTY));
kw("sessiontype", flag("sessionType", SESSION_TYPE));
kw("stdinnull", flag("stdinNull"));
kw("forkafterauthentication", flag("forkAfterAuthentication"));
kw("proxyusefdpass", flag("proxyUseFdpass"));
kw("canonicaldomains", special(_canonicalDomains));
kw("canonicalizefallbacklocal", flag("canonicalizeFallbackLocal"));
kw("canonicalizehostname", flag("canonicalizeHostname", CANONICALIZE));
kw("canonicalizemaxdots", int("canonicalizeMaxDots"));
kw("canonicalizepermittedcnames", special(_permittedCnames));
kw("streamlocalbindmask", special(_streamLocalBindMask));
kw("streamlocalbindunlink", flag("streamlocalBindUnlink"));
kw("revokedhostkeys", str("revokedHostKeys"));
kw("fingerprinthash", special(_fingerprintHash));
kw("updatehostkeys", flag("updateHostkeys", YES_NO_ASK));
kw(["hostbasedacceptedalgorithms", "hostbasedkeytypes"], {
  t: "algos",
  f: "hostbasedAcceptedAlgos",
  check: keyNamesValid,
  what: "Bad key types",
});
kw(["pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes"], {
  t: "algos",
  f: "pubkeyAcceptedAlgos",
  check: keyNamesValid,
  what: "Bad key types",
});
kw("ignoreunknown", str("ignoredUnknown"));
kw("proxyjump", special(_proxyJump));
kw("securitykeyprovider", str("skProvider"));
kw("knownhostscommand", { t: "command", f: "knownHostsCommand" });
kw("requiredrsasize", int("requiredRsaSize"));
kw("enableescapecommandline", flag("enableEscapeCommandline"));

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
  const setInt = (f: IntField, v: number) => {
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
      const v = multistate(kind.table ?? FLAG, arg);
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
      if (!arg.startsWith("-") && !kind.check(/^[+^]/.test(arg) ? arg.slice(1) : arg)) {
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

function _time(o: Options, a: Args, c: LineContext, f: IntField, name: string) {
  const arg = a.next();
  if (!arg) throw new OptionError("missing time value");
  const v = arg === "none" ? -1 : convtime(arg);
  if (v === -1 && arg !== "none") throw new OptionError("invalid time value");
  if (c.active && o[f] === -1) {
    (o[f] as number) = v;
    if (v !== -1) o.origin.set(name, c.where);
  }
}

function _forwardAgent(o: Options, a: Args, c: LineContext) {
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

function _identityAgent(o: Options, a: Args, c: LineContext) {
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

function _identityFile(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  if (!c.active) return;
  if (o.identityFiles.length >= 100) {
    throw new OptionError("Too many identity files specified (max 100)");
  }
  addFile(o.identityFiles, arg, c.userConfig);
}

function _certificateFile(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  if (!c.active) return;
  if (o.certificateFiles.length >= 100) {
    throw new OptionError("Too many certificate files specified (max 100)");
  }
  addFile(o.certificateFiles, arg, c.userConfig);
}

/** Add a file unless the same path came from the same kind of config already. */
export function addFile(list: NamedFile[], path: string, userProvided: boolean) {
  if (!list.some((f) => f.path === path && f.userProvided === userProvided)) {
    list.push({ path, userProvided });
  }
}

function _addKeysToAgent(o: Options, a: Args, c: LineContext) {
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

function _proxyCommand(o: Options, a: Args, c: LineContext, k: ConfigWords) {
  const value = k.rest.replace(/^[ \t\r\n=]+/, "");
  // A ProxyJump already set made this "none": the first of the two wins.
  if (c.active && o.proxyCommand === undefined) o.proxyCommand = value;
  a.consume();
}

function _proxyJump(o: Options, a: Args, c: LineContext, k: ConfigWords) {
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

function _port(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument");
  const v = a2port(arg);
  if (v <= 0) throw new OptionError(`Bad port '${arg}'`);
  if (c.active && o.port === -1) o.port = v;
}

function _forward(o: Options, a: Args, c: LineContext, k: ConfigWords) {
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

function _permitRemoteOpen(o: Options, a: Args, c: LineContext) {
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

function _escapeChar(o: Options, a: Args, c: LineContext) {
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

function _fileList(list: string[], a: Args, c: LineContext, k: ConfigWords) {
  const empty = list.length === 0;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (arg === "") throw new OptionError(`keyword ${k.keyword} empty argument`);
    if (arg.toLowerCase() === "none" && (i > 0 || a.length > 0)) {
      throw new OptionError(`keyword ${k.keyword} "none" argument must appear alone.`);
    }
    i++;
    if (c.active && empty) {
      if (list.length >= 32) throw new OptionError(`too many ${k.keyword} entries.`);
      list.push(arg);
    }
  }
}

function _syslogFacility(o: Options, a: Args) {
  const arg = a.next();
  const v = logFacilityNumber(arg);
  if (v === -1) throw new OptionError(`unsupported log facility '${arg ?? "<NONE>"}'`);
  // OpenSSH sets it whether or not the line applies.
  if (o.logFacility === -1) o.logFacility = v;
}

function _logLevel(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  const v = logLevelNumber(arg);
  if (v === -1) throw new OptionError(`unsupported log level '${arg ?? "<NONE>"}'`);
  if (c.active && o.logLevel === -1) o.logLevel = v;
}

function _logVerbose(o: Options, a: Args, c: LineContext, k: ConfigWords) {
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (arg === "") throw new OptionError(`keyword ${k.keyword} empty argument`);
    if (arg.toLowerCase() === "none" && (i > 0 || a.length > 0)) {
      throw new OptionError(`keyword ${k.keyword} "none" argument must appear alone.`);
    }
    i++;
    // As OpenSSH does: only while the list is empty, so only a line's first word is kept.
    if (c.active && o.logVerbose.length === 0) o.logVerbose.push(arg);
  }
}

function _rekeyLimit(o: Options, a: Args, c: LineContext) {
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

function _sendEnv(o: Options, a: Args, c: LineContext) {
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

function _setEnv(o: Options, a: Args, c: LineContext) {
  const before = o.setEnv.length;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (!arg.includes("=")) throw new OptionError("Invalid SetEnv.");
    if (!c.active || before !== 0) continue;
    const name = arg.slice(0, arg.indexOf("="));
    if (o.setEnv.some((e) => e.startsWith(`${name}=`))) continue;
    o.setEnv.push(arg);
  }
}

function _controlPersist(o: Options, a: Args, c: LineContext) {
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

function _tunnelDevice(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument.");
  const tun = a2tun(arg);
  if (!tun) throw new OptionError("Bad tun device.");
  if (c.active && o.tunLocal === -1) [o.tunLocal, o.tunRemote] = tun;
}

function _ipqos(o: Options, a: Args, c: LineContext) {
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

function _canonicalDomains(o: Options, a: Args, c: LineContext, k: ConfigWords) {
  const had = o.canonicalDomains.length !== 0;
  let i = 0;
  for (let arg = a.next(); arg !== undefined; arg = a.next()) {
    if (arg === "") throw new OptionError(`keyword ${k.keyword} empty argument`);
    if (arg.toLowerCase() === "none" && (i > 0 || a.length > 0)) {
      throw new OptionError(`keyword ${k.keyword} "none" argument must appear alone.`);
    }
    i++;
    const d = validDomain(arg, true);
    if (!d.ok) throw new OptionError(d.error);
    if (!c.active || had) continue;
    if (o.canonicalDomains.length >= 32) throw new OptionError("too many hostname suffixes.");
    o.canonicalDomains.push(d.name);
  }
}

function _permittedCnames(o: Options, a: Args, c: LineContext, k: ConfigWords) {
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

function _streamLocalBindMask(o: Options, a: Args) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing StreamLocalBindMask argument.");
  const m = /^[ \t\n\v\f\r]*([+-]?[0-7]+)/.exec(arg);
  const v = m ? parseInt(m[1]!, 8) : NaN;
  if (!m || v < 0 || v > 0o777) throw new OptionError("Bad mask.");
  // OpenSSH sets it on every line, applying or not, the last one winning.
  o.streamlocalBindMask = v;
}

function _fingerprintHash(o: Options, a: Args, c: LineContext) {
  const arg = a.next();
  if (!arg) throw new OptionError("Missing argument.");
  const v = digestNumber(arg);
  if (v === -1) throw new OptionError(`Invalid hash algorithm "${arg}".`);
  if (c.active && o.fingerprintHash === -1) o.fingerprintHash = v;
}
