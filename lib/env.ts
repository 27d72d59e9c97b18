/**
 * This process's environment as sockhop reads it, in one place: the user, the home directory
 * (through platform_paths.ts), the host name, and sockhop's own config directory. Client and
 * server both start here.
 */

import { type Env, homeDir, joinPath, type Os } from "./platform_paths.ts";

/** Who and where this process is, for ssh_config's tokens and Match, and for defaults. */
export interface LocalEnv {
  readonly home: string;
  readonly localUser: string;
  readonly localHost: string;
}

/** This user's home and name, and this host's name. */
export function localEnv(env: Env = Deno.env): LocalEnv {
  const localUser = env.get("USER") ?? env.get("USERNAME") ?? env.get("LOGNAME") ??
    (Deno.uid() === 0 ? "root" : "");
  return { home: homeDir(env), localUser, localHost: Deno.hostname() };
}

/** `$XDG_CONFIG_HOME/sockhop`, `~/.config/sockhop`, or `%APPDATA%\\sockhop`. */
export function configDir(env: Env, os: Os = Deno.build.os): string {
  if (os === "windows") {
    return joinPath([env.get("APPDATA") ?? homeDir(env, os), "sockhop"], os);
  }
  const xdg = env.get("XDG_CONFIG_HOME");
  return joinPath([xdg || joinPath([homeDir(env, os), ".config"], os), "sockhop"], os);
}

/** Where sockhop keeps its logs: `$XDG_STATE_HOME/sockhop`, `~/.local/state/sockhop`, or `%LOCALAPPDATA%\\sockhop`. */
export function stateDir(env: Env, os: Os = Deno.build.os): string {
  if (os === "windows") {
    return joinPath([env.get("LOCALAPPDATA") ?? homeDir(env, os), "sockhop"], os);
  }
  const xdg = env.get("XDG_STATE_HOME");
  return joinPath([xdg || joinPath([homeDir(env, os), ".local", "state"], os), "sockhop"], os);
}

/** The file `sockhop passwd` writes and `serve --bind-ssh` reads by default. */
export function defaultPasswordsFile(env: Env, os: Os = Deno.build.os): string {
  return joinPath([configDir(env, os), "passwords"], os);
}
