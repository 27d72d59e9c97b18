/**
 * Whether a unix socket is alive, and removing the dead ones: the one cleaner that `list`,
 * `serve` and `forward --listen=unix:` use. A socket that refuses a connection is not dead
 * yet: a server that has bound its socket but does not listen yet (xpra takes about half a
 * second) refuses too, and removing its socket would leave it unreachable for good.
 */

import { errorCode, SockhopError } from "./errors.ts";
import { boundSocketPaths, isBound, type SessionState } from "./session_paths.ts";

/** Probe a socket: LIVE when it accepts a connection, DEAD when refused or gone. */
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

export interface SocketCheckOptions {
  /**
   * The text of Linux's `/proc/net/unix`, or undefined where there is none (then a refused
   * socket is probed again after `recheckMs`). Default: read it on Linux.
   */
  readonly procNetUnix?: () => string | undefined;
  /** How long to wait before the second probe where `/proc/net/unix` cannot tell. */
  readonly recheckMs?: number;
  /** How long a probe waits for an answer. */
  readonly timeoutMs?: number;
}

/** Where /proc/net/unix cannot tell: twice xpra's half second from bind to listen. */
const RECHECK_MS = 1500;

/**
 * The state of the socket at `path`, with the reason when it is not plain. /proc/net/unix can
 * only say yes: it lists a socket as its server spelled the path (through a symlinked dir, a
 * relative path) and only for this network namespace. So not found there means "probe again"
 * (after a server's bind-to-listen time), never DEAD by itself.
 */
export async function socketState(
  path: string,
  options: SocketCheckOptions = {},
): Promise<{ state: SessionState; reason?: string }> {
  const state = await probeSocket(path, options.timeoutMs);
  if (state !== "DEAD") return { state };
  const proc = (options.procNetUnix ?? _readProcNetUnix)();
  if (proc !== undefined && _boundSomehow(path, boundSocketPaths(proc))) {
    return { state: "UNKNOWN", reason: "a process has it bound but does not accept yet" };
  }
  await new Promise((r) => setTimeout(r, options.recheckMs ?? RECHECK_MS));
  return { state: await probeSocket(path, options.timeoutMs) };
}

/** Bound as spelled here, or under another spelling of the same file (a symlinked dir). */
function _boundSomehow(path: string, bound: ReadonlySet<string>): boolean {
  if (isBound(path, bound)) return true;
  const real = _realPath(path);
  if (real === undefined) return false;
  const file = real.slice(real.lastIndexOf("/") + 1);
  for (const p of bound) {
    if (p.startsWith("/") && p.endsWith(`/${file}`) && _realPath(p) === real) return true;
  }
  return false;
}

/** The path with its dir's symlinks resolved (the socket itself is not followed). */
function _realPath(path: string): string | undefined {
  const at = path.lastIndexOf("/");
  try {
    const dir = Deno.realPathSync(at > 0 ? path.slice(0, at) : at === 0 ? "/" : ".");
    return `${dir === "/" ? "" : dir}/${path.slice(at + 1)}`;
  } catch {
    return undefined;
  }
}

/**
 * Remove the socket at `path` if it is dead (no process holds it). The file removed is the one
 * that was probed: one put there meanwhile (a new server of the same name) is left alone.
 */
export async function removeDeadSocket(
  path: string,
  options: SocketCheckOptions = {},
): Promise<{ state: SessionState; reason?: string; removed: boolean }> {
  const before = _identity(path);
  if (before === undefined) return { state: "DEAD", removed: false };
  if (before === _NOT_SOCKET) return { state: "UNKNOWN", reason: "not a socket", removed: false };
  const result = await socketState(path, options);
  if (result.state !== "DEAD") return { ...result, removed: false };
  if (_identity(path) !== before) return { ...result, removed: false };
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { ...result, removed: false };
    throw err;
  }
  return { ...result, removed: true };
}

const _NOT_SOCKET = "not a socket";

function _identity(path: string): string | undefined {
  try {
    const s = Deno.lstatSync(path);
    return s.isSocket ? `${s.dev}:${s.ino}` : _NOT_SOCKET;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function _readProcNetUnix(): string | undefined {
  if (Deno.build.os !== "linux" && Deno.build.os !== "android") return undefined;
  try {
    return Deno.readTextFileSync("/proc/net/unix");
  } catch (err) {
    // No /proc (a chroot, a locked-down container): fall back to probing again.
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Whether a socket is at `path`, to be kept or cleared: false when nothing is there; anything
 * that is not a socket is refused with `fix` as the next action, never removed.
 */
export function socketAt(path: string, fix: string): boolean {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  if (!stat.isSocket) {
    throw new SockhopError(`${path} exists and is not a socket: ${fix}`, "listen");
  }
  return true;
}
