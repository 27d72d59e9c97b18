/**
 * Defaults filled last, as OpenSSH 9.2 fills them (readconf.c fill_default_options), with
 * Debian's: ForwardX11Trusted, the older IPQoS values, ServerAliveInterval 300 under BatchMode.
 */

import { systemKnownHostsFiles } from "./platform_paths.ts";
import { UsageError } from "./errors.ts";
import { isNumberKind, isStringKind, OPTION_TABLE, type Options } from "./ssh_config_options.ts";
import { ALL, assembleNames, DEFAULTS } from "./ssh_config_algorithms.ts";
import { DIGEST_SHA256, LOG_INFO, LOG_USER, TUNID_ANY } from "./ssh_config_values.ts";

/** The few defaults canonicalisation needs before the final pass (fill_default_options_for_canonicalization). */
export function fillForCanonicalization(o: Options) {
  if (o.canonicalizeMaxDots === -1) o.canonicalizeMaxDots = 1;
  if (o.canonicalizeFallbackLocal === -1) o.canonicalizeFallbackLocal = 1;
  if (o.canonicalizeHostname === -1) o.canonicalizeHostname = 0;
}

/**
 * readconf.c fill_default_options, with Debian's: the table's defaults, then the fields with a
 * parser of their own and those whose default depends on others.
 */
export function fillDefaults(o: Options) {
  const fields = o as unknown as Record<string, number | string | undefined>;
  // ssh.c defers these so that a config can override what -W implies.
  if (o.stdioForward && o.exitOnForwardFailure === -1) o.exitOnForwardFailure = 1;
  if (o.stdioForward && o.clearForwardings === -1) o.clearForwardings = 1;
  for (const { kind, def } of OPTION_TABLE) {
    if (def === undefined) continue;
    if (isNumberKind(kind) && o[kind.f] === -1) fields[kind.f] = def;
    if (isStringKind(kind) && o[kind.f] === undefined) fields[kind.f] = def;
  }
  const d = (f: keyof Options & string, v: number) => {
    if ((o[f] as unknown) === -1) (o[f] as unknown as number) = v;
  };
  d("forwardAgent", 0);
  if (o.clearForwardings === 1) {
    o.localForwards = [];
    o.remoteForwards = [];
    o.tunOpen = 0;
  }
  d("streamlocalBindMask", 0o177);
  d("port", 0);
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
    o.systemHostfiles.push(...systemKnownHostsFiles());
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
  if (o.rekeyLimit === -1n) o.rekeyLimit = 0n;
  d("rekeyInterval", 0);
  // Debian: under BatchMode, keepalives every 300 s unless set otherwise.
  d("serverAliveInterval", o.batchMode === 1 ? 300 : 0);
  if (o.controlPersist === -1) {
    o.controlPersist = 0;
    o.controlPersistTimeout = 0;
  }
  d("tunLocal", TUNID_ANY);
  d("tunRemote", TUNID_ANY);
  // Debian keeps the older IPQoS defaults.
  d("ipQosInteractive", 0x10);
  d("ipQosBulk", 0x08);
  d("fingerprintHash", DIGEST_SHA256);

  const assemble = (
    k: string,
    spec: string | undefined,
    def: readonly string[],
    all: readonly string[],
  ) => assembleList(o, k, spec, def, all);
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

/** An algorithm list from its spec, or a usage error naming where it was set. */
export function assembleList(
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
