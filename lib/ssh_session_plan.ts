/**
 * Which session `sockhop ssh` opens, as ssh.c and clientloop.c decide it: a subsystem (-s), a
 * command (the command line's, else RemoteCommand), or a login shell; a pty by RequestTTY and
 * whether stdin is a terminal; the variables SendEnv names and those SetEnv sets.
 */

import type { SshConfig } from "./ssh_config.ts";
import type { SshInvocation } from "./ssh_cli_options.ts";
import { matchPattern } from "./ssh_patterns.ts";
import type { SshLog } from "./ssh_log.ts";
import type { SessionPlan } from "./ssh_session.ts";
import { ptyRequest } from "./ssh_tty.ts";

/** The session to open; undefined for none (-N, SessionType none). */
export function sessionPlan(
  inv: SshInvocation,
  config: SshConfig,
  log: SshLog,
  env: { get(k: string): string | undefined; toObject(): Record<string, string> } = Deno.env,
  stdinIsTerminal: boolean = Deno.stdin.isTerminal(),
): SessionPlan | undefined {
  const s = config.session;
  if (s.sessionType === "none") return undefined;
  const command = inv.command !== "" ? inv.command : s.remoteCommand ?? "";
  const tty = wantsTty(s.requestTty, command !== "", s.stdinNull, stdinIsTerminal, log);
  const vars = sessionEnv(s.sendEnv, s.setEnv, env.toObject());
  const base = {
    env: vars,
    stdinNull: s.stdinNull,
    ...(tty ? { pty: ptyRequest(env) } : {}),
    // As ssh: escape sequences only with a pty.
    ...(tty && s.escapeChar !== undefined ? { escape: s.escapeChar } : {}),
  };
  if (s.sessionType === "subsystem") return { kind: "subsystem", command, ...base };
  return command !== "" ? { kind: "exec", command, ...base } : { kind: "shell", command, ...base };
}

/** ssh.c's tty_flag. */
export function wantsTty(
  request: SshConfig["session"]["requestTty"],
  hasCommand: boolean,
  stdinNull: boolean,
  stdinIsTerminal: boolean,
  log?: SshLog,
): boolean {
  let tty = request === "yes" || request === "force";
  if (!hasCommand) tty = request !== "no";
  if (request === "no") tty = false;
  if ((!stdinIsTerminal || stdinNull) && request !== "force") {
    if (tty) log?.info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
    tty = false;
  }
  return tty;
}

/** The variables sent: local ones SendEnv matches, then SetEnv's (which win). */
export function sessionEnv(
  sendEnv: readonly string[],
  setEnv: readonly string[],
  local: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(local)) {
    if (sendEnv.some((p) => matchPattern(name, p))) out[name] = value;
  }
  for (const entry of setEnv) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}
