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

/**
 * Gaps and notes for options already filled with their defaults; `hostKeyAlgorithms` is that
 * option as the user wrote it (the filled one holds the default's certificate types).
 */
export function nativeGaps(
  o: Options,
  hostKeyAlgorithms = "",
): { gaps: NativeGap[]; notes: NativeNote[] } {
  const gaps: NativeGap[] = [];
  const notes: NativeNote[] = [];
  // Origins are kept under the keyword in lower case.
  const where = (name: string) => o.origin.get(name.toLowerCase()) ?? "default";
  // A gap when the option has a value that matters; undefined when it does not.
  const gap = (name: string, value: string | undefined, why: string) =>
    value !== undefined && gaps.push({ option: `${name} ${value}`, where: where(name), why });
  const note = (name: string, value: string) =>
    notes.push({ keyword: `${name} ${value}`, where: where(name) });
  const yes = (v: number) => (v === 1 ? "yes" : undefined);
  const set = (name: string, v: string) => (o.origin.has(name.toLowerCase()) ? v : undefined);

  // In this order: the first gap is the reason --ssh=auto gives for using ssh.
  gap("ProxyCommand", o.proxyCommand, "the built-in client runs no proxy command");
  const sharing = o.controlMaster === 0 ? undefined : _controlMaster(o.controlMaster);
  gap("ControlMaster", sharing, "connection sharing");
  gap("ControlPath", o.controlPath, "connection sharing");
  gap("PKCS11Provider", o.pkcs11Provider, "keys on a token");
  const sk = o.skProvider === "internal" ? undefined : o.skProvider;
  gap("SecurityKeyProvider", sk, "security keys");
  gap("CertificateFile", o.certificateFiles[0]?.path, "certificates");
  // A list that asks for host certificates (not one that takes them away).
  const certs = !hostKeyAlgorithms.startsWith("-") && /cert/i.test(hostKeyAlgorithms)
    ? hostKeyAlgorithms
    : undefined;
  gap("HostKeyAlgorithms", certs, "host certificates");
  gap("KnownHostsCommand", o.knownHostsCommand, "it runs a command");
  const canonical = o.canonicalizeHostname === 0
    ? undefined
    : o.canonicalizeHostname === 2
    ? "always"
    : "yes";
  gap("CanonicalizeHostname", canonical, "the built-in client does not look host names up in DNS");
  gap("HostbasedAuthentication", yes(o.hostbasedAuthentication), "host-based login");
  gap("GSSAPIKeyExchange", yes(o.gssKeyex), "Kerberos");
  gap("BindAddress", o.bindAddress, "a chosen source address");
  gap("BindInterface", o.bindInterface, "a chosen source interface");
  const family = o.addressFamily === 0 ? undefined : o.addressFamily === 2 ? "inet" : "inet6";
  gap("AddressFamily", family, "one address family");
  const attempts = o.connectionAttempts > 1 ? String(o.connectionAttempts) : undefined;
  gap("ConnectionAttempts", attempts, "retries");
  gap("CheckHostIP", yes(o.checkHostIp), "the address's host key");
  gap("VerifyHostKeyDNS", o.verifyHostKeyDns === 0 ? undefined : "yes", "host keys from DNS");
  gap("RevokedHostKeys", o.revokedHostKeys, "revoked keys");
  const localhost = yes(o.noHostAuthenticationForLocalhost);
  gap("NoHostAuthenticationForLocalhost", localhost, "no host key check for localhost");
  const pubkeyAlgos = o.pubkeyAcceptedAlgos === undefined
    ? undefined
    : set("PubkeyAcceptedAlgorithms", o.pubkeyAcceptedAlgos);
  gap("PubkeyAcceptedAlgorithms", pubkeyAlgos, "a choice of key types");
  const rekey = set("RekeyLimit", `${o.rekeyLimit} ${o.rekeyInterval}`);
  gap("RekeyLimit", rekey, "rekeying limits");
  gap(
    "RequiredRSASize",
    set("RequiredRSASize", String(o.requiredRsaSize)),
    "an RSA key size limit",
  );

  // No effect on a stream to one session: noted for --debug=ssh.
  const flags: [keyof Options & string, string][] = [
    ["forwardX11", "ForwardX11"],
    ["forwardAgent", "ForwardAgent"],
    ["gssAuthentication", "GSSAPIAuthentication"],
    ["compression", "Compression"],
    ["permitLocalCommand", "PermitLocalCommand"],
    ["visualHostKey", "VisualHostKey"],
    ["forkAfterAuthentication", "ForkAfterAuthentication"],
    ["gatewayPorts", "GatewayPorts"],
  ];
  for (const [field, name] of flags) if (o[field] === 1) note(name, "yes");
  if (o.tunOpen !== 0) note("Tunnel", "yes");
  if (o.localForwards.length) note("LocalForward", "(forwards)");
  if (o.remoteForwards.length) note("RemoteForward", "(forwards)");
  if (o.remoteCommand !== undefined) note("RemoteCommand", o.remoteCommand);
  if (o.localCommand !== undefined) note("LocalCommand", o.localCommand);
  if (o.sendEnv.length) note("SendEnv", o.sendEnv.join(" "));
  if (o.setEnv.length) note("SetEnv", o.setEnv.join(" "));
  if (o.addKeysToAgent !== 0) note("AddKeysToAgent", "yes");
  if (o.kbdInteractiveDevices !== undefined) {
    note("KbdInteractiveDevices", o.kbdInteractiveDevices);
  }
  return { gaps, notes };
}

function _controlMaster(v: number): string {
  return ["no", "yes", "auto", "ask", "autoask"][v] ?? String(v);
}
