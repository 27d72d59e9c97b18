/**
 * The effective options, keyword and value, in the order and spelling of `ssh -G`
 * (readconf.c dump_client_config, with the lines Debian's GSSAPI key exchange adds).
 */

import type { Options } from "./ssh_config_options.ts";
import {
  ADDRESS_FAMILY,
  CANONICALIZE,
  CONTROL_MASTER,
  digestName,
  type Forward,
  iptos2str,
  logFacilityName,
  logLevelName,
  type Multistate,
  multistateName,
  PORT_STREAMLOCAL,
  PUBKEY_AUTH,
  REQUEST_TTY,
  SESSION_TYPE,
  STRICT_HOSTKEY,
  TUNID_ANY,
  TUNNEL,
  visChar,
  YES_NO_ASK,
  YES_NO_ASK_CONFIRM,
} from "./ssh_config_values.ts";

/** One printed line. */
export type PrintedOption = readonly [keyword: string, value: string];

/** The lines of `ssh -G` for options already filled with their defaults. */
export function printOptions(o: Options, hostArg: string, host: string): PrintedOption[] {
  const out: [string, string][] = [];
  const line = (k: string, v: string) => out.push([k, v]);
  const yesNo = (k: string, v: number) => line(k, v === 0 ? "no" : v === 1 ? "yes" : "UNKNOWN");
  const state = (k: string, v: number, t: Multistate) => line(k, multistateName(t, v));
  const str = (k: string, v: string | undefined) => v !== undefined && line(k, v);

  line("host", hostArg);
  str("user", o.user);
  line("hostname", host);
  line("port", String(o.port));

  state("addressfamily", o.addressFamily, ADDRESS_FAMILY);
  yesNo("batchmode", o.batchMode);
  yesNo("canonicalizefallbacklocal", o.canonicalizeFallbackLocal);
  state("canonicalizehostname", o.canonicalizeHostname, CANONICALIZE);
  yesNo("checkhostip", o.checkHostIp);
  yesNo("compression", o.compression);
  state("controlmaster", o.controlMaster, CONTROL_MASTER);
  yesNo("enablesshkeysign", o.enableSshKeysign);
  yesNo("clearallforwardings", o.clearForwardings);
  yesNo("exitonforwardfailure", o.exitOnForwardFailure);
  line("fingerprinthash", digestName(o.fingerprintHash));
  yesNo("forwardx11", o.forwardX11);
  yesNo("forwardx11trusted", o.forwardX11Trusted);
  yesNo("gatewayports", o.gatewayPorts);
  yesNo("gssapiauthentication", o.gssAuthentication);
  yesNo("gssapikeyexchange", o.gssKeyex);
  yesNo("gssapidelegatecredentials", o.gssDelegCreds);
  yesNo("gssapitrustdns", o.gssTrustDns);
  yesNo("gssapirenewalforcesrekey", o.gssRenewalRekey);
  str("gssapiclientidentity", o.gssClientIdentity);
  str("gssapiserveridentity", o.gssServerIdentity);
  str("gssapikexalgorithms", o.gssKexAlgorithms);
  yesNo("hashknownhosts", o.hashKnownHosts);
  yesNo("hostbasedauthentication", o.hostbasedAuthentication);
  yesNo("identitiesonly", o.identitiesOnly);
  yesNo("kbdinteractiveauthentication", o.kbdInteractiveAuthentication);
  yesNo("nohostauthenticationforlocalhost", o.noHostAuthenticationForLocalhost);
  yesNo("passwordauthentication", o.passwordAuthentication);
  yesNo("permitlocalcommand", o.permitLocalCommand);
  yesNo("proxyusefdpass", o.proxyUseFdpass);
  state("pubkeyauthentication", o.pubkeyAuthentication, PUBKEY_AUTH);
  state("requesttty", o.requestTty, REQUEST_TTY);
  state("sessiontype", o.sessionType, SESSION_TYPE);
  yesNo("stdinnull", o.stdinNull);
  yesNo("forkafterauthentication", o.forkAfterAuthentication);
  yesNo("streamlocalbindunlink", o.streamlocalBindUnlink);
  state("stricthostkeychecking", o.strictHostKeyChecking, STRICT_HOSTKEY.table);
  yesNo("tcpkeepalive", o.tcpKeepAlive);
  state("tunnel", o.tunOpen, TUNNEL);
  state("verifyhostkeydns", o.verifyHostKeyDns, YES_NO_ASK);
  yesNo("visualhostkey", o.visualHostKey);
  state("updatehostkeys", o.updateHostkeys, YES_NO_ASK);
  yesNo("enableescapecommandline", o.enableEscapeCommandline);

  line("canonicalizemaxdots", String(o.canonicalizeMaxDots));
  line("connectionattempts", String(o.connectionAttempts));
  line("forwardx11timeout", String(o.forwardX11Timeout));
  line("numberofpasswordprompts", String(o.numberOfPasswordPrompts));
  line("serveralivecountmax", String(o.serverAliveCountMax));
  line("serveraliveinterval", String(o.serverAliveInterval));
  line("requiredrsasize", String(o.requiredRsaSize));

  str("bindaddress", o.bindAddress);
  str("bindinterface", o.bindInterface);
  str("ciphers", o.ciphers);
  str("controlpath", o.controlPath);
  str("hostkeyalgorithms", o.hostKeyAlgorithms);
  str("hostkeyalias", o.hostKeyAlias);
  str("hostbasedacceptedalgorithms", o.hostbasedAcceptedAlgos);
  str("identityagent", o.identityAgent);
  str("ignoreunknown", o.ignoredUnknown);
  str("kbdinteractivedevices", o.kbdInteractiveDevices);
  str("kexalgorithms", o.kexAlgorithms);
  str("casignaturealgorithms", o.caSignAlgorithms);
  str("localcommand", o.localCommand);
  str("remotecommand", o.remoteCommand);
  line("loglevel", logLevelName(o.logLevel));
  str("macs", o.macs);
  str("pkcs11provider", o.pkcs11Provider);
  str("securitykeyprovider", o.skProvider);
  str("preferredauthentications", o.preferredAuthentications);
  str("pubkeyacceptedalgorithms", o.pubkeyAcceptedAlgos);
  str("revokedhostkeys", o.revokedHostKeys);
  str("xauthlocation", o.xauthLocation);
  str("knownhostscommand", o.knownHostsCommand);

  for (const f of o.localForwards) {
    if (f.connectHost === undefined || f.connectHost === "socks") {
      line("dynamicforward", _listen(f));
    }
  }
  for (const f of o.localForwards) {
    if (f.connectHost !== "socks") line("localforward", `${_listen(f)} ${_connect(f)}`);
  }
  for (const f of o.remoteForwards) line("remoteforward", `${_listen(f)} ${_connect(f)}`);

  for (const f of o.identityFiles) line("identityfile", f.path);
  line("canonicaldomains", o.canonicalDomains.length ? o.canonicalDomains.join(" ") : "none");
  for (const f of o.certificateFiles) line("certificatefile", f.path);
  line("globalknownhostsfile", o.systemHostfiles.join(" ") || "none");
  line("userknownhostsfile", o.userHostfiles.join(" ") || "none");
  for (const e of o.sendEnv) line("sendenv", e);
  for (const e of o.setEnv) line("setenv", e);
  line("logverbose", o.logVerbose.join(" ") || "none");

  line("permitremoteopen", o.permittedRemoteOpens.join(" ") || "any");
  if (o.addKeysToAgentLifespan <= 0) {
    state("addkeystoagent", o.addKeysToAgent, YES_NO_ASK_CONFIRM);
  } else {
    out.push([
      "addkeystoagent",
      `${o.addKeysToAgent === 3 ? "confirm " : ""}${o.addKeysToAgentLifespan}`,
    ]);
  }
  if (o.forwardAgentSockPath === undefined) yesNo("forwardagent", o.forwardAgent);
  else line("forwardagent", o.forwardAgentSockPath);
  line("connecttimeout", o.connectionTimeout === -1 ? "none" : String(o.connectionTimeout));
  const tun = (v: number) => (v === TUNID_ANY ? "any" : String(v));
  line("tunneldevice", `${tun(o.tunLocal)}:${tun(o.tunRemote)}`);
  line(
    "canonicalizePermittedcnames",
    o.permittedCnames.map((c) => `${c.source}:${c.target}`).join(" ") || "none",
  );
  if (o.controlPersist === 0 || o.controlPersistTimeout === 0) {
    yesNo("controlpersist", o.controlPersist);
  } else line("controlpersist", String(o.controlPersistTimeout));
  line("escapechar", o.escapeChar === -2 ? "none" : visChar(o.escapeChar));
  line("ipqos", `${iptos2str(o.ipQosInteractive)} ${iptos2str(o.ipQosBulk)}`);
  line("rekeylimit", `${o.rekeyLimit} ${o.rekeyInterval}`);
  line("streamlocalbindmask", `0${o.streamlocalBindMask.toString(8)}`);
  line("syslogfacility", logFacilityName(o.logFacility));
  if (o.jumpHost === undefined) str("proxycommand", o.proxyCommand);
  else {
    const numeric = o.jumpHost.includes(":") || /^[0-9.]*$/.test(o.jumpHost);
    line(
      "proxyjump",
      `${o.jumpExtra !== undefined ? `${o.jumpExtra},` : ""}${
        o.jumpUser !== undefined ? `${o.jumpUser}@` : ""
      }${numeric ? `[${o.jumpHost}]` : o.jumpHost}${o.jumpPort > 0 ? `:${o.jumpPort}` : ""}`,
    );
  }
  return out;
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
