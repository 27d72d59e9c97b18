/**
 * Paths as this platform spells them, in one place: joining and taking apart (node:path, the
 * Windows or POSIX flavour), path lists (`;` on Windows, `:` elsewhere, as PATH), `~`, and
 * where OpenSSH keeps its system-wide and per-user files. Every function takes the platform,
 * so each one is tested for every OS on any OS.
 */

import { posix, win32 } from "node:path";

export type Os = typeof Deno.build.os;

/** Environment variables, as Deno.env or a test's map gives them. */
export type Env = { get(key: string): string | undefined };

function _path(os: Os) {
  return os === "windows" ? win32 : posix;
}

// node:path throws on a String object, which TypeScript takes for a string (a temp dir
// string given a dispose method is one): each path is taken as its text first.

/** `parts` joined with this platform's separator. */
export function joinPath(parts: readonly string[], os: Os = Deno.build.os): string {
  return _path(os).join(...parts.map(String));
}

/** The directory a file is in: "." for a bare name, never a truncated name. */
export function parentDir(file: string, os: Os = Deno.build.os): string {
  return _path(os).dirname(String(file));
}

/** The last part of a path. */
export function baseName(file: string, os: Os = Deno.build.os): string {
  return _path(os).basename(String(file));
}

export function isAbsolutePath(path: string, os: Os = Deno.build.os): boolean {
  return _path(os).isAbsolute(String(path));
}

/** The separator of path lists: `;` on Windows (where `C:\` has a colon), `:` elsewhere. */
export function pathListSeparator(os: Os = Deno.build.os): string {
  return os === "windows" ? ";" : ":";
}

/** A path list (`--socket-dirs`, `SOCKHOP_SOCKET_DIRS`, ...) as its entries, empty ones dropped. */
export function splitPathList(value: string, os: Os = Deno.build.os): string[] {
  return value.split(pathListSeparator(os)).filter(Boolean);
}

/** `~` and `~/...` (also `~\...` on Windows) under `home`; anything else as it is. */
export function expandHome(path: string, home: string, os: Os = Deno.build.os): string {
  if (path === "~") return home;
  const sep = os === "windows" ? /^~[\\/]/ : /^~\//;
  return sep.test(path) ? joinPath([home, path.slice(2)], os) : path;
}

/**
 * This user's home: HOME, or USERPROFILE on Windows (where HOME is usually unset). With
 * neither, the root, as `${HOME}/...` gave: a file under the home is never looked for (or
 * made) in the working directory.
 */
export function homeDir(env: Env, os: Os = Deno.build.os): string {
  return ((os === "windows" ? env.get("USERPROFILE") || env.get("HOME") : env.get("HOME")) ??
    env.get("USERPROFILE")) || _path(os).sep;
}

/**
 * Where OpenSSH keeps its system-wide files: `/etc/ssh`, or `%ProgramData%\ssh` on Windows
 * (Win32-OpenSSH's `__PROGRAMDATA__\ssh`).
 */
export function systemSshDir(env: Env = Deno.env, os: Os = Deno.build.os): string {
  if (os !== "windows") return "/etc/ssh";
  return joinPath(
    [env.get("ProgramData") ?? env.get("PROGRAMDATA") ?? "C:\\ProgramData", "ssh"],
    os,
  );
}

/** The system-wide ssh_config. */
export function systemSshConfig(env: Env = Deno.env, os: Os = Deno.build.os): string {
  return joinPath([systemSshDir(env, os), "ssh_config"], os);
}

/** The system-wide known hosts files, as OpenSSH's GlobalKnownHostsFile default. */
export function systemKnownHostsFiles(env: Env = Deno.env, os: Os = Deno.build.os): string[] {
  const dir = systemSshDir(env, os);
  return ["ssh_known_hosts", "ssh_known_hosts2"].map((f) => joinPath([dir, f], os));
}

/** `~/.ssh`: `%USERPROFILE%\.ssh` on Windows. */
export function userSshDir(env: Env = Deno.env, os: Os = Deno.build.os): string {
  return joinPath([homeDir(env, os), ".ssh"], os);
}
