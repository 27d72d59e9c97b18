/**
 * The effective options, keyword and value, in the order and spelling of `ssh -G`
 * (readconf.c dump_client_config, with the lines Debian's GSSAPI key exchange adds).
 */

import {
  isNumberKind,
  isStringKind,
  type NumberKind,
  OPTION_TABLE,
  type Options,
} from "./ssh_config_options.ts";
import {
  digestName,
  FLAG,
  type Forward,
  iptos2str,
  logFacilityName,
  logLevelName,
  multistateName,
  PORT_STREAMLOCAL,
  TUNID_ANY,
  visChar,
  YES_NO,
  YES_NO_ASK_CONFIRM,
} from "./ssh_config_values.ts";

/** One printed line. */
export type PrintedOption = readonly [keyword: string, value: string];

type Line = (keyword: string, value: string) => void;

/** The keywords with a parser of their own print in their own way too. */
const SPECIAL: Record<string, (o: Options, line: Line) => void> = {
  port: (o, line) => line("port", String(o.port)),
  fingerprinthash: (o, line) => line("fingerprinthash", digestName(o.fingerprintHash)),
  identityagent: (o, line) =>
    o.identityAgent !== undefined && line("identityagent", o.identityAgent),
  // ssh -G names level 0 (QUIET, -q) SILENT.
  loglevel: (o, line) => line("loglevel", o.logLevel === 0 ? "SILENT" : logLevelName(o.logLevel)),
  remoteforward: (o, line) => {
    for (const f of o.localForwards) {
      if (f.connectHost === undefined || f.connectHost === "socks") {
        line("dynamicforward", _listen(f));
      }
    }
    for (const f of o.localForwards) {
      if (f.connectHost !== "socks") line("localforward", `${_listen(f)} ${_connect(f)}`);
    }
    for (const f of o.remoteForwards) line("remoteforward", `${_listen(f)} ${_connect(f)}`);
  },
  identityfile: (o, line) => o.identityFiles.forEach((f) => line("identityfile", f.path)),
  canonicaldomains: (o, line) =>
    line("canonicaldomains", o.canonicalDomains.length ? o.canonicalDomains.join(" ") : "none"),
  certificatefile: (o, line) => o.certificateFiles.forEach((f) => line("certificatefile", f.path)),
  globalknownhostsfile: (o, line) =>
    line("globalknownhostsfile", o.systemHostfiles.join(" ") || "none"),
  userknownhostsfile: (o, line) => line("userknownhostsfile", o.userHostfiles.join(" ") || "none"),
  sendenv: (o, line) => o.sendEnv.forEach((e) => line("sendenv", e)),
  setenv: (o, line) => o.setEnv.forEach((e) => line("setenv", e)),
  logverbose: (o, line) => line("logverbose", o.logVerbose.join(" ") || "none"),
  permitremoteopen: (o, line) =>
    line("permitremoteopen", o.permittedRemoteOpens.join(" ") || "any"),
  addkeystoagent: (o, line) =>
    line(
      "addkeystoagent",
      o.addKeysToAgentLifespan <= 0
        ? multistateName(YES_NO_ASK_CONFIRM, o.addKeysToAgent)
        : `${o.addKeysToAgent === 3 ? "confirm " : ""}${o.addKeysToAgentLifespan}`,
    ),
  forwardagent: (o, line) =>
    line("forwardagent", o.forwardAgentSockPath ?? multistateName(YES_NO, o.forwardAgent)),
  tunneldevice: (o, line) => {
    const tun = (v: number) => (v === TUNID_ANY ? "any" : String(v));
    line("tunneldevice", `${tun(o.tunLocal)}:${tun(o.tunRemote)}`);
  },
  canonicalizepermittedcnames: (o, line) =>
    line(
      "canonicalizePermittedcnames",
      o.permittedCnames.map((c) => `${c.source}:${c.target}`).join(" ") || "none",
    ),
  controlpersist: (o, line) =>
    line(
      "controlpersist",
      o.controlPersist === 0 || o.controlPersistTimeout === 0
        ? multistateName(YES_NO, o.controlPersist)
        : String(o.controlPersistTimeout),
    ),
  escapechar: (o, line) => line("escapechar", o.escapeChar === -2 ? "none" : visChar(o.escapeChar)),
  ipqos: (o, line) => line("ipqos", `${iptos2str(o.ipQosInteractive)} ${iptos2str(o.ipQosBulk)}`),
  rekeylimit: (o, line) => line("rekeylimit", `${o.rekeyLimit} ${o.rekeyInterval}`),
  streamlocalbindmask: (o, line) =>
    line("streamlocalbindmask", `0${o.streamlocalBindMask.toString(8)}`),
  syslogfacility: (o, line) => line("syslogfacility", logFacilityName(o.logFacility)),
  proxycommand: (o, line) => {
    if (o.jumpHost === undefined && o.proxyCommand !== undefined) {
      line("proxycommand", o.proxyCommand);
    }
  },
  proxyjump: (o, line) => {
    if (o.jumpHost === undefined) return;
    const numeric = o.jumpHost.includes(":") || /^[0-9.]*$/.test(o.jumpHost);
    line(
      "proxyjump",
      `${o.jumpExtra !== undefined ? `${o.jumpExtra},` : ""}${
        o.jumpUser !== undefined ? `${o.jumpUser}@` : ""
      }${numeric ? `[${o.jumpHost}]` : o.jumpHost}${o.jumpPort > 0 ? `:${o.jumpPort}` : ""}`,
    );
  },
};

/** The lines of `ssh -G` for options already filled with their defaults. */
export function printOptions(o: Options, hostArg: string, host: string): PrintedOption[] {
  const out: [string, string][] = [];
  const line: Line = (k, v) => out.push([k, v]);
  line("host", hostArg);
  for (const { names: [keyword], kind } of OPTION_TABLE) {
    if (keyword === "hostname") line("hostname", host);
    else if (isNumberKind(kind)) line(keyword!, _number(kind, o[kind.f]));
    else if (isStringKind(kind)) {
      const v = o[kind.f];
      if (v !== undefined) line(keyword!, v);
    } else if (kind.t === "special") SPECIAL[keyword!]?.(o, line);
  }
  return out;
}

/** readconf.c fmt_intarg: a plain flag as yes or no, a multistate as its word. */
function _number(kind: NumberKind, v: number): string {
  if (kind.t === "flag") return multistateName(kind.table === FLAG ? YES_NO : kind.table, v);
  return kind.t === "time" && v === -1 ? "none" : String(v);
}

function _listen(f: Forward): string {
  if (f.listenPort === PORT_STREAMLOCAL) return f.listenPath ?? "";
  if (f.listenHost === undefined) return String(f.listenPort);
  return `[${f.listenHost}]:${f.listenPort}`;
}

function _connect(f: Forward): string {
  if (f.connectPort === PORT_STREAMLOCAL) return f.connectPath ?? "";
  if (f.connectHost === undefined) return String(f.connectPort);
  return `[${f.connectHost}]:${f.connectPort}`;
}
