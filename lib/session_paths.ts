/**
 * Where a session lives and whether that place is safe, as small pure functions with the
 * platform passed in, so that every rule is tested on every OS (Windows included, which cannot
 * run the tests that use real sockets).
 */

/** The operating system, as `Deno.build.os` names it. */
export type Platform = typeof Deno.build.os;

/**
 * What `list` says of a session: LIVE (accepts), DEAD (no process holds it), UNKNOWN (no
 * answer, or bound by a process that does not accept yet), INACCESSIBLE (the system refuses
 * this user), UNSAFE (sockhop refuses it: a symlink, another user's socket, a dir others can
 * write; never connected to).
 */
export type SessionState = "LIVE" | "DEAD" | "UNKNOWN" | "INACCESSIBLE" | "UNSAFE";

/** The longest unix socket path the platform takes, in bytes, without the closing NUL. */
export function unixPathMax(os: Platform): number {
  // sun_path is 108 bytes on Linux (and Android), 104 on macOS and the BSDs; the path must
  // leave room for its NUL.
  return os === "linux" || os === "android" ? 107 : 103;
}

const _OS_NAMES: Partial<Record<Platform, string>> = {
  linux: "Linux",
  android: "Android",
  darwin: "macOS",
  freebsd: "FreeBSD",
  netbsd: "NetBSD",
};

/** How far `path` is over the unix socket path limit of `os`, or undefined if it is not. */
export function unixPathExcess(path: string, os: Platform): string | undefined {
  const bytes = new TextEncoder().encode(path).length;
  const max = unixPathMax(os);
  if (bytes <= max) return undefined;
  return `socket path ${path} is ${bytes} bytes, ${bytes - max} more than the ${max} ${
    _OS_NAMES[os] ?? os
  } allows`;
}

/** Why `path` cannot be a unix socket path on `os` (too long), or undefined if it can. */
export function unixPathProblem(
  path: string,
  os: Platform,
  fix = "use a shorter --socket-dirs",
): string | undefined {
  const excess = unixPathExcess(path, os);
  return excess && `${excess[0]!.toUpperCase()}${excess.slice(1)}: ${fix}`;
}

/** What lstat (or stat) says about a file, as far as the checks below need. */
export interface FileFacts {
  readonly isSymlink: boolean;
  readonly isDirectory: boolean;
  readonly isSocket: boolean | null;
  readonly uid: number | null;
  readonly mode: number | null;
}

/** Who is asking: this user's uid (root's 0 is always trusted too). */
function _trusted(uid: number | null, me: number): boolean {
  return uid === null || uid === me || uid === 0;
}

function _octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/** A dir of many users: sticky, and others (or its group) may write it, as /tmp. */
export function isSharedDir(facts: FileFacts): boolean {
  const mode = facts.mode ?? 0;
  return facts.isDirectory && !facts.isSymlink && (mode & 0o1000) !== 0 && (mode & 0o022) !== 0;
}

/**
 * Why a session dir (from lstat) must not be used, or undefined. It is a real dir (no
 * symlink), owned by this user or root, and nobody else can write it, except a root-owned
 * sticky dir (as `/tmp`, or xpra's `/run/xpra`, 1775 root:xpra from its tmpfiles.d): there
 * nobody can remove or rename a file they do not own, so a socket that is this user's (which
 * `socketProblem` asks for) cannot be swapped.
 */
export function dirProblem(facts: FileFacts, me: number): string | undefined {
  if (facts.isSymlink) return "is a symlink";
  if (!facts.isDirectory) return "is not a directory";
  if (!_trusted(facts.uid, me)) return `belongs to another user (uid ${facts.uid})`;
  const mode = facts.mode ?? 0;
  if ((mode & 0o022) === 0) return undefined;
  if ((mode & 0o1000) !== 0 && facts.uid === 0) return undefined;
  const who = (mode & 0o020) !== 0 && (mode & 0o002) !== 0
    ? "group and others"
    : (mode & 0o020) !== 0
    ? "its group"
    : "others";
  return `is writable by ${who} (mode ${_octal(mode)})`;
}

/**
 * Why a parent of a session dir (from stat: a symlink there is followed, as macOS's /var is
 * one) lets someone else swap the dir, or undefined.
 */
export function parentProblem(facts: FileFacts, me: number): string | undefined {
  if (!_trusted(facts.uid, me)) return `belongs to another user (uid ${facts.uid})`;
  const mode = facts.mode ?? 0;
  if ((mode & 0o022) === 0 || (mode & 0o1000) !== 0) return undefined;
  return `is writable by others (mode ${_octal(mode)}) and not sticky`;
}

/** Why a session socket (from lstat) must not be opened, or undefined. */
export function socketProblem(facts: FileFacts, me: number): string | undefined {
  if (facts.isSymlink) return "is a symlink";
  if (facts.isSocket === false) return "is not a socket";
  if (!_trusted(facts.uid, me)) return `belongs to another user (uid ${facts.uid})`;
  return undefined;
}

/** What to do about a session dir or socket that failed a check. */
export function problemFix(what: "dir" | "parent" | "socket", path: string, why: string): string {
  if (why.startsWith("is writable")) {
    return what === "dir" ? `run chmod go-w ${path}, or use --socket-dirs` : "use --socket-dirs";
  }
  if (what === "socket" && why.startsWith("belongs")) {
    return "it is not yours: leave it alone and use another name or --socket-dirs";
  }
  return "use --socket-dirs with a dir of your own";
}

/** The parents of an absolute posix path, nearest first, `/` last. */
export function parentsOf(path: string): string[] {
  // Posix by design: file modes are checked on unix only (no uid on Windows, no check).
  const out: string[] = [];
  let p = path.replace(/\/+$/, "");
  while (p.length > 0) {
    const slash = p.lastIndexOf("/");
    p = slash <= 0 ? "" : p.slice(0, slash);
    out.push(p === "" ? "/" : p);
  }
  return out;
}

/**
 * The paths of unix sockets bound by a process now, from the text of Linux's
 * `/proc/net/unix` (the path is everything after the 7th column; abstract sockets start with
 * `@`). Its Inode column is the socket's own inode (what `/proc/PID/fd` shows as
 * `socket:[N]`), not the inode of the file on disk, so a socket file is matched by path.
 */
export function boundSocketPaths(procNetUnix: string): Set<string> {
  const paths = new Set<string>();
  for (const line of procNetUnix.split("\n").slice(1)) {
    const m = /^\s*\S+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+ (.+)$/.exec(line);
    if (m && !m[1]!.startsWith("@")) paths.add(m[1]!);
  }
  return paths;
}

/**
 * Whether a process holds the socket file `path` bound, given the bound paths. A socket
 * bound with a relative path is listed as given, so one with the same last part counts too:
 * when in doubt a socket is not dead.
 */
export function isBound(path: string, bound: ReadonlySet<string>): boolean {
  if (bound.has(path)) return true;
  for (const p of bound) {
    // Paths from Linux's /proc/net/unix: posix.
    if (!p.startsWith("/") && (path === p || path.endsWith(`/${p.replace(/^\.\//, "")}`))) {
      return true;
    }
  }
  return false;
}

/** The prefix of this user's session pipes on Windows. */
export const PIPE_DIR = "\\\\.\\pipe\\";

/**
 * A Windows user name made safe for a pipe name: every character but letters, digits, `_`
 * and `.` percent-encoded, so `-` only ever separates the parts and `bob` cannot read
 * `bob-x`'s pipes as its own.
 */
export function pipeUser(user: string): string {
  return Array.from(new TextEncoder().encode(user), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9_.]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** The pipe of session `name` on Windows: `\\.\pipe\sockhop-<user>-<hostname>-<NAME>`. */
export function pipePath(user: string, hostname: string, name: string, dir = PIPE_DIR): string {
  return `${dir}sockhop-${pipeUser(user)}-${hostname}-${name}`;
}

/** The host and name of a session socket file `<hostname>-<NAME>`. */
export function splitFileName(file: string, hostname: string): { host: string; name: string } {
  const prefix = `${hostname}-`;
  if (file.startsWith(prefix)) return { host: hostname, name: file.slice(prefix.length) };
  const dash = file.lastIndexOf("-");
  return dash > 0
    ? { host: file.slice(0, dash), name: file.slice(dash + 1) }
    : { host: "", name: file };
}

/**
 * This user's session pipes among the names in the pipe namespace (`\\.\pipe\` listed), in
 * order. Windows compares pipe names without case.
 */
export function sessionPipes(
  pipeNames: readonly string[],
  user: string,
  hostname: string,
  dir = PIPE_DIR,
): { pipe: string; host: string; name: string }[] {
  const prefix = `sockhop-${pipeUser(user)}-`.toLowerCase();
  return pipeNames
    .filter((n) => n.toLowerCase().startsWith(prefix) && n.length > prefix.length)
    .sort()
    .map((n) => ({ pipe: dir + n, ...splitFileName(n.slice(prefix.length), hostname) }));
}
