/**
 * A session started over SSH must outlive the login: on systemd hosts where logind's
 * KillUserProcesses is on, everything in the login's scope dies at logout (xpra #1348). The
 * way out is a scope of its own (`systemd-run --user --scope`, as xpra does), or lingering.
 */

import { findProgram } from "./which.ts";

/** What a start does about it: a command prefix, and what to tell the user. */
export interface Survival {
  readonly prefix: readonly string[];
  readonly warning?: string;
}

/** What this host is like, as far as a start cares. */
export interface SystemdProbe {
  /** systemd is the init (`/run/systemd/system` exists). */
  readonly systemdHost: boolean;
  /** `systemd-run --user --scope true` works (a user manager to talk to). */
  readonly userScopeWorks: () => boolean;
  /** `loginctl show-user USER -p Linger --value`, when it can be asked. */
  readonly linger: () => string | undefined;
  readonly user: string;
}

export const SCOPE_PREFIX: readonly string[] = Object.freeze([
  "systemd-run",
  "--user",
  "--scope",
  "--quiet",
  "--collect",
]);

/** Pure: the prefix to start under, or the warning when there is none and no lingering. */
export function survival(probe: SystemdProbe): Survival {
  if (!probe.systemdHost) return { prefix: [] };
  if (probe.userScopeWorks()) return { prefix: SCOPE_PREFIX };
  if (probe.linger() === "yes") return { prefix: [] };
  return {
    prefix: [],
    warning:
      `this host runs systemd and systemd-run --user --scope is not available: if logind ends a user's processes at logout (KillUserProcesses), the session ends with this login; run loginctl enable-linger ${probe.user} to keep it`,
  };
}

/** The probe of this host. */
export function hostProbe(user: string): SystemdProbe {
  return {
    systemdHost: Deno.build.os === "linux" && _isDir("/run/systemd/system"),
    userScopeWorks: () =>
      findProgram("systemd-run") !== undefined &&
      _run("systemd-run", [...SCOPE_PREFIX.slice(1), "true"])?.code === 0,
    linger: () =>
      findProgram("loginctl") !== undefined
        ? _run("loginctl", ["show-user", user, "-p", "Linger", "--value"])?.stdout.trim()
        : undefined,
    user,
  };
}

function _isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function _run(cmd: string, args: string[]): { code: number; stdout: string } | undefined {
  try {
    const out = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" })
      .outputSync();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  } catch {
    return undefined;
  }
}
