/** Session sockets on disk: where they live, what they are called, whether they are alive. */

import { errorCode, errorText, SockhopError } from "./errors.ts";
import { removeDeadSocket, type SocketCheckOptions, socketState } from "./dead_socket.ts";
import { readSessionKey } from "./pipe_auth.ts";
import { baseName, expandHome, homeDir, joinPath, splitPathList } from "./platform_paths.ts";
import { isSessionName, xpraDisplay } from "./session_name.ts";
import {
  checkSessionDir,
  checkSessionSocket,
  type Refusal,
  refusalBrief,
  refusalText,
} from "./session_check.ts";
import {
  isSharedDir,
  PIPE_DIR,
  pipePath,
  type Platform,
  sessionPipes,
  type SessionState,
  splitFileName,
  unixPathProblem,
} from "./session_paths.ts";
import { probePipe, type SessionSocketOptions } from "./session_socket.ts";
import { askSession, type SessionInfo } from "./session_status.ts";

export type { SessionState } from "./session_paths.ts";
export { probeSocket } from "./dead_socket.ts";

/** Where sessions are looked for; resolved once from flags and the environment. */
export interface SessionDirs {
  readonly hostname: string;
  /** The platform (default: this one); Windows sessions are named pipes. */
  readonly os?: Platform;
  /** Windows: the user whose session pipes these are (default: `USERNAME`). */
  readonly user?: string;
  /** Windows: where the pipes are (default `\\.\pipe\`; tests give a dir of their own). */
  readonly pipeDir?: string;
  /** sockhop's own dirs; `serve` creates its socket in the first one it can use. */
  readonly dirs: readonly string[];
  /** xpra's socket dirs, searched for xpra sessions. */
  readonly xpraDirs: readonly string[];
}

export interface SessionEntry {
  readonly name: string;
  readonly host: string;
  readonly path: string;
  readonly dir: string;
  readonly kind: "sockhop" | "xpra";
  readonly state: SessionState;
  readonly cleaned: boolean;
  /** Why the state is what it is, when that is not plain (UNSAFE, a server starting). */
  readonly reason?: string;
  /** A sockhop session's serve, as its status socket describes it. */
  readonly pid?: number;
  readonly target?: string;
  readonly started?: string;
  readonly clients?: number;
  readonly log?: string;
}

/** Resolve the session dirs from `--socket-dirs`, `SOCKHOP_SOCKET_DIRS` and the defaults. */
export function resolveSessionDirs(
  env: { get(key: string): string | undefined },
  socketDirsFlag?: string,
  hostname: string = Deno.hostname(),
  os: Platform = Deno.build.os,
): SessionDirs {
  const home = homeDir(env, os);
  const runtime = env.get("XDG_RUNTIME_DIR");
  const listed = socketDirsFlag ?? env.get("SOCKHOP_SOCKET_DIRS");
  const given = listed
    ? splitPathList(listed, os).map((d) => expandHome(d, home, os))
    : [...(runtime ? [joinPath([runtime, "sockhop"], os)] : []), joinPath([home, ".sockhop"], os)];
  const dirs = os === "windows" ? given : given.map((d) => privateDirIn(d));
  const xpraListed = env.get("SOCKHOP_XPRA_DIRS");
  const uid = Deno.uid();
  const xpraDirs = xpraListed !== undefined
    ? splitPathList(xpraListed, os).map((d) => expandHome(d, home, os))
    : [
      // xpra's own places on unix (its Windows sessions are not looked for, below).
      ...(runtime
        ? [joinPath([runtime, "xpra"], os)]
        : uid !== null
        ? [`/run/user/${uid}/xpra`]
        : []),
      "/run/xpra",
      joinPath([home, ".xpra"], os),
    ];
  return Object.freeze({
    hostname,
    os,
    ...(os === "windows" ? { user: env.get("USERNAME") ?? "" } : {}),
    dirs: Object.freeze(dirs),
    // xpra's Windows sessions are pipes of its own naming: not looked for there.
    xpraDirs: Object.freeze(os === "windows" ? [] : xpraDirs),
  });
}

/**
 * The dir this user's sessions take in `dir`: `dir` itself, or when `dir` is shared (sticky and
 * writable by others, as /tmp), this user's own subdir of it, `sockhop-UID` (tmux's way): a
 * shared dir is nobody's to make private, and other users' files in it (a status socket dir made
 * first) are not this user's to use or remove. `serve` creates the subdir 0700; every other
 * command looks there.
 */
export function privateDirIn(dir: string, me: number | null = Deno.uid()): string {
  if (me === null) return dir;
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(dir);
  } catch {
    // Not there, or not to be looked at: the dir as given, whose checks then say what is wrong.
    return dir;
  }
  return isSharedDir(info) ? joinPath([dir, `sockhop-${me}`]) : dir;
}

/** The socket file name of a session: `<hostname>-<NAME>`, as xpra names its own. */
export function socketFileName(hostname: string, name: string): string {
  return `${hostname}-${name}`;
}

/**
 * Every session socket in the dirs (Windows: this user's session pipes), checked and probed.
 * A socket that fails the check (session_check.ts) is UNSAFE and never connected to; a DEAD
 * socket (no process holds it) is removed when it is this user's and `clean` is on.
 */
export async function listSessions(
  dirs: SessionDirs,
  clean = true,
  options: SocketCheckOptions = {},
): Promise<SessionEntry[]> {
  if (_os(dirs) === "windows") return await _listPipes(dirs);
  const found: SessionEntry[] = [];
  const groups: [readonly string[], "sockhop" | "xpra"][] = [
    [dirs.dirs, "sockhop"],
    [dirs.xpraDirs, "xpra"],
  ];
  const me = Deno.uid();
  for (const [list, kind] of groups) {
    for (const dir of list) {
      const dirRefusal = checkSessionDir(dir, me);
      const entries = _socketFiles(dir).map(async (file): Promise<SessionEntry> => {
        const path = joinPath([dir, file], _os(dirs));
        const { host, name } = splitFileName(file, dirs.hostname);
        const base = { name, host, path, dir, kind };
        let refusal: Refusal | undefined;
        try {
          refusal = checkSessionSocket(path, me, dirRefusal);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) {
            return { ...base, state: "DEAD", cleaned: false, reason: "gone meanwhile" };
          }
          throw err;
        }
        if (refusal) {
          return {
            ...base,
            state: "UNSAFE",
            cleaned: false,
            reason: `${refusalBrief(refusal)}: ${refusal.fix}`,
          };
        }
        const tooLong = unixPathProblem(path, _os(dirs));
        if (tooLong) return { ...base, state: "INACCESSIBLE", cleaned: false, reason: tooLong };
        // A sockhop serve answers for its session, which is never connected to.
        let info: SessionInfo | undefined;
        try {
          info = kind === "sockhop" ? await askSession(path, "probe") : undefined;
        } catch (err) {
          // A status socket that took the probe is a serve's: busy, not dead, and its service
          // is not for list to touch.
          if (!(err instanceof Deno.errors.TimedOut)) throw err;
          return { ...base, state: "UNKNOWN", cleaned: false, reason: err.message };
        }
        if (info) return { ...base, state: "LIVE", cleaned: false, ..._described(info) };
        const result = clean && _ownedByMe(path, me)
          ? await removeDeadSocket(path, options)
          : { ...await socketState(path, options), removed: false };
        return {
          ...base,
          state: result.state,
          cleaned: result.removed,
          ...(result.reason ? { reason: result.reason } : {}),
        };
      });
      found.push(...await Promise.all(entries));
    }
  }
  return found;
}

function _described(info: SessionInfo) {
  return {
    pid: info.pid,
    target: info.target,
    started: info.started,
    clients: info.clients,
    ...(info.log !== undefined ? { log: info.log } : {}),
  };
}

async function _listPipes(dirs: SessionDirs): Promise<SessionEntry[]> {
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(pipeDir(dirs))) names.push(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    // Wine, and some Windows setups: sessions are still reached by name.
    throw new SockhopError(
      `Cannot list the named pipes in ${pipeDir(dirs)} (${
        errorText(err)
      }): name the session, as in sockhop connect NAME`,
    );
  }
  const key = readSessionKey(dirs.dirs);
  const pipes = sessionPipes(names, _user(dirs), dirs.hostname, pipeDir(dirs));
  return await Promise.all(pipes.map(async ({ pipe, host, name }): Promise<SessionEntry> => {
    const base = {
      name,
      host,
      path: pipe,
      dir: pipeDir(dirs),
      kind: "sockhop" as const,
      cleaned: false,
    };
    if (!key) {
      return {
        ...base,
        state: "UNSAFE",
        reason: "this user has no session key, so it is not this user's sockhop serve",
      };
    }
    try {
      // Its serve answers for it, after the handshake (so the pipe is this user's session).
      const info = await askSession(pipe, "probe", 2000, key);
      if (info) return { ...base, state: "LIVE", ..._described(info) };
      await probePipe(pipe, key);
      return { ...base, state: "LIVE" };
    } catch (err) {
      if (err instanceof Deno.errors.TimedOut) {
        return { ...base, state: "UNKNOWN", reason: err.message };
      }
      if (err instanceof SockhopError && err.code === "session-refused") {
        return { ...base, state: "UNSAFE", reason: "not created by this user's sockhop serve" };
      }
      if (errorCode(err) === "ENOENT") return { ...base, state: "DEAD", reason: "gone meanwhile" };
      return { ...base, state: "UNKNOWN", reason: errorText(err) };
    }
  }));
}

/** Names in `dir` that are sockets, or symlinks to sockets (reported, never followed). */
function _socketFiles(dir: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return [];
    if (err instanceof Deno.errors.PermissionDenied) return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = joinPath([dir, entry.name]);
    try {
      const lstat = Deno.lstatSync(path);
      if (lstat.isSocket || (lstat.isSymlink && Deno.statSync(path).isSocket)) {
        files.push(entry.name);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return files.sort();
}

function _ownedByMe(path: string, uid: number | null): boolean {
  try {
    return uid !== null && Deno.lstatSync(path).uid === uid;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function _os(dirs: SessionDirs): Platform {
  return dirs.os ?? Deno.build.os;
}

/** Where a Windows session's pipe is. */
export function pipeDir(dirs: SessionDirs): string {
  return dirs.pipeDir ?? PIPE_DIR;
}

function _user(dirs: SessionDirs): string {
  return dirs.user ?? Deno.env.get("USERNAME") ?? Deno.env.get("USER") ?? "";
}

/** The candidate socket paths of a session name, in search order (Windows: its pipe). */
export function sessionPaths(
  dirs: SessionDirs,
  name: string,
): { path: string; kind: "sockhop" | "xpra" }[] {
  if (_os(dirs) === "windows") {
    return [{ path: pipePath(_user(dirs), dirs.hostname, name, pipeDir(dirs)), kind: "sockhop" }];
  }
  const file = socketFileName(dirs.hostname, name);
  const paths = dirs.dirs.map((d) => ({
    path: joinPath([d, file], _os(dirs)),
    kind: "sockhop" as "sockhop" | "xpra",
  }));
  const display = xpraDisplay(name);
  if (display !== undefined) {
    const xfile = socketFileName(dirs.hostname, display);
    for (const d of dirs.xpraDirs) {
      paths.push({ path: joinPath([d, xfile], _os(dirs)), kind: "xpra" });
    }
  }
  return paths;
}

/** How a session socket is opened: `connectSession`, or a stand-in. */
export type SessionConnect<T> = (path: string, options: SessionSocketOptions) => Promise<T>;

/**
 * Open the session `name` with `connect` (the connection is the probe: an exec session is not
 * started twice). With no name, the single LIVE session. Every socket is checked first
 * (session_check.ts) and one that fails is never connected to. Throws a SockhopError naming
 * the sessions that do exist, or why a socket was refused and what to do.
 */
export async function openSession<T>(
  dirs: SessionDirs,
  name: string,
  connect: SessionConnect<T>,
): Promise<{ path: string; conn: T }> {
  const windows = _os(dirs) === "windows";
  const options = { key: windows ? readSessionKey(dirs.dirs) : undefined };
  if (name === "") {
    const live = (await listSessions(dirs, false)).filter((s) => s.state === "LIVE");
    if (live.length === 1) {
      return { path: live[0]!.path, conn: await connect(live[0]!.path, options) };
    }
    throw new SockhopError(
      live.length === 0
        ? "No session name given and no live session here: start one with sockhop serve NAME TARGET"
        : `No session name given and ${live.length} live sessions here: name one of ${
          _names(live)
        }`,
      "no-session",
    );
  }
  let dead: string | undefined;
  for (const { path } of sessionPaths(dirs, name)) {
    if (windows && !options.key) break;
    if (!windows) {
      if (!_refuseUnsafe(path, name)) continue;
      const tooLong = unixPathProblem(path, _os(dirs));
      if (tooLong) throw new SockhopError(tooLong, "path-too-long");
    }
    try {
      return { path, conn: await connect(path, options) };
    } catch (err) {
      if (err instanceof SockhopError) throw err;
      if (err instanceof Deno.errors.PermissionDenied || errorCode(err) === "EACCES") {
        throw new SockhopError(
          `Session ${JSON.stringify(name)} at ${path} is not accessible to this user`,
          "no-session",
        );
      }
      if (!windows) dead ??= path;
    }
  }
  const live = (await listSessions(dirs, false)).filter((s) => s.state === "LIVE");
  const others = live.length ? `sessions here: ${_names(live)}` : "no live sessions here";
  const what = dead
    ? `Session ${JSON.stringify(name)} is not running (${dead})`
    : `No session ${JSON.stringify(name)}`;
  throw new SockhopError(`${what}; ${others}`, "no-session");
}

/** False when there is nothing at `path`; throws when what is there fails the check. */
function _refuseUnsafe(path: string, name: string): boolean {
  let refusal: Refusal | undefined;
  try {
    refusal = checkSessionSocket(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  if (!refusal) return true;
  throw new SockhopError(
    `Refusing session ${JSON.stringify(name)} at ${path}: ${refusalText(refusal)}`,
    "unsafe-session",
  );
}

/**
 * Open the socket a direct-streamlocal channel asks for: only a session socket straight in
 * one of this user's session dirs (Windows: one of this user's session pipes), with `only`
 * exactly that session, and only once it passed the checks `openSession` makes. Throws a
 * SockhopError saying why not.
 */
export async function openSocketPath<T>(
  dirs: SessionDirs,
  socketPath: string,
  only: string | undefined,
  connect: SessionConnect<T>,
): Promise<T> {
  const windows = _os(dirs) === "windows";
  const name = _sessionOfPath(dirs, socketPath);
  if (name === undefined || (only !== undefined && name !== only)) {
    throw new SockhopError("Not one of this user's session sockets", "no-session");
  }
  if (windows) {
    const key = readSessionKey(dirs.dirs);
    if (!key) throw new SockhopError(`No session ${JSON.stringify(name)}`, "no-session");
    return await connect(socketPath, { key });
  }
  if (!_refuseUnsafe(socketPath, name)) {
    throw new SockhopError(`No session ${JSON.stringify(name)}`, "no-session");
  }
  return await connect(socketPath, {});
}

function _sessionOfPath(dirs: SessionDirs, socketPath: string): string | undefined {
  if (_os(dirs) === "windows") {
    const prefix = pipePath(_user(dirs), dirs.hostname, "", pipeDir(dirs)).toLowerCase();
    return socketPath.toLowerCase().startsWith(prefix)
      ? _validName(socketPath.slice(prefix.length))
      : undefined;
  }
  const file = baseName(socketPath, _os(dirs));
  const prefix = `${dirs.hostname}-`;
  // Exactly the path sessionPaths gives in one of the dirs: a `..` folded here could lead
  // somewhere else on disk (through a symlink).
  const inDir = dirs.dirs.some((d) => joinPath([d, file], _os(dirs)) === socketPath);
  if (!inDir || !file.startsWith(prefix)) return undefined;
  return _validName(file.slice(prefix.length));
}

function _validName(name: string): string | undefined {
  return isSessionName(name) ? name : undefined;
}

function _names(entries: SessionEntry[]): string {
  return entries.map((e) => e.kind === "xpra" ? `:${e.name}` : e.name).join(", ");
}
