/**
 * What the built-in client does with each ssh_config option it does not act on: either
 * only `ssh` can honour it (a gap: `--ssh=auto` then uses ssh, `--ssh=native` refuses), or it
 * has no effect on a byte stream to one session (a note for --debug=ssh).
 */

import type { Options } from "./ssh_config_options.ts";

/** An option only ssh can honour, and where the config set it. */
export interface NativeGap {
  /** The option and its value as written, e.g. `ProxyCommand nc %h %p`. */
  readonly option: string;
  /** "FILE line N", "-o ...", or "default". */
  readonly where: string;
  readonly why: string;
}

/** An option the built-in client does not use, as a note. */
export interface NativeNote {
  readonly keyword: string;
  readonly where: string;
}

/** Gaps and notes for options already filled with their defaults. */
export function nativeGaps(o: Options): { gaps: NativeGap[]; notes: NativeNote[] } {
  const gaps: NativeGap[] = [];
  const notes: NativeNote[] = [];
  const where = (keyword: string) => o.origin.get(keyword) ?? "default";
  const gap = (keyword: string, name: string, value: string, why: string) =>
    gaps.push({ option: `${name} ${value}`, where: where(keyword), why });
  const note = (keyword: string, name: string, value: string) =>
    notes.push({ keyword: `${name} ${value}`, where: where(keyword) });

  if (o.proxyCommand !== undefined) {
    gap(
      "proxycommand",
      "ProxyCommand",
      o.proxyCommand,
      "the built-in client runs no proxy command",
    );
  }
  if (o.controlMaster !== 0) {
    gap("controlmaster", "ControlMaster", _controlMaster(o.controlMaster), "connection sharing");
  }
  if (o.controlPath !== undefined) {
    gap("controlpath", "ControlPath", o.controlPath, "connection sharing");
  }
  if (o.pkcs11Provider !== undefined) {
    gap("pkcs11provider", "PKCS11Provider", o.pkcs11Provider, "keys on a token");
  }
  if (o.skProvider !== undefined && o.skProvider !== "internal") {
    gap("securitykeyprovider", "SecurityKeyProvider", o.skProvider, "security keys");
  }
  if (o.certificateFiles.length) {
    gap("certificatefile", "CertificateFile", o.certificateFiles[0]!.path, "certificates");
  }
  if (o.knownHostsCommand !== undefined) {
    gap("knownhostscommand", "KnownHostsCommand", o.knownHostsCommand, "it runs a command");
  }
  if (o.canonicalizeHostname !== 0) {
    gap(
      "canonicalizehostname",
      "CanonicalizeHostname",
      o.canonicalizeHostname === 2 ? "always" : "yes",
      "the built-in client does not look host names up in DNS",
    );
  }
  if (o.hostbasedAuthentication === 1) {
    gap("hostbasedauthentication", "HostbasedAuthentication", "yes", "host-based login");
  }
  if (o.gssKeyex === 1) gap("gssapikeyexchange", "GSSAPIKeyExchange", "yes", "Kerberos");
  if (o.bindAddress !== undefined) {
    gap("bindaddress", "BindAddress", o.bindAddress, "a chosen source address");
  }
  if (o.bindInterface !== undefined) {
    gap("bindinterface", "BindInterface", o.bindInterface, "a chosen source interface");
  }
  if (o.addressFamily !== 0) {
    gap(
      "addressfamily",
      "AddressFamily",
      o.addressFamily === 2 ? "inet" : "inet6",
      "one address family",
    );
  }
  if (o.connectionAttempts > 1) {
    gap("connectionattempts", "ConnectionAttempts", String(o.connectionAttempts), "retries");
  }
  if (o.checkHostIp === 1) gap("checkhostip", "CheckHostIP", "yes", "the address's host key");
  if (o.verifyHostKeyDns !== 0) {
    gap("verifyhostkeydns", "VerifyHostKeyDNS", "yes", "host keys from DNS");
  }
  if (o.revokedHostKeys !== undefined) {
    gap("revokedhostkeys", "RevokedHostKeys", o.revokedHostKeys, "revoked keys");
  }
  if (o.noHostAuthenticationForLocalhost === 1) {
    gap(
      "nohostauthenticationforlocalhost",
      "NoHostAuthenticationForLocalhost",
      "yes",
      "no host key check for localhost",
    );
  }
  if (o.pubkeyAcceptedAlgos !== undefined && o.origin.has("pubkeyacceptedalgorithms")) {
    gap(
      "pubkeyacceptedalgorithms",
      "PubkeyAcceptedAlgorithms",
      o.pubkeyAcceptedAlgos,
      "a choice of key types",
    );
  }
  if (o.origin.has("rekeylimit")) {
    gap("rekeylimit", "RekeyLimit", `${o.rekeyLimit} ${o.rekeyInterval}`, "rekeying limits");
  }
  if (o.origin.has("requiredrsasize")) {
    gap("requiredrsasize", "RequiredRSASize", String(o.requiredRsaSize), "an RSA key size limit");
  }

  // No effect on a stream to one session: noted for --debug=ssh.
  const flags: [keyof Options & string, string, string][] = [
    ["forwardX11", "forwardx11", "ForwardX11"],
    ["forwardAgent", "forwardagent", "ForwardAgent"],
    ["gssAuthentication", "gssapiauthentication", "GSSAPIAuthentication"],
    ["compression", "compression", "Compression"],
    ["permitLocalCommand", "permitlocalcommand", "PermitLocalCommand"],
    ["visualHostKey", "visualhostkey", "VisualHostKey"],
    ["forkAfterAuthentication", "forkafterauthentication", "ForkAfterAuthentication"],
    ["gatewayPorts", "gatewayports", "GatewayPorts"],
  ];
  for (const [field, keyword, name] of flags) if (o[field] === 1) note(keyword, name, "yes");
  if (o.tunOpen !== 0) note("tunnel", "Tunnel", "yes");
  if (o.localForwards.length) note("localforward", "LocalForward", "(forwards)");
  if (o.remoteForwards.length) note("remoteforward", "RemoteForward", "(forwards)");
  if (o.remoteCommand !== undefined) note("remotecommand", "RemoteCommand", o.remoteCommand);
  if (o.localCommand !== undefined) note("localcommand", "LocalCommand", o.localCommand);
  if (o.sendEnv.length) note("sendenv", "SendEnv", o.sendEnv.join(" "));
  if (o.setEnv.length) note("setenv", "SetEnv", o.setEnv.join(" "));
  if (o.addKeysToAgent !== 0) note("addkeystoagent", "AddKeysToAgent", "yes");
  if (o.kbdInteractiveDevices !== undefined) {
    note("kbdinteractivedevices", "KbdInteractiveDevices", o.kbdInteractiveDevices);
  }
  return { gaps, notes };
}

function _controlMaster(v: number): string {
  return ["no", "yes", "auto", "ask", "autoask"][v] ?? String(v);
}
