/** `sockhop serve`: a session, and/or the built-in SSH server in front of the user's sessions. */

import { UsageError } from "../lib/errors.ts";
import { validateSessionName } from "../lib/session_name.ts";
import { MAX_CHILDREN, parseServeTarget, serve, type Serving } from "../lib/serve.ts";
import { localEnv } from "../lib/env.ts";
import { yesNo } from "../lib/yes_no.ts";
import { help, onSignals, parseCommand, setup } from "./common.ts";

const SERVE_OPTIONS = {
  "bind-ssh": { type: "string", multiple: true },
  "bind-tcp": { type: "string", multiple: true },
  "ssh-upgrade": { type: "string" },
  "bind-tcp-raw": { type: "string" },
  "ssh-host-key": { type: "string", multiple: true },
  "rsa-host-key": { type: "string" },
  "authorized-keys": { type: "string" },
  "password-file": { type: "string" },
  auth: { type: "string" },
  "login-grace-time": { type: "string" },
  "max-children": { type: "string" },
} as const;

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
      `--auth=${values.auth}: use default (keys and --password-file) or none`,
      "serve",
    );
  }
  const grace = Number(values["login-grace-time"] ?? "30");
  if (!(grace > 0)) {
    throw new UsageError("--login-grace-time must be a number of seconds above 0", "serve");
  }
  const maxChildren = Number(values["max-children"] ?? MAX_CHILDREN);
  if (!Number.isInteger(maxChildren) || maxChildren < 1 || maxChildren > 1_000_000) {
    throw new UsageError("--max-children must be a whole number from 1 to 1000000", "serve");
  }
  const { logger, dirs } = setup(values);
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
      ? await (await import("../lib/ssh_listeners.ts")).startSshListeners({
        bindSsh: values["bind-ssh"] ?? [],
        bindTcp: values["bind-tcp"] ?? [],
        sshUpgrade: yesNo(values["ssh-upgrade"], "--ssh-upgrade", true),
        bindTcpRaw: yesNo(values["bind-tcp-raw"], "--bind-tcp-raw", false),
        hostKeyFiles: values["ssh-host-key"] ?? [],
        rsaHostKey: yesNo(values["rsa-host-key"], "--rsa-host-key", false),
        ...(values["authorized-keys"] ? { authorizedKeys: values["authorized-keys"] } : {}),
        ...(values["password-file"] ? { passwordFile: values["password-file"] } : {}),
        authNone: values.auth === "none",
        loginGraceSeconds: grace,
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
