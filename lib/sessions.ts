/** Session sockets on disk: where they live, what they are called, whether they are alive. */

import { SockhopError, UsageError } from "./errors.ts";
import { splitPathList } from "./platform_paths.ts";
import { errorCode } from "./errors.ts";

export type SessionState = "LIVE" | "DEAD" | "UNKNOWN" | "INACCESSIBLE";

/** Where sessions are looked for; resolved once from flags and the environment. */
export interface SessionDirs {
  readonly hostname: string;
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
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._+@-]{0,63}$/;
const DISPLAY_RE = /^:?(\d{1,6})$/;

/** Resolve the session dirs from `--socket-dirs`, `SOCKHOP_SOCKET_DIRS` and the defaults. */
export function resolveSessionDirs(
  env: { get(key: string): string | undefined },
  socketDirsFlag?: string,
  hostname: string = Deno.hostname(),
): SessionDirs {
  const home = env.get("HOME") ?? env.get("USERPROFILE") ?? "";
  const runtime = env.get("XDG_RUNTIME_DIR");
  const listed = socketDirsFlag ?? env.get("SOCKHOP_SOCKET_DIRS");
  const dirs = listed
    ? splitPathList(listed).map((d) => _expandHome(d, home))
    : [...(runtime ? [`${runtime}/sockhop`] : []), `${home}/.sockhop`];
  const xpraListed = env.get("SOCKHOP_XPRA_DIRS");
  const uid = Deno.uid();
  const xpraDirs = xpraListed !== undefined
    ? splitPathList(xpraListed).map((d) => _expandHome(d, home))
    : [
      ...(runtime ? [`${runtime}/xpra`] : uid !== null ? [`/run/user/${uid}/xpra`] : []),
      "/run/xpra",
      `${home}/.xpra`,
    ];
  return Object.freeze({ hostname, dirs: Object.freeze(dirs), xpraDirs: Object.freeze(xpraDirs) });
}

function _expandHome(dir: string, home: string): string {
  return dir === "~" ? home : dir.startsWith("~/") ? home + dir.slice(1) : dir;
}

/** Throw a usage error unless `name` is a valid session name. */
export function validateSessionName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new UsageError(
      `Invalid session name ${
        JSON.stringify(name)
      }: use 1-64 letters, digits, ".", "_", "+", "@" or "-", not starting with "." or "-"`,
    );
  }
  return name;
}

/** The display number of an xpra display name (`:100`, `100`), if it is one. */
export function xpraDisplay(name: string): string | undefined {
  return DISPLAY_RE.exec(name)?.[1];
}

/** The socket file name of a session: `<hostname>-<NAME>`, as xpra names its own. */
export function socketFileName(hostname: string, name: string): string {
  return `${hostname}-${name}`;
}

/** Probe a socket: LIVE when it accepts a connection. */
export async function probeSocket(path: string, timeoutMs = 2000): Promise<SessionState> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const conn = await Promise.race([
      Deno.connect({ transport: "unix", path }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Deno.errors.TimedOut("probe timed out")), timeoutMs);
      }),
    ]);
    conn.close();
    return "LIVE";
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.NotFound) {
      return "DEAD";
    }
    if (err instanceof Deno.errors.PermissionDenied || errorCode(err) === "EACCES") {
      return "INACCESSIBLE";
    }
    return "UNKNOWN";
  } finally {
    clearTimeout(timer);
  }
}

/** Every session socket in the dirs, probed; DEAD sockets the user owns are removed. */
export async function listSessions(dirs: SessionDirs, clean = true): Promise<SessionEntry[]> {
  const found: SessionEntry[] = [];
  const groups: [readonly string[], "sockhop" | "xpra"][] = [
    [dirs.dirs, "sockhop"],
    [dirs.xpraDirs, "xpra"],
  ];
  for (const [list, kind] of groups) {
    for (const dir of list) {
      for (const file of _socketFiles(dir)) {
        const path = `${dir}/${file}`;
        const state = await probeSocket(path);
        const { host, name } = _splitFileName(file, dirs.hostname);
        let cleaned = false;
        if (state === "DEAD" && clean && _ownedByMe(path)) {
          cleaned = _removeSocket(path);
        }
        found.push({ name, host, path, dir, kind, state, cleaned });
      }
    }
  }
  return found;
}

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
    try {
      if (Deno.lstatSync(`${dir}/${entry.name}`).isSocket) files.push(entry.name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return files.sort();
}

function _splitFileName(file: string, hostname: string): { host: string; name: string } {
  const prefix = `${hostname}-`;
  if (file.startsWith(prefix)) return { host: hostname, name: file.slice(prefix.length) };
  const dash = file.lastIndexOf("-");
  return dash > 0
    ? { host: file.slice(0, dash), name: file.slice(dash + 1) }
    : { host: "", name: file };
}

function _ownedByMe(path: string): boolean {
  const uid = Deno.uid();
  try {
    return uid !== null && Deno.lstatSync(path).uid === uid;
  } catch {
    return false;
  }
}

function _removeSocket(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return true;
    return false;
  }
}

/** The candidate socket paths of a session name, in search order. */
export function sessionPaths(
  dirs: SessionDirs,
  name: string,
): { path: string; kind: "sockhop" | "xpra" }[] {
  const file = socketFileName(dirs.hostname, name);
  const paths = dirs.dirs.map((d) => ({
    path: `${d}/${file}`,
    kind: "sockhop" as "sockhop" | "xpra",
  }));
  const display = xpraDisplay(name);
  if (display !== undefined) {
    const xfile = socketFileName(dirs.hostname, display);
    for (const d of dirs.xpraDirs) paths.push({ path: `${d}/${xfile}`, kind: "xpra" });
  }
  return paths;
}

/**
 * Open the session `name` with `connect` (the connection is the probe: an exec session is not
 * started twice). With no name, the single LIVE session. Throws a SockhopError naming the
 * sessions that do exist.
 */
export async function openSession<T>(
  dirs: SessionDirs,
  name: string,
  connect: (path: string) => Promise<T>,
): Promise<{ path: string; conn: T }> {
  if (name === "") {
    const live = (await listSessions(dirs, false)).filter((s) => s.state === "LIVE");
    if (live.length === 1) return { path: live[0]!.path, conn: await connect(live[0]!.path) };
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
    try {
      return { path, conn: await connect(path) };
    } catch (err) {
      if (err instanceof Deno.errors.PermissionDenied || errorCode(err) === "EACCES") {
        throw new SockhopError(
          `Session ${JSON.stringify(name)} at ${path} is not accessible to this user`,
          "no-session",
        );
      }
      if (_exists(path)) dead ??= path;
    }
  }
  const live = (await listSessions(dirs, false)).filter((s) => s.state === "LIVE");
  const others = live.length ? `sessions here: ${_names(live)}` : "no live sessions here";
  const what = dead
    ? `Session ${JSON.stringify(name)} is not running (${dead})`
    : `No session ${JSON.stringify(name)}`;
  throw new SockhopError(`${what}; ${others}`, "no-session");
}

function _names(entries: SessionEntry[]): string {
  return entries.map((e) => e.kind === "xpra" ? `:${e.name}` : e.name).join(", ");
}

function _exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
