/**
 * From what the user typed (URL, NAME or connection file, and the backend options) to a
 * Transport. Shared by connect and forward. Precedence: command line, then connection file,
 * then defaults.
 */

import { SockhopError, UsageError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { SessionDirs } from "../lib/sessions.ts";
import type { Transport } from "../lib/transport.ts";
import { parseTarget, type Target } from "../lib/url.ts";
import { parseSshOption } from "../lib/ssh_option.ts";
import { isConnectionFile, readConnectionFile } from "../lib/connection_file.ts";
import { localTransport } from "../lib/local_transport.ts";
import { programTransport } from "../lib/connect.ts";
import {
  DEFAULT_REMOTE_SOCKHOP,
  parseRemoteSockhop,
  remoteCommand,
  validateRemoteName,
} from "../lib/remote_command.ts";
import { yesNo } from "./common.ts";

/** The options connect and forward share. */
export const ROUTE_OPTIONS = {
  ssh: { type: "string" },
  "exit-ssh": { type: "string" },
  "remote-sockhop": { type: "string" },
  "password-file": { type: "string" },
  "host-key": { type: "string" },
} as const;

export interface RouteValues {
  ssh?: string;
  "exit-ssh"?: string;
  "remote-sockhop"?: string;
  "password-file"?: string;
  "host-key"?: string;
}

/** Resolve the destination and options into a Transport. */
export function buildTransport(
  where: string,
  values: RouteValues,
  dirs: SessionDirs,
  logger: Logger,
): Transport {
  let target: Target;
  let fileOptions: RouteValues = {};
  if (isConnectionFile(where)) {
    const file = readConnectionFile(where);
    for (const w of file.warnings) logger.warn(w);
    target = file.target;
    fileOptions = {
      ...(file.options.ssh ? { ssh: file.options.ssh } : {}),
      ...(file.options.exitSsh ? { "exit-ssh": file.options.exitSsh } : {}),
      ...(file.options.remoteSockhop ? { "remote-sockhop": file.options.remoteSockhop } : {}),
      ...(file.options.passwordFile ? { "password-file": file.options.passwordFile } : {}),
      ...(file.options.hostKey ? { "host-key": file.options.hostKey } : {}),
    };
  } else {
    target = parseTarget(where);
  }
  const v: RouteValues = { ...fileOptions, ..._defined(values) };
  if (target.kind === "local") return localTransport(dirs, validateRemoteName(target.name), logger);

  const exitSsh = yesNo(v["exit-ssh"], "--exit-ssh", true);
  const choice = parseSshOption(v.ssh ?? "auto");
  const candidates = v["remote-sockhop"]
    ? parseRemoteSockhop(v["remote-sockhop"])
    : [...DEFAULT_REMOTE_SOCKHOP];
  const program = choice.backend === "program"
    ? choice
    : choice.backend === "auto"
    ? parseSshOption("openssh")
    : undefined;
  if (program?.backend !== "program") {
    throw new UsageError("--ssh=native is not available yet: use --ssh=openssh or --ssh=plink");
  }
  const password = v["password-file"] ? readPasswordFile(v["password-file"]) : target.password;
  const hostKey = v["host-key"];
  if (hostKey && program.flavor !== "plink") {
    throw new UsageError(
      "--host-key pins a key for plink; for ssh, put the key in known_hosts (UserKnownHostsFile)",
    );
  }
  return programTransport({
    flavor: program.flavor,
    words: program.words,
    dest: {
      host: target.host,
      ...(target.port !== undefined ? { port: target.port } : {}),
      ...(target.user ? { user: target.user } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(target.key ? { key: target.key } : {}),
      ...(target.jump ? { jump: target.jump } : {}),
      ...(hostKey ? { hostKey } : {}),
    },
    remoteCommand: remoteCommand(candidates, validateRemoteName(target.name)),
    exitSsh,
    interactive: hasTerminal(),
  }, logger);
}

function _defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, x]) => x !== undefined)) as Partial<
    T
  >;
}

/** The first line of a password file. */
export function readPasswordFile(path: string): string {
  try {
    return Deno.readTextFileSync(path).split(/\r?\n/)[0] ?? "";
  } catch (err) {
    throw new SockhopError(
      `Cannot read --password-file ${path}: ${(err as Error).message}`,
      "usage-file",
    );
  }
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
