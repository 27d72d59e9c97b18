/**
 * From what the user typed (URL, NAME or connection file, and the backend options) to a
 * Transport. Shared by connect and forward. Precedence: command line, then connection file,
 * then ~/.ssh/config, then defaults.
 */

import { UsageError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { SessionDirs } from "../lib/sessions.ts";
import type { Transport } from "../lib/transport.ts";
import { parsePort, parseTarget, type SshTarget, type Target } from "../lib/url.ts";
import { parseSshOption, type SshChoice } from "../lib/ssh_option.ts";
import { isConnectionFile, readConnectionFile, readRegularFile } from "../lib/connection_file.ts";
import { localTransport } from "../lib/local_transport.ts";
import { programTransport } from "../lib/connect.ts";
import { hopConfig, type HopSpec, parseHop } from "../lib/native_route.ts";
import { nativeHostKeyGap } from "../lib/known_hosts.ts";
import {
  formatSshConfig,
  nativeUnsupportedReason,
  resolveSshConfig,
  type SshConfig,
} from "../lib/ssh_config.ts";
import { makePrompter } from "../lib/prompt.ts";
import {
  DEFAULT_REMOTE_SOCKHOP,
  parseRemoteSockhop,
  remoteCommand,
  validateRemoteName,
} from "../lib/remote_command.ts";
import { yesNo } from "./common.ts";

/** The options connect and forward share; -F -i -o -J -p -l mean what they mean to ssh. */
export const ROUTE_OPTIONS = {
  ssh: { type: "string" },
  "exit-ssh": { type: "string" },
  "remote-sockhop": { type: "string" },
  "remote-socket": { type: "string" },
  "password-file": { type: "string" },
  "host-key": { type: "string" },
  "insecure-accept-any-host-key": { type: "boolean" },
  "print-config": { type: "boolean" },
  "config-file": { type: "string", short: "F" },
  identity: { type: "string", short: "i", multiple: true },
  option: { type: "string", short: "o", multiple: true },
  jump: { type: "string", short: "J" },
  port: { type: "string", short: "p" },
  login: { type: "string", short: "l" },
} as const;

export interface RouteValues {
  ssh?: string;
  "exit-ssh"?: string;
  "remote-sockhop"?: string;
  "remote-socket"?: string;
  "password-file"?: string;
  "host-key"?: string;
  "insecure-accept-any-host-key"?: boolean;
  "print-config"?: boolean;
  "config-file"?: string;
  identity?: string[];
  option?: string[];
  jump?: string;
  port?: string;
  login?: string;
}

/** A transport, or (with --print-config) the settings to print instead. */
export type Route = { kind: "transport"; transport: Transport } | { kind: "print"; text: string };

/** Resolve the destination and options. The built-in client (and ssh2) loads only when used. */
export async function buildRoute(
  where: string,
  values: RouteValues,
  dirs: SessionDirs,
  logger: Logger,
): Promise<Route> {
  const { target, merged: v } = _targetAndValues(where, values, logger);
  if (target.kind === "local") {
    return {
      kind: "transport",
      transport: localTransport(dirs, validateRemoteName(target.name), logger),
    };
  }
  const dest = _applyFlags(target, v);
  const choice = parseSshOption(v.ssh ?? "auto");
  const native = _nativeRoute(dest, v, logger);
  if (v["print-config"]) {
    // As ssh -G: -i and -J are command-line settings too, and Match exec commands run.
    const { config } = resolveSshConfig({
      host: native.target.host,
      ...(native.target.user ? { user: native.target.user } : {}),
      ...(native.target.port !== undefined ? { port: native.target.port } : {}),
      options: [
        ...native.options,
        ...(v.jump ? [`ProxyJump=${v.jump}`] : []),
        ...native.identityFiles.map((i) => `IdentityFile=${i}`),
      ],
      ...(native.configFile !== undefined ? { configFile: native.configFile } : {}),
      matchExec: "run",
    });
    return { kind: "print", text: formatSshConfig(config) };
  }
  const useNative = _pickBackend(choice, native, logger, v["host-key"] !== undefined);
  const password = v["password-file"] ? readPasswordFile(v["password-file"]) : dest.password;
  const candidates = v["remote-sockhop"]
    ? parseRemoteSockhop(v["remote-sockhop"])
    : [...DEFAULT_REMOTE_SOCKHOP];
  const command = remoteCommand(candidates, validateRemoteName(dest.name));
  const hostKey = v["host-key"];
  if (useNative) {
    if (hostKey !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(hostKey)) {
      throw new UsageError(
        `--host-key=${hostKey}: the built-in client pins a SHA256:... fingerprint, as ssh-keygen -lf prints it`,
      );
    }
    const { nativeTransport } = await import("../lib/native.ts");
    return {
      kind: "transport",
      transport: nativeTransport({
        ...native,
        target: {
          ...native.target,
          ...(password !== undefined ? { password } : {}),
          ...(hostKey !== undefined ? { hostKey } : {}),
        },
        remoteCommand: command,
        ...(v["remote-socket"] ? { remoteSocket: v["remote-socket"] } : {}),
      }),
    };
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
  if (hostKey && program.flavor !== "plink") {
    throw new UsageError(
      "--host-key pins a key for plink; for ssh, put the key in known_hosts (UserKnownHostsFile)",
    );
  }
  return {
    kind: "transport",
    transport: programTransport({
      flavor: program.flavor,
      words: [...program.words, ..._passThrough(program.flavor, v)],
      dest: {
        host: dest.host,
        ...(dest.port !== undefined ? { port: dest.port } : {}),
        ...(dest.user ? { user: dest.user } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(dest.key ? { key: dest.key } : {}),
        ...(dest.jump ? { jump: dest.jump } : {}),
        ...(hostKey ? { hostKey } : {}),
      },
      remoteCommand: command,
      exitSsh: yesNo(v["exit-ssh"], "--exit-ssh", true),
      interactive: hasTerminal(),
    }, logger),
  };
}

function _targetAndValues(where: string, values: RouteValues, logger: Logger) {
  if (!isConnectionFile(where)) {
    const target = parseTarget(where);
    if (target.kind === "ssh" && (target.password || target.jump?.password)) {
      // Deno cannot rewrite its own argv: the URL stays readable in /proc/PID/cmdline.
      logger.warn(
        "The password in the URL can be read by other users of this host in sockhop's command line (ps) for as long as it runs: use --password-file or a connection file instead",
      );
    }
    return { target, merged: values };
  }
  const file = readConnectionFile(where);
  for (const w of file.warnings) logger.warn(w);
  const fromFile: RouteValues = {
    ...(file.options.ssh ? { ssh: file.options.ssh } : {}),
    ...(file.options.exitSsh ? { "exit-ssh": file.options.exitSsh } : {}),
    ...(file.options.remoteSockhop ? { "remote-sockhop": file.options.remoteSockhop } : {}),
    ...(file.options.passwordFile ? { "password-file": file.options.passwordFile } : {}),
    ...(file.options.hostKey ? { "host-key": file.options.hostKey } : {}),
  };
  const target: Target = file.target;
  return { target, merged: { ...fromFile, ..._defined(values) } };
}

/** -p and -l override the URL, as ssh's own flags override its config. */
function _applyFlags(target: SshTarget, v: RouteValues): SshTarget {
  return {
    ...target,
    ...(v.port !== undefined ? { port: parsePort(v.port, "-p") } : {}),
    ...(v.login ? { user: v.login } : {}),
  };
}

function _nativeRoute(dest: SshTarget, v: RouteValues, logger: Logger) {
  const jumps: HopSpec[] | undefined = v.jump ? v.jump.split(",").map(parseHop) : dest.jump
    ? [{
      host: dest.jump.host,
      ...(dest.jump.port !== undefined ? { port: dest.jump.port } : {}),
      ...(dest.jump.user ? { user: dest.jump.user } : {}),
      ...(dest.jump.password !== undefined ? { password: dest.jump.password } : {}),
      ...(dest.jump.key ? { key: dest.jump.key } : {}),
    }]
    : undefined;
  const options = v.option ?? [];
  const batch = options.some((o) => /^batchmode[\s=]+yes$/i.test(o.trim()));
  return {
    target: {
      host: dest.host,
      ...(dest.port !== undefined ? { port: dest.port } : {}),
      ...(dest.user ? { user: dest.user } : {}),
      ...(dest.password !== undefined ? { password: dest.password } : {}),
      ...(dest.key ? { key: dest.key } : {}),
    },
    ...(jumps ? { jumps } : {}),
    ...(v["config-file"] !== undefined ? { configFile: v["config-file"] } : {}),
    options,
    identityFiles: v.identity ?? [],
    insecureAcceptAnyHostKey: v["insecure-accept-any-host-key"] ?? false,
    prompter: makePrompter({ batchMode: batch, env: Deno.env }),
    logger,
  };
}

/**
 * native, or (auto) native unless the config of the host or of a jump host needs what only
 * ssh can do; --ssh=native then refuses, naming the option and where it was set.
 */
function _pickBackend(
  choice: SshChoice,
  native: ReturnType<typeof _nativeRoute>,
  logger: Logger,
  pinned: boolean,
): boolean {
  if (choice.backend === "program") return false;
  const reason = _nativeGap(native, pinned);
  if (choice.backend === "native") {
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

/**
 * The first option only ssh can honour, in the host's config or a jump host's, or a host key
 * only ssh can check (unless known_hosts is set aside: a pinned key, or any key accepted).
 */
function _nativeGap(native: ReturnType<typeof _nativeRoute>, pinned: boolean): string | undefined {
  const gap = (config: SshConfig, known: boolean) =>
    nativeUnsupportedReason(config) ??
      (known && !native.insecureAcceptAnyHostKey ? nativeHostKeyGap(config) : undefined);
  const target = hopConfig(native, native.target).config;
  const reason = gap(target, !pinned);
  if (reason) return reason;
  for (const hop of native.jumps ?? target.proxyJump.map(parseHop)) {
    const r = gap(hopConfig(native, hop).config, true);
    if (r) return `${r}, for jump host ${hop.host}`;
  }
  return undefined;
}

/** ssh's own flags, passed on to the program. */
function _passThrough(flavor: "openssh" | "plink", v: RouteValues): string[] {
  const words: string[] = [];
  if (flavor === "plink") {
    if (v["config-file"] || v.option?.length || v.jump) {
      throw new UsageError(
        "-F, -o and -J are OpenSSH options: plink has none of them; use --ssh=openssh or native",
      );
    }
    for (const i of v.identity ?? []) words.push("-i", i);
    return words;
  }
  if (v["config-file"]) words.push("-F", v["config-file"]);
  for (const i of v.identity ?? []) words.push("-i", i);
  for (const o of v.option ?? []) words.push("-o", o);
  if (v.jump) words.push("-J", v.jump);
  return words;
}

function _defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, x]) => x !== undefined)) as Partial<
    T
  >;
}

/** The first line of a password file; a FIFO or any other non-regular file is refused. */
export function readPasswordFile(path: string): string {
  return readRegularFile(path, "--password-file").split(/\r?\n/)[0] ?? "";
}

/** Whether a terminal can answer questions (ssh's and ours). */
export function hasTerminal(): boolean {
  if (Deno.build.os === "windows") return Deno.stdin.isTerminal();
  try {
    Deno.openSync("/dev/tty", { read: true }).close();
    return true;
  } catch {
    return false;
  }
}
