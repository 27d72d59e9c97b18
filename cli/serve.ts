/** `sockhop serve`: a session, and/or the built-in SSH server in front of the user's sessions. */

import { UsageError } from "../lib/errors.ts";
import { validateSessionName } from "../lib/session_name.ts";
import { MAX_CHILDREN, parseServeTarget, serve, type Serving } from "../lib/serve.ts";
import { localEnv } from "../lib/env.ts";
import { yesNo } from "../lib/yes_no.ts";
import { help, onSignals, parseCommand, setup } from "./common.ts";
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

export async function cmdServe(args: string[]): Promise<number> {
  const execAt = args.findIndex((a) => a.startsWith("exec:"));
  const head = execAt >= 0 ? args.slice(0, execAt) : args;
  const { values, positionals } = parseCommand("serve", head, SERVE_OPTIONS);
  if (values.help) return help("serve");
  const targetWords = execAt >= 0
    ? [...positionals.slice(1), ...args.slice(execAt)]
    : positionals.slice(1);
  const name = positionals[0];
  const sshWanted = (values["bind-ssh"]?.length ?? 0) + (values["bind-tcp"]?.length ?? 0) > 0;
  if (name === undefined && !sshWanted) {
    throw new UsageError(
      "Missing NAME: sockhop serve NAME TARGET (or serve --bind-ssh=HOST:PORT)",
      "serve",
    );
  }
  if (execAt >= 0 && positionals.length > 1) {
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
  const maxChildren = boundedInt(values["max-children"], "--max-children", {
    min: 1,
    max: 100_000,
    fallback: MAX_CHILDREN,
  });
  const grace = boundedInt(values["login-grace-time"], "--login-grace-time", {
    min: 1,
    max: 3600,
    fallback: 30,
  });
  const maxSessions = boundedInt(values["max-sessions"], "--max-sessions", {
    min: 1,
    max: 1000,
    fallback: 10,
  });
  const maxPasswordChecks = boundedInt(values["max-password-checks"], "--max-password-checks", {
    min: 1,
    max: 64,
    fallback: 2,
  });
  const { logger, dirs } = setup(values);
  const passwordHashes = passwordHashesFile(values, "serve", logger);
  // Time to end the commands (SIGTERM, SIGKILL 5 s later) and tell their clients why.
  const signals = onSignals(10_000);
  let serving: Serving | undefined;
  try {
    if (name !== undefined && target) {
      serving = await serve({ dirs, name, target, logger, maxChildren });
      logger.info(`session ${name} at ${serving.path}`);
    }
    const env = localEnv();
    const ssh = sshWanted
      ? (await import("../lib/ssh_server_listeners.ts")).startSshListeners({
        bindSsh: values["bind-ssh"] ?? [],
        bindTcp: values["bind-tcp"] ?? [],
        sshUpgrade: yesNo(values["ssh-upgrade"], "--ssh-upgrade", true),
        bindTcpRaw: yesNo(values["bind-tcp-raw"], "--bind-tcp-raw", false),
        hostKeyFiles: values["ssh-host-key"] ?? [],
        rsaHostKey: yesNo(values["rsa-host-key"], "--rsa-host-key", false),
        ...(values["authorized-keys"] ? { authorizedKeys: values["authorized-keys"] } : {}),
        ...(passwordHashes ? { passwordHashes } : {}),
        authNone: values.auth === "none",
        loginGraceSeconds: grace,
        maxSessions,
        maxPasswordChecks,
        ...(name !== undefined ? { session: name } : {}),
        dirs,
        user: env.localUser,
        home: env.home,
        logger,
      })
      : undefined;
    for (const a of ssh?.addresses ?? []) logger.info(`listening on ${a}`);
    const stopped = new Promise<void>((r) =>
      signals.signal.addEventListener("abort", () => r(), { once: true })
    );
    await Promise.race([serving?.done ?? new Promise<void>(() => {}), stopped]);
    ssh?.close();
    serving?.close();
    await serving?.done;
    return 0;
  } catch (err) {
    serving?.close();
    throw err;
  } finally {
    signals.dispose();
  }
}
