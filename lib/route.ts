/**
 * The way to a session, decided once: from what the user named (a URL, a session on this host,
 * or a connection file) and the options of `connect` and `forward`, one frozen Route that the
 * backends consume as it is. Precedence: command line, then connection file, then
 * ~/.ssh/config, then defaults. Here and only here: which backend (`--ssh=auto` reads the
 * config), each hop's config, the password, the host key policy, the remote command, and
 * which option fits which backend. Nothing here loads ssh2.
 */

import { UsageError } from "./errors.ts";
import { compact } from "./compact.ts";
import { type Hop, parseHop, parseHops } from "./hop.ts";
import { nativeHostKeyGap } from "./known_hosts.ts";
import { certificateGap } from "./certificates.ts";
import { localEnv } from "./env.ts";
import type { Logger } from "./logger.ts";
import { hasControllingTerminal } from "./prompt.ts";
import { a2port } from "./ssh_config_values.ts";
import type { CommandLineArg } from "./ssh_config_cmdline.ts";
import { parseTarget, type SshTarget, type Target } from "./url.ts";
import { parseSshOption } from "./ssh_option.ts";
import { yesNo } from "./yes_no.ts";
import { isConnectionFile, readConnectionFile } from "./connection_file.ts";
import { readUserFile } from "./regular_file.ts";
import {
  formatSshConfig,
  nativeUnsupportedReason,
  type Resolved,
  resolveSshConfig,
  type SshConfig,
} from "./ssh_config.ts";
import {
  DEFAULT_REMOTE_SOCKHOP,
  parseRemoteSockhop,
  remoteCommand,
  remoteSockhopCommand,
} from "./remote_command.ts";
import { validateRemoteName } from "./session_name.ts";
import {
  type Keepalive,
  keepaliveSource,
  opensshKeepalive,
  PLINK_KEEPALIVE,
  withForwardKeepalive,
} from "./forward_keepalive.ts";

/**
 * The options connect and forward share, as the command line spells them (a connection file
 * fills the same ones). -F -i -o -J -p -l mean what they mean to ssh.
 */
export interface RouteFlags {
  readonly ssh?: string;
  readonly "exit-ssh"?: string;
  readonly "remote-sockhop"?: string;
  readonly "remote-socket"?: string;
  readonly "password-file"?: string;
  readonly "host-key"?: string;
  readonly "insecure-accept-any-host-key"?: boolean;
  readonly "print-config"?: boolean;
  readonly "config-file"?: string;
  readonly identity?: readonly string[];
  readonly option?: readonly string[];
  readonly jump?: string;
  readonly port?: string;
  readonly login?: string;
}

/** How the built-in client checks a hop's host key. */
export type HostKeyPolicy =
  | { readonly kind: "known-hosts" }
  | { readonly kind: "pinned"; readonly fingerprint: string }
  | { readonly kind: "insecure-accept-any" };

/** A hop as the built-in client goes through it: its config resolved, its key policy set. */
export interface NativeHop extends Hop {
  readonly config: SshConfig;
  readonly hostKey: HostKeyPolicy;
  /** The agent socket to forward to this host's sessions (sockhop ssh -A); none by default. */
  readonly agentForward?: string;
}

/** A session on this host: no SSH. */
export interface LocalRoute {
  readonly backend: "local";
  readonly session: string;
}

/** The built-in client: one SSH connection through every hop. */
export interface NativeRoute {
  readonly backend: "native";
  /** Jump hosts first to last, then the destination. */
  readonly hops: readonly NativeHop[];
  /** The remote command (`sh -c '...'`), unless `remoteSocket` is given. */
  readonly remoteCommand: string;
  /** forward's remote command, that carries every stream (`_proxy --mux`). */
  readonly muxCommand?: string;
  /** A socket path on the remote host, reached with direct-streamlocal. */
  readonly remoteSocket?: string;
}

/** The system's ssh or plink: the program resolves its own config. */
export interface ProgramRoute {
  readonly backend: "program";
  readonly flavor: "openssh" | "plink";
  /** The user's words, then -F -i -o -J passed through. */
  readonly words: readonly string[];
  /**
   * What the URL's jump host runs with: the user's words and -F only, as ssh's -J gives a
   * jump host no -o and no -i.
   */
  readonly hopWords: readonly string[];
  readonly dest: Hop;
  /** A jump host from the URL or connection file (-J is among the words). */
  readonly jump?: Hop;
  /** plink's -hostkey: a fingerprint the user pinned. */
  readonly hostKey?: string;
  readonly remoteCommand: string;
  /** --exit-ssh: end ssh with the session (no: let it run on, a ControlMaster say). */
  readonly exitSsh: boolean;
  /** Whether a terminal can answer the program's questions (plink gets -batch when not). */
  readonly interactive: boolean;
  /** The remote command that carries every stream of a forward (`_proxy --mux`). */
  readonly muxCommand: string;
  /** forward: the keepalive in effect (ssh's -o is among the words; plink: sockhop's ping). */
  readonly keepalive?: Keepalive;
}

export type Route = LocalRoute | NativeRoute | ProgramRoute;

/** A route, or with --print-config the settings to print instead. */
export type Resolution = { readonly route: Route } | { readonly print: string };

/**
 * What the route is for: `forward` keeps one connection up, and finds a dead peer by default
 * (lib/forward_keepalive.ts).
 */
export type RoutePurpose = "connect" | "forward";

/** Which of -i, -o and -J came first: their order on the command line. */
export type ArgOrder = readonly ("i" | "o" | "J")[];

/**
 * Resolve the destination and options into a frozen Route. `order` is how -i, -o and -J were
 * interleaved (ssh reads them in that order); without it, every -o, then -i, then -J.
 * `remoteArgs`: the remote sockhop runs these arguments (given the session name) instead of
 * `_proxy NAME` (start, stop).
 */
export function resolveRoute(
  where: string,
  flags: RouteFlags,
  logger: Logger,
  order?: ArgOrder,
  remoteArgs?: (name: string) => readonly string[],
  purpose: RoutePurpose = "connect",
): Resolution {
  const { target, flags: v } = _targetAndFlags(where, flags, logger);
  if (target.kind === "local") {
    return _frozen({ backend: "local", session: validateRemoteName(target.name, true) });
  }
  const dest = _applyFlags(target, v);
  const choice = parseSshOption(v.ssh ?? "auto");
  // Checked whatever the backend: a bad value is a usage error, not a flag that does nothing.
  const exitSsh = yesNo(v["exit-ssh"], "--exit-ssh", true);
  const jumps = v.jump ? parseHops(v.jump) : undefined;
  const args = _commandLine(v, order, dest);
  if (v["print-config"]) {
    return { print: _printedConfig(dest, v, args, logger, _forPrint(purpose, choice)) };
  }
  // The program reads its own config; the built-in client (and auto, to choose) reads it here.
  const configs = choice.backend === "program"
    ? undefined
    : _configs(dest, jumps ?? (dest.jump ? [dest.jump] : undefined), v, args, logger);
  const native = configs !== undefined &&
    _nativeFits(choice.backend === "native", configs, _keyCheck(v), dest.key ?? "", logger);
  const keepalive = (c: SshConfig) => purpose === "forward" ? withForwardKeepalive(c) : c;
  const password = v["password-file"] ? readPasswordFile(v["password-file"]) : dest.password;
  const candidates = v["remote-sockhop"]
    ? parseRemoteSockhop(v["remote-sockhop"])
    : [...DEFAULT_REMOTE_SOCKHOP];
  const name = validateRemoteName(dest.name);
  const command = remoteArgs
    ? remoteSockhopCommand(candidates, remoteArgs(name))
    : remoteCommand(candidates, name);
  const hostKey = v["host-key"];
  const destHop: Hop = compact({
    host: dest.host,
    port: dest.port,
    user: dest.user || undefined,
    password,
    key: dest.key || undefined,
  });
  if (native) {
    if (hostKey !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(hostKey)) {
      throw new UsageError(
        `--host-key=${hostKey}: the built-in client pins a SHA256:... fingerprint, as ssh-keygen -lf prints it`,
      );
    }
    const resolved = configs!.dest;
    for (const path of resolved.filesRead) logger.debug("ssh", `config: read ${path}`);
    for (const u of resolved.unsupported) {
      logger.debug(
        "ssh",
        `config: ${u.keyword} (${u.where}) is not supported by the native client`,
      );
    }
    const insecure = v["insecure-accept-any-host-key"] ?? false;
    const anyKey: HostKeyPolicy = insecure
      ? { kind: "insecure-accept-any" }
      : { kind: "known-hosts" };
    const jumpHops = configs!.jumps.map(({ hop, config }): NativeHop => ({
      ...hop,
      config: keepalive(config),
      hostKey: anyKey,
    }));
    const destConfig = keepalive(resolved.config);
    if (purpose === "forward") _logKeepalive(keepaliveSource(destConfig), logger);
    return _frozen({
      backend: "native",
      hops: [...jumpHops, {
        ...destHop,
        config: destConfig,
        // An insecure choice wins over a pinned key, as it is asked for by name.
        hostKey: !insecure && hostKey !== undefined
          ? { kind: "pinned", fingerprint: hostKey }
          : anyKey,
      }],
      remoteCommand: command,
      muxCommand: remoteCommand(candidates, name, "mux"),
      ...compact({ remoteSocket: v["remote-socket"] || undefined }),
    });
  }
  if (v["remote-socket"]) {
    throw new UsageError("--remote-socket needs the native backend: use --ssh=native");
  }
  const program = choice.backend === "program" ? choice : parseSshOption("openssh");
  if (program.backend !== "program") throw new Error("unreachable");
  if (v["insecure-accept-any-host-key"]) {
    throw new UsageError(
      "--insecure-accept-any-host-key is for the built-in client (--ssh=native); ssh and plink check host keys their own way",
    );
  }
  if (dest.jump?.password !== undefined) {
    throw new UsageError(
      program.flavor === "plink"
        ? "A jump host password cannot be given to plink safely: use a key or Pageant for the jump host, or --ssh=native"
        : "A jump host password cannot be given to ssh safely: use a key or an agent for the jump host, or --ssh=native",
    );
  }
  if (hostKey && program.flavor !== "plink") {
    throw new UsageError(
      "--host-key pins a key for plink; for ssh, put the key in known_hosts (UserKnownHostsFile)",
    );
  }
  const words = [...program.words, ..._passThrough(program.flavor, v, args)];
  const alive = purpose === "forward" ? _programKeepalive(program.flavor, words, destHop) : {};
  if (alive.keepalive) _logKeepalive(alive.keepalive, logger);
  return _frozen({
    backend: "program",
    flavor: program.flavor,
    words: [...words, ...alive.words ?? []],
    ...compact({ keepalive: alive.keepalive }),
    hopWords: [...program.words, ...(v["config-file"] ? ["-F", v["config-file"]] : [])],
    dest: destHop,
    ...compact({ jump: dest.jump, hostKey: hostKey || undefined }),
    remoteCommand: command,
    muxCommand: remoteCommand(candidates, name, "mux"),
    exitSsh,
    interactive: hasControllingTerminal(),
  });
}

function _targetAndFlags(
  where: string,
  flags: RouteFlags,
  logger: Logger,
): { target: Target; flags: RouteFlags } {
  if (!isConnectionFile(where)) {
    const target = parseTarget(where);
    if (target.kind === "ssh" && (target.password || target.jump?.password)) {
      // Deno cannot rewrite its own argv: the URL stays readable in /proc/PID/cmdline.
      logger.warn(
        "The password in the URL can be read by other users of this host in sockhop's command line (ps) for as long as it runs: use --password-file or a connection file instead",
      );
    }
    return { target, flags };
  }
  const file = readConnectionFile(where);
  for (const w of file.warnings) logger.warn(w);
  const fromFile: RouteFlags = compact({
    ssh: file.options.ssh || undefined,
    "exit-ssh": file.options.exitSsh || undefined,
    "remote-sockhop": file.options.remoteSockhop || undefined,
    "password-file": file.options.passwordFile || undefined,
    "host-key": file.options.hostKey || undefined,
  });
  return { target: file.target, flags: { ...fromFile, ...compact(flags) } };
}

function _programKeepalive(
  flavor: "openssh" | "plink",
  words: readonly string[],
  dest: Hop,
): { words?: readonly string[]; keepalive?: Keepalive } {
  return flavor === "plink" ? { keepalive: PLINK_KEEPALIVE } : opensshKeepalive(words, dest);
}

function _logKeepalive(k: Keepalive, logger: Logger) {
  logger.debug(
    "ssh",
    `keepalive: ServerAliveInterval ${k.interval} s, ServerAliveCountMax ${k.countMax} (${k.source})`,
  );
}

/** -p and -l override the URL, as ssh's own flags override its config. */
function _applyFlags(target: SshTarget, v: RouteFlags): SshTarget {
  return {
    ...target,
    ...compact({
      port: v.port !== undefined ? sshPort(v.port) : undefined,
      user: v.login || undefined,
    }),
  };
}

/** -p as ssh reads it (a2port): 1-65535 or a service name of /etc/services. */
export function sshPort(text: string): number {
  const port = a2port(text);
  if (port <= 0) {
    throw new UsageError(`Bad port ${JSON.stringify(text)} for -p: use 1-65535 or a service name`);
  }
  return port;
}

interface _Configs {
  readonly dest: Resolved;
  readonly jumps: readonly { readonly hop: Hop; readonly config: SshConfig }[];
}

/**
 * The destination's config, then each jump host's: those named (-J, the URL's), else the
 * destination's ProxyJump. As ssh's -J does, a jump host gets only its own user and port and
 * -F: no -o, no -i (ssh runs `ssh -l USER -p PORT -F FILE -W ... HOST` for it).
 */
function _configs(
  dest: Hop,
  jumps: readonly Hop[] | undefined,
  v: RouteFlags,
  args: readonly CommandLineArg[],
  logger: Logger,
): _Configs {
  const resolved = _hopConfig(dest, v, args);
  for (const w of resolved.warnings) logger.warn(w);
  return {
    dest: resolved,
    jumps: (jumps ?? resolved.config.proxyJump.map((h) => parseHop(h, false))).map((hop) => ({
      hop,
      config: _hopConfig(hop, v, []).config,
    })),
  };
}

/** One hop's config, with -F and these flags; `Match exec` runs only for --print-config. */
function _hopConfig(
  hop: Hop,
  v: RouteFlags,
  args: readonly CommandLineArg[],
  matchExec: "run" | "refuse" = "refuse",
) {
  return resolveSshConfig(compact({
    host: hop.host,
    user: hop.user || undefined,
    port: hop.port,
    args,
    configFile: v["config-file"],
    matchExec,
  }));
}

/**
 * -o, -i and -J in the order given; a URL's jump host is a -J given first (unless -J is given:
 * it wins).
 */
function _commandLine(
  v: RouteFlags,
  order: ArgOrder | undefined,
  dest: SshTarget,
): CommandLineArg[] {
  const given = order ?? [
    ...(v.option ?? []).map(() => "o" as const),
    ...(v.identity ?? []).map(() => "i" as const),
    ...(v.jump ? ["J" as const] : []),
  ];
  const next = { o: 0, i: 0 };
  const args: CommandLineArg[] = [];
  if (!v.jump && dest.jump) args.push({ flag: "J", value: _hopText(dest.jump) });
  for (const flag of given) {
    const value = flag === "o"
      ? v.option?.[next.o++]
      : flag === "i"
      ? v.identity?.[next.i++]
      : v.jump;
    if (value !== undefined) args.push({ flag, value });
  }
  return args;
}

/** `[user@]host[:port]`, as a -J entry is written. */
function _hopText(hop: Hop): string {
  const host = hop.host.includes(":") ? `[${hop.host}]` : hop.host;
  return `${hop.user ? `${hop.user}@` : ""}${host}${hop.port !== undefined ? `:${hop.port}` : ""}`;
}

/** As ssh -G: -i and -J are command-line settings too, and Match exec commands run. */
function _printedConfig(
  dest: SshTarget,
  v: RouteFlags,
  args: readonly CommandLineArg[],
  logger: Logger,
  purpose: RoutePurpose | "forward-plink",
): string {
  const resolved = _hopConfig(dest, v, args, "run");
  for (const w of resolved.warnings) logger.warn(w);
  if (purpose === "connect") return formatSshConfig(resolved.config);
  const config = withForwardKeepalive(resolved.config);
  const k = purpose === "forward-plink" ? PLINK_KEEPALIVE : keepaliveSource(config);
  logger.info(`serveraliveinterval ${k.interval}, serveralivecountmax ${k.countMax}: ${k.source}`);
  return formatSshConfig(config);
}

/** plink reads no ssh config: forward's keepalive there is its own ping, said so. */
function _forPrint(
  purpose: RoutePurpose,
  choice: ReturnType<typeof parseSshOption>,
): RoutePurpose | "forward-plink" {
  const plink = choice.backend === "program" && choice.flavor === "plink";
  return purpose === "forward" && plink ? "forward-plink" : purpose;
}

/**
 * Whether the built-in client takes this route: --ssh=native, or --ssh=auto unless the config
 * of the host or of a jump host needs what only ssh can do; --ssh=native then refuses, naming
 * the option and where it was set.
 */
function _nativeFits(
  required: boolean,
  configs: _Configs,
  keys: _KeyCheck,
  destKey: string,
  logger: Logger,
): boolean {
  const reason = _nativeGap(configs, keys, destKey);
  if (required) {
    if (reason) {
      throw new UsageError(
        `The built-in client cannot honour ${reason}: use --ssh=auto or --ssh=openssh, or change the config`,
      );
    }
    return true;
  }
  if (reason) {
    logger.debug("ssh", `--ssh=auto: using openssh, because of ${reason}`);
    return false;
  }
  logger.debug("ssh", "--ssh=auto: using the native client");
  return true;
}

/** Whose host keys are checked against known_hosts: none (accept-any), or all but a pinned one. */
type _KeyCheck = { readonly dest: boolean; readonly jumps: boolean };

function _keyCheck(v: RouteFlags): _KeyCheck {
  const any = v["insecure-accept-any-host-key"] ?? false;
  return { dest: !any && v["host-key"] === undefined, jumps: !any };
}

/**
 * The first option only ssh can honour, in the host's config or a jump host's, or a host key
 * only ssh can check (unless known_hosts is set aside: a pinned key, or any key accepted).
 */
function _nativeGap(configs: _Configs, keys: _KeyCheck, destKey: string): string | undefined {
  const gap = (config: SshConfig, known: boolean) =>
    nativeUnsupportedReason(config) ?? (known ? nativeHostKeyGap(config) : undefined);
  const reason = gap(configs.dest.config, keys.dest) ??
    certificateGap(configs.dest.config, destKey ? [destKey] : [], Deno.env, localEnv().home);
  if (reason) return reason;
  for (const { hop, config } of configs.jumps) {
    const r = gap(config, keys.jumps);
    if (r) return `${r}, for jump host ${hop.host}`;
  }
  return undefined;
}

/** ssh's own flags, passed on to the program in the order given. */
function _passThrough(
  flavor: "openssh" | "plink",
  v: RouteFlags,
  args: readonly CommandLineArg[],
): string[] {
  if (flavor === "plink") {
    if (v["config-file"] || v.option?.length || v.jump) {
      throw new UsageError(
        "-F, -o and -J are OpenSSH options: plink has none of them; use --ssh=openssh or native",
      );
    }
    return (v.identity ?? []).flatMap((i) => ["-i", i]);
  }
  // The URL's jump host goes to ssh as the route's `jump`, not as a word.
  const words = v["config-file"] ? ["-F", v["config-file"]] : [];
  for (const a of args) if (a.flag !== "J" || v.jump) words.push(`-${a.flag}`, a.value);
  return words;
}

/** The first line of a password file; a FIFO or any other non-regular file is refused. */
export function readPasswordFile(path: string): string {
  return readUserFile(path, "--password-file").split(/\r?\n/)[0] ?? "";
}

/** The route, frozen to the last hop: what is decided here is not changed downstream. */
function _frozen(route: Route): Resolution {
  return Object.freeze({ route: _deepFreeze(route) });
}

function _deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) _deepFreeze(v);
  }
  return value;
}
