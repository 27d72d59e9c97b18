/** `sockhop serve`: a session, and/or the built-in SSH server in front of the user's sessions. */

import { UsageError } from "../lib/errors.ts";
import { validateSessionName } from "../lib/session_name.ts";
import { MAX_CHILDREN, parseServeTarget, serve, type Serving } from "../lib/serve.ts";
import { localEnv } from "../lib/env.ts";
import { yesNo } from "../lib/yes_no.ts";
import { writeSync } from "node:fs";
import type { Logger } from "../lib/logger.ts";
import type { SshListenOptions } from "../lib/ssh_server_listeners.ts";
import {
  findSession,
  logSize,
  openLogFile,
  readyInLog,
  readyLine,
  startDetached,
  StartFailed,
} from "../lib/detach.ts";
import { defaultLogFile, newStartId } from "../lib/lifecycle.ts";
import { isStartId } from "../lib/lifecycle_args.ts";
import { selfArgv } from "../lib/self_command.ts";
import { parseAllowStart } from "../lib/start_policy.ts";
import { defaultPasswordsFile } from "../lib/env.ts";
import { help, onSignals, out, parseCommand, setup, splitAtExec } from "./common.ts";
import { PASSWORD_HASHES_OPTIONS, passwordHashesFile } from "./password_hashes.ts";

export const SERVE_OPTIONS = {
  "bind-ssh": { type: "string", multiple: true },
  "bind-tcp": { type: "string", multiple: true },
  "ssh-upgrade": { type: "string" },
  "bind-tcp-raw": { type: "string" },
  "ssh-host-key": { type: "string", multiple: true },
  "rsa-host-key": { type: "string" },
  "authorized-keys": { type: "string" },
  ...PASSWORD_HASHES_OPTIONS,
  auth: { type: "string" },
  "login-grace-time": { type: "string" },
  "max-children": { type: "string" },
  "max-sessions": { type: "string" },
  "max-password-checks": { type: "string" },
  "allow-start": { type: "string", multiple: true },
  detach: { type: "boolean" },
  "log-file": { type: "string" },
  "start-id": { type: "string" },
} as const;

/**
 * A whole number option within bounds. Every number is bounded: --login-grace-time=3000000
 * once overflowed the timer (over 2^31 ms) and dropped every connection at once.
 */
export function boundedInt(
  value: string | undefined,
  flag: string,
  range: { min: number; max: number; fallback: number },
): number {
  if (value === undefined) return range.fallback;
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= range.min && n <= range.max)) {
    throw new UsageError(
      `${flag}=${value.slice(0, 40)}: give a whole number from ${range.min} to ${range.max}`,
      "serve",
    );
  }
  return n;
}

type ServeValues = ReturnType<typeof parseCommand<typeof SERVE_OPTIONS>>["values"];

export async function cmdServe(args: string[]): Promise<number> {
  const { head, exec } = splitAtExec(args);
  const { values, positionals } = parseCommand("serve", head, SERVE_OPTIONS);
  if (values.help) return help("serve");
  const targetWords = [...positionals.slice(1), ...exec];
  const name = positionals[0];
  const sshWanted = (values["bind-ssh"]?.length ?? 0) + (values["bind-tcp"]?.length ?? 0) > 0;
  if (name === undefined && !sshWanted) {
    throw new UsageError(
      "Missing NAME: sockhop serve NAME TARGET (or serve --bind-ssh=HOST:PORT)",
      "serve",
    );
  }
  if (exec.length && positionals.length > 1) {
    throw new UsageError(
      `Unexpected ${JSON.stringify(positionals[1])} before the exec: TARGET`,
      "serve",
    );
  }
  if (name !== undefined) validateSessionName(name);
  const target = name !== undefined ? parseServeTarget(targetWords) : undefined;
  if (values.auth !== undefined && values.auth !== "none" && values.auth !== "default") {
    throw new UsageError(
      `--auth=${values.auth}: use default (keys and --password-hashes) or none`,
      "serve",
    );
  }
  const allowStart = parseAllowStart(values["allow-start"] ?? []);
  const limits = _limits(values);
  if (values["start-id"] !== undefined && !isStartId(values["start-id"])) {
    throw new UsageError("--start-id: give letters, digits and - only", "serve");
  }
  if (values.detach) return await _detach(head, exec, name, values);
  const logFile = values["log-file"];
  const { logger, dirs } = setup(values, {
    timestamps: logFile !== undefined || !Deno.stderr.isTerminal(),
    ...(logFile !== undefined ? { write: _fileWriter(logFile) } : {}),
  });
  _warnOwnFlags(exec.slice(1), logger);
  const passwordHashes = sshWanted ? _passwordHashes(values, logger) : undefined;
  // Time to end the commands (SIGTERM, SIGKILL 5 s later) and tell their clients why.
  const signals = onSignals(10_000);
  let serving: Serving | undefined;
  try {
    if (name !== undefined && target) {
      serving = await serve({
        dirs,
        name,
        target,
        logger,
        maxChildren: limits.maxChildren,
        ...(values["start-id"] !== undefined ? { id: values["start-id"] } : {}),
        ...(logFile !== undefined ? { logFile } : {}),
      });
      logger.info(`session ${name} at ${serving.path}`);
    }
    const ssh = sshWanted
      ? (await import("../lib/ssh_server_listeners.ts")).startSshListeners(
        _sshListenOptions(values, { name, limits, allowStart, passwordHashes, dirs, logger }),
      )
      : undefined;
    for (const a of ssh?.addresses ?? []) logger.info(`listening on ${a}`);
    // For `serve --detach` of a gateway (no session to ask): everything accepts now.
    const startId = values["start-id"];
    if (startId !== undefined) logger.info(readyLine(startId, Deno.pid));
    const stopped = new Promise<void>((r) =>
      signals.signal.addEventListener("abort", () => r(), { once: true })
    );
    await Promise.race([serving?.done ?? new Promise<void>(() => {}), stopped]);
    ssh?.close();
    serving?.close();
    await serving?.done;
    // As the README says: 130 after SIGINT, 143 after SIGTERM; 0 after sockhop stop.
    return signals.received() ?? 0;
  } catch (err) {
    serving?.close();
    throw err;
  } finally {
    signals.dispose();
  }
}

/** What --bind-ssh and --bind-tcp start with, from serve's flags. */
function _sshListenOptions(
  values: ServeValues,
  o: {
    name: string | undefined;
    limits: ReturnType<typeof _limits>;
    allowStart: readonly string[];
    passwordHashes: string | undefined;
    dirs: SshListenOptions["dirs"];
    logger: Logger;
  },
): SshListenOptions {
  const env = localEnv();
  return {
    bindSsh: values["bind-ssh"] ?? [],
    bindTcp: values["bind-tcp"] ?? [],
    sshUpgrade: yesNo(values["ssh-upgrade"], "--ssh-upgrade", true),
    bindTcpRaw: yesNo(values["bind-tcp-raw"], "--bind-tcp-raw", false),
    hostKeyFiles: values["ssh-host-key"] ?? [],
    rsaHostKey: yesNo(values["rsa-host-key"], "--rsa-host-key", false),
    ...(values["authorized-keys"] ? { authorizedKeys: values["authorized-keys"] } : {}),
    ...(o.passwordHashes ? { passwordHashes: o.passwordHashes } : {}),
    authNone: values.auth === "none",
    loginGraceSeconds: o.limits.grace,
    maxSessions: o.limits.maxSessions,
    maxPasswordChecks: o.limits.maxPasswordChecks,
    allowStart: o.allowStart,
    ...(o.name !== undefined ? { session: o.name } : {}),
    dirs: o.dirs,
    user: env.localUser,
    home: env.home,
    logger: o.logger,
  };
}

function _limits(values: Record<string, unknown>) {
  const get = (k: string) => values[k] as string | undefined;
  return {
    maxChildren: boundedInt(get("max-children"), "--max-children", {
      min: 1,
      max: 100_000,
      fallback: MAX_CHILDREN,
    }),
    grace: boundedInt(get("login-grace-time"), "--login-grace-time", {
      min: 1,
      max: 3600,
      fallback: 30,
    }),
    maxSessions: boundedInt(get("max-sessions"), "--max-sessions", {
      min: 1,
      max: 1000,
      fallback: 10,
    }),
    maxPasswordChecks: boundedInt(get("max-password-checks"), "--max-password-checks", {
      min: 1,
      max: 64,
      fallback: 2,
    }),
  };
}

/**
 * --password-hashes, or else the file `sockhop passwd` writes when it exists (said at start,
 * so nobody wonders why a password works).
 */
function _passwordHashes(
  values: { "password-hashes"?: string; "password-file"?: string },
  logger: Logger,
): string | undefined {
  const given = passwordHashesFile(values, "serve", logger);
  if (given !== undefined) return given;
  const file = defaultPasswordsFile(Deno.env);
  try {
    Deno.lstatSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  logger.info(`password logins: hashes from ${file} (written by sockhop passwd)`);
  return file;
}

/**
 * Words after exec:COMMAND are the command's; one that is serve's own flag was most likely
 * meant for serve (issue: it went to the command in silence).
 */
function _warnOwnFlags(words: readonly string[], logger: Logger) {
  const own = new Set([...Object.keys(SERVE_OPTIONS), "socket-dirs", "debug"]);
  for (const w of words) {
    const m = /^--([a-z-]+)(=|$)/.exec(w);
    if (m && own.has(m[1]!)) {
      logger.warn(
        `${
          w.slice(0, 60)
        } comes after exec: and is given to the command, not to serve: put serve's options before NAME`,
      );
    }
  }
}

/** Appends each log line to FILE (created 0600). */
function _fileWriter(path: string): (bytes: Uint8Array) => void {
  const fd = openLogFile(path);
  return (bytes) => {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off);
  };
}

/**
 * serve --detach: the same serve started again without --detach, its output to a log file,
 * waited for until it accepts (known by a fresh id); prints `started NAME pid=... log=...`.
 */
async function _detach(
  head: readonly string[],
  exec: readonly string[],
  name: string | undefined,
  values: { "log-file"?: string; "start-id"?: string; "socket-dirs"?: string; debug?: string },
): Promise<number> {
  const { logger, dirs } = setup(values);
  const logFile = values["log-file"] ??
    defaultLogFile(Deno.env, dirs, name ?? GATEWAY_LOG_NAME);
  const id = values["start-id"] ?? newStartId();
  const kept = _dropValueFlags(
    head.filter((a) =>
      a !== "--detach" && !a.startsWith("--log-file=") && !a.startsWith("--start-id=")
    ),
    ["--log-file", "--start-id"],
  );
  const offset = logSize(logFile);
  try {
    const pid = await startDetached({
      argv: [...selfArgv(), "serve", `--start-id=${id}`, `--log-file=${logFile}`, ...kept, ...exec],
      logFile,
      what: name !== undefined ? `Session ${name}` : "The SSH gateway",
      // A session: asked over its status socket; a gateway alone: its log says it is ready.
      ready: name !== undefined
        ? async () => (await findSession(dirs, name, id))?.pid
        : () => Promise.resolve(readyInLog(logFile, offset, id)),
    });
    out(`started ${name ?? "gateway"} pid=${pid} log=${logFile}\n`);
    return 0;
  } catch (err) {
    if (err instanceof StartFailed) { for (const l of err.logTail) logger.info(`log: ${l}`); }
    throw err;
  }
}

/** The log file name of a detached serve with no session (--bind-ssh only). */
const GATEWAY_LOG_NAME = "gateway";

/** `--flag VALUE` (two words) removed for each flag named. */
function _dropValueFlags(words: readonly string[], flags: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (flags.includes(words[i]!)) i++;
    else kept.push(words[i]!);
  }
  return kept;
}
