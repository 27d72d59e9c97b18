/**
 * Starting a serve that outlives its starter: `serve --detach` and `sockhop start`. The new
 * serve's stdin is /dev/null and its output goes to a log file before the starter goes (a
 * daemon writing to a closed SSH channel dies of a broken pipe: xpra #674). The starter waits
 * until the status socket of THAT serve answers with the id it was given, not until "a socket
 * appeared".
 */

import { closeSync, openSync } from "node:fs";
import { spawn } from "node:child_process";
import { errorCode, SockhopError } from "./errors.ts";
import { readSessionKey } from "./pipe_auth.ts";
import { parentDir } from "./platform_paths.ts";
import { safeText } from "./safe_text.ts";
import { type SessionDirs, sessionPaths } from "./sessions.ts";
import { askSession, type SessionInfo } from "./session_status.ts";

/** How long a start waits for its serve to accept, by default. */
export const START_WAIT_MS = 60_000;
const POLL_MS = 100;

export interface DetachOptions {
  /** The whole command line of the serve to start (program first). */
  readonly argv: readonly string[];
  readonly logFile: string;
  /** What is started, for messages: `Session db`, `The SSH gateway`. */
  readonly what: string;
  /** The pid of THE serve started, once it accepts (known by the id it was given). */
  ready(): Promise<number | undefined>;
  readonly waitMs?: number;
}

/** Start the serve detached; resolves with its pid once it accepts. */
export async function startDetached(options: DetachOptions): Promise<number> {
  const { argv, logFile } = options;
  const fd = openLogFile(logFile);
  let child;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["ignore", fd, fd],
      detached: true,
      windowsHide: true,
    });
  } finally {
    closeSync(fd);
  }
  let exited: string | undefined;
  child.once("exit", (code, signal) => exited = signal ? `killed by ${signal}` : `exit ${code}`);
  const spawnError = new Promise<Error>((r) => child.once("error", r));
  child.unref();
  const deadline = Date.now() + (options.waitMs ?? START_WAIT_MS);
  while (Date.now() < deadline) {
    const err = await Promise.race([spawnError, new Promise((r) => setTimeout(r, POLL_MS))]);
    if (err instanceof Error) {
      throw new SockhopError(`Cannot start ${argv[0]}: ${err.message}`, "start-failed");
    }
    const pid = await options.ready();
    if (pid !== undefined) return pid;
    if (exited) throw _failed(options, `its serve ended (${exited}) before it accepted`);
  }
  if (child.pid) {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch {
      // ended meanwhile
    }
  }
  throw _failed(
    options,
    `its serve did not accept in ${(options.waitMs ?? START_WAIT_MS) / 1000} s and was ended`,
  );
}

/** The line a serve started with `--start-id` logs once all its listeners accept. */
export function readyLine(id: string, pid: number): string {
  return `ready (start id ${id}, pid ${pid})`;
}

/** The pid in the ready line of `id` written to `logFile` after `offset`, if it is there. */
export function readyInLog(logFile: string, offset: number, id: string): number | undefined {
  let text: string;
  try {
    // Only what this serve wrote: a log appended to for months is not read at every poll.
    text = new TextDecoder().decode(_readFrom(logFile, () => offset));
  } catch {
    return undefined;
  }
  const escaped = id.replace(/[^A-Za-z0-9-]/g, "");
  const m = new RegExp(`ready \\(start id ${escaped}, pid (\\d+)\\)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** How long a log file is now (0 when there is none yet). */
export function logSize(logFile: string): number {
  try {
    return Deno.statSync(logFile).size;
  } catch {
    return 0;
  }
}

/** The session `name`'s status (only one started with `id`, if given), from its status socket. */
export async function findSession(
  dirs: SessionDirs,
  name: string,
  id?: string,
): Promise<(SessionInfo & { path: string }) | undefined> {
  const key = sessionKey(dirs);
  for (const { path, kind } of sessionPaths(dirs, name)) {
    if (kind !== "sockhop") continue;
    let info: SessionInfo | undefined;
    try {
      info = await askSession(path, "probe", 2000, key);
    } catch (err) {
      // Busy: as if not found yet (a start polls again, a stop says there is none to stop);
      // a pipe that is not there (Windows) likewise.
      if (!(err instanceof Deno.errors.TimedOut) && errorCode(err) !== "ENOENT") throw err;
    }
    if (info && (id === undefined || info.id === id)) return { ...info, path };
  }
  return undefined;
}

/** A start that failed, with the last lines of the serve's log for the user to see. */
export class StartFailed extends SockhopError {
  constructor(message: string, readonly logTail: readonly string[]) {
    super(message, "start-failed");
  }
}

function _failed(options: DetachOptions, why: string): StartFailed {
  const tail = logTail(options.logFile);
  return new StartFailed(
    `${options.what} did not start: ${why}; ${
      tail.length
        ? `the last lines of its log ${options.logFile} are above`
        : `its log ${options.logFile} is empty`
    }`,
    tail,
  );
}

/** Windows: this user's session key, which a session pipe's handshake needs; posix: none. */
export function sessionKey(dirs: SessionDirs): Uint8Array | undefined {
  return (dirs.os ?? Deno.build.os) === "windows" ? readSessionKey(dirs.dirs) : undefined;
}

/** Open (create, 0600) a log file for appending: its descriptor. */
export function openLogFile(path: string): number {
  try {
    Deno.mkdirSync(parentDir(path), { recursive: true, mode: 0o700 });
    return openSync(path, "a", 0o600);
  } catch (err) {
    throw new SockhopError(
      `Cannot write the log file ${path}: ${(err as Error).message}: give another with --log-file`,
      "start-failed",
    );
  }
}

/** The last lines of a log, made safe to show. */
export function logTail(path: string, lines = 10): string[] {
  let text: string;
  try {
    text = new TextDecoder().decode(_readFrom(path, (size) => size - 8192));
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim()).slice(-lines).map((l) => safeText(l, 500, true));
}

/** The bytes of `path` from offset `from(its size)` to its end. */
function _readFrom(path: string, from: (size: number) => number): Uint8Array {
  const file = Deno.openSync(path);
  try {
    const size = file.statSync().size;
    const start = Math.min(Math.max(0, from(size)), size);
    file.seekSync(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = file.readSync(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    file.close();
  }
}
