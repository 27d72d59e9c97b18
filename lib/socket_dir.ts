/**
 * Where `serve` puts a session: a socket in the first usable socket dir, private to the user
 * (0700), or on Windows a named pipe and the user's session key.
 */

import { resolve } from "node:path";
import { removeDeadSocket, socketAt, type SocketCheckOptions } from "./dead_socket.ts";
import { errorCode, SockhopError } from "./errors.ts";
import { ensureSessionKey, KEY_FILE } from "./pipe_auth.ts";
import { joinPath } from "./platform_paths.ts";
import { checkParents, checkSessionDir, refusalText } from "./session_check.ts";
import { type Platform, unixPathExcess } from "./session_paths.ts";
import { pipeDir, type SessionDirs, sessionPaths, socketFileName } from "./sessions.ts";
import { probePipe } from "./session_socket.ts";

/** Where a new session listens: the socket path or pipe, and the key a pipe needs. */
export interface SessionPlace {
  readonly path: string;
  readonly key?: Uint8Array;
}

/**
 * Make the place for session `name`: the dir ready, an old DEAD socket of that name removed.
 * Throws a SockhopError when a session of that name runs, or no dir can be used.
 */
export async function prepareSession(
  dirs: SessionDirs,
  name: string,
  options: SocketCheckOptions = {},
): Promise<SessionPlace> {
  const os = dirs.os ?? Deno.build.os;
  if (os === "windows") {
    const key = ensureSessionKey(prepareSocketDir(dirs.dirs, KEY_FILE, os));
    const path = sessionPaths(dirs, name)[0]!.path;
    await checkPipeFree(pipeDir(dirs), path, name, key);
    return { path, key };
  }
  const file = socketFileName(dirs.hostname, name);
  const path = joinPath([prepareSocketDir(dirs.dirs, file, os), file], os);
  await _clearOldSocket(path, name, options);
  return { path };
}

/**
 * Create (or check) the first usable dir of `dirs` and return it. A dir where
 * `<dir>/<fileName>` would be too long for a unix socket is passed over for the next one.
 */
export function prepareSocketDir(
  dirs: readonly string[],
  fileName: string,
  os: Platform = Deno.build.os,
): string {
  const problems: string[] = [];
  let tooLong = false;
  for (const dir of dirs) {
    const excess = os === "windows" ? undefined : unixPathExcess(joinPath([dir, fileName], os), os);
    if (excess) {
      problems.push(excess);
      tooLong = true;
      continue;
    }
    try {
      _ensurePrivate(dir, _makeDir(dir));
      return dir;
    } catch (err) {
      if (err instanceof SockhopError) throw err;
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new SockhopError(
    `No usable socket dir (${problems.join("; ")}): ${
      tooLong ? "use a shorter --socket-dirs" : "set --socket-dirs to a dir you can write"
    }`,
    tooLong ? "path-too-long" : "socket-dir",
  );
}

/** Create `dir` (and its parents) 0700; true when `dir` itself was made here. */
function _makeDir(dir: string): boolean {
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return true;
}

/**
 * The dir is a real dir of this user's (never a symlink) in parents nobody else can write, and
 * nobody else can write it. Its mode is set only when it was `created` here: a dir that was
 * there is someone's choice (once /tmp, given as a socket dir to a serve run as root, was
 * made 0700 for the whole machine); one that is not safe is refused, naming the fix.
 */
function _ensurePrivate(dir: string, created: boolean) {
  const me = Deno.uid();
  if (me === null) return;
  const abs = resolve(dir);
  const parents = checkParents(abs, me);
  if (parents) throw _unusable(abs, refusalText(parents));
  const stat = Deno.lstatSync(abs);
  if (stat.isSymlink) {
    throw _unusable(abs, `${abs} is a symlink: use --socket-dirs with a real dir of your own`);
  }
  if (!stat.isDirectory) throw _unusable(abs, `${abs} is not a directory: use --socket-dirs`);
  if (stat.uid !== me) {
    throw new SockhopError(
      `Socket dir ${dir} belongs to another user (uid ${stat.uid}), not made by this sockhop: use --socket-dirs with a dir of your own`,
      "socket-dir",
    );
  }
  // The umask may have taken bits of ours; never added any for others.
  if (created && ((stat.mode ?? 0) & 0o777) !== 0o700) Deno.chmodSync(abs, 0o700);
  const left = checkSessionDir(abs, me);
  if (left) throw _unusable(abs, refusalText(left));
}

function _unusable(dir: string, why: string): SockhopError {
  return new SockhopError(`Socket dir ${dir} cannot be used: ${why}`, "socket-dir");
}

function _inUse(name: string, path: string): SockhopError {
  return new SockhopError(
    `A session named ${
      JSON.stringify(name)
    } is already running (${path}): pick another name or stop it with sockhop stop ${name}`,
    "name-in-use",
  );
}

/** A LIVE session of that name is kept; a DEAD socket (no process holds it) removed. */
async function _clearOldSocket(path: string, name: string, options: SocketCheckOptions) {
  if (!socketAt(path, "move it away")) return;
  const { state, reason } = await removeDeadSocket(path, options);
  if (state === "LIVE") throw _inUse(name, path);
  if (state !== "DEAD") {
    throw new SockhopError(
      `Session socket ${path} is ${state}${
        reason ? ` (${reason})` : ""
      }: if no session uses it, remove it and try again`,
      "name-in-use",
    );
  }
}

/** The names in the pipe namespace, as `Deno.readDirSync` lists them (tests give another). */
export type PipeLister = (dir: string) => Iterable<{ name: string }>;

/**
 * Throws unless the pipe of session `name` is free: another instance of the pipe would share
 * the name with whatever holds it now. Listed, not opened (opening a pipe to look would take
 * one of its instances, as a client does); where the namespace cannot be listed (Wine, some
 * Windows setups) the pipe is opened by name instead.
 */
export async function checkPipeFree(
  dir: string,
  path: string,
  name: string,
  key: Uint8Array,
  list: PipeLister = Deno.readDirSync,
): Promise<void> {
  const listed = _pipeListed(dir, path, list);
  if (listed === false) return;
  try {
    await probePipe(path, key);
  } catch (err) {
    if (listed === undefined && errorCode(err) === "ENOENT") return;
    throw err;
  }
  throw _inUse(name, path);
}

/** Whether a pipe of that name is listed; undefined when the namespace cannot be listed. */
function _pipeListed(dir: string, path: string, list: PipeLister): boolean | undefined {
  const name = path.slice(dir.length).toLowerCase();
  try {
    for (const entry of list(dir)) {
      if (entry.name.toLowerCase() === name) return true;
    }
  } catch {
    return undefined;
  }
  return false;
}
