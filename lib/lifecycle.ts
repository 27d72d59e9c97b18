/**
 * Starting and stopping sessions on this host: what `sockhop start NAME`, `sockhop stop NAME`,
 * the remote `_start`/`_stop` (run through the remote snippet) and the built-in server's
 * emulation of them all do.
 */

import { SockhopError } from "./errors.ts";
import { findSession, sessionKey, startDetached } from "./detach.ts";
import { stateDir } from "./env.ts";
import type { Logger } from "./logger.ts";
import { type Env, joinPath } from "./platform_paths.ts";
import { parseServeTarget } from "./serve.ts";
import { validateSessionName } from "./session_name.ts";
import { askSession, type SessionInfo } from "./session_status.ts";
import { listSessions, type SessionDirs, sessionPaths, socketFileName } from "./sessions.ts";
import { selfArgv } from "./self_command.ts";
import { hostProbe, survival, type SystemdProbe } from "./systemd_scope.ts";

export interface StartRequest {
  readonly name: string;
  /** TARGET and, for exec:, its arguments. */
  readonly target: readonly string[];
  /** The id the new serve is given, to know it from any other. */
  readonly id: string;
  /** Use a LIVE session of that name instead of refusing. */
  readonly reuse: boolean;
  readonly logFile?: string;
  /** serve's options to pass on (--socket-dirs, --max-children...). */
  readonly serveFlags?: readonly string[];
  readonly waitMs?: number;
}

/** Where a detached session logs by default: `<state dir>/<host>-<NAME>.log`. */
export function defaultLogFile(env: Env, dirs: SessionDirs, name: string): string {
  return joinPath([stateDir(env), `${socketFileName(dirs.hostname, name)}.log`]);
}

/** A random id for a new serve. */
export function newStartId(): string {
  return crypto.randomUUID();
}

/**
 * Start `serve NAME TARGET...` detached and wait until it accepts; a LIVE session of that name
 * is refused, or reused with `reuse`. Returns the line that says what happened.
 */
export async function startSession(
  request: StartRequest,
  dirs: SessionDirs,
  logger: Logger,
  options: { env?: Env; user?: string; probe?: SystemdProbe } = {},
): Promise<string> {
  const { name, target, id } = request;
  validateSessionName(name);
  parseServeTarget(target);
  const live = await findSession(dirs, name);
  if (live) {
    if (!request.reuse) {
      throw new SockhopError(
        `Session ${name} is already running (pid ${live.pid}, ${live.target}, since ${live.started}): stop it first with sockhop stop, or add --reuse to use it as it is`,
        "name-in-use",
      );
    }
    return `reusing ${name} pid=${live.pid} (already running since ${live.started}, ${live.target}) log=${
      live.log ?? "unknown"
    }`;
  }
  const logFile = request.logFile ?? defaultLogFile(options.env ?? Deno.env, dirs, name);
  const plan = survival(options.probe ?? hostProbe(options.user ?? ""));
  if (plan.warning) logger.warn(plan.warning);
  const argv = [
    ...plan.prefix,
    ...selfArgv(),
    "serve",
    `--start-id=${id}`,
    `--log-file=${logFile}`,
    ...(request.serveFlags ?? []),
    name,
    ...target,
  ];
  const pid = await startDetached({
    argv,
    logFile,
    what: `Session ${name}`,
    ready: async () => (await findSession(dirs, name, id))?.pid,
    ...(request.waitMs !== undefined ? { waitMs: request.waitMs } : {}),
  });
  return `started ${name} pid=${pid} log=${logFile}`;
}

/** How long `stop` waits for the serve to be gone. */
const STOP_WAIT_MS = 15_000;

/**
 * End the serve of session `name` as SIGTERM does, and wait (bounded) until it is gone.
 * `allowed` may refuse it by what it serves (the built-in server's --allow-start).
 */
export async function stopSession(
  dirs: SessionDirs,
  name: string,
  allowed: (info: SessionInfo) => string | undefined = () => undefined,
): Promise<string> {
  validateSessionName(name);
  const found = await findSession(dirs, name);
  if (!found) throw await _noSession(dirs, name);
  const refusal = allowed(found);
  if (refusal) throw new SockhopError(refusal, "start-refused");
  const key = sessionKey(dirs);
  let info: SessionInfo | undefined;
  try {
    info = await askSession(found.path, "stop", 10_000, key);
  } catch (err) {
    if (!(err instanceof Deno.errors.TimedOut)) throw err;
    throw new SockhopError(
      `Session ${name} took the stop but ${err.message}: try again, or end it with kill ${found.pid}`,
      "failed",
    );
  }
  if (!info) throw await _noSession(dirs, name);
  const running = () => _running(info.pid, () => findSession(dirs, name, info.id));
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline && await running()) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return await running()
    ? `stopping ${name} pid=${info.pid} (still ending its commands)`
    : `stopped ${name} pid=${info.pid}`;
}

/**
 * Whether a serve is still there: its process, where /proc tells (Linux); elsewhere, whether
 * a serve still answers for the session (its socket or pipe goes as it stops).
 */
async function _running(pid: number, answers: () => Promise<unknown>): Promise<boolean> {
  if (Deno.build.os === "linux") {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // A zombie has ended; only its parent has not looked yet.
      return !/\) Z /.test(stat);
    } catch {
      return false;
    }
  }
  return (await answers()) !== undefined;
}

async function _noSession(dirs: SessionDirs, name: string): Promise<SockhopError> {
  const live = (await listSessions(dirs, false)).filter((s) =>
    s.state === "LIVE" && s.kind === "sockhop"
  );
  // A pipe is not looked at: lstat would open it (Windows).
  const pipes = (dirs.os ?? Deno.build.os) === "windows";
  const old = !pipes && sessionPaths(dirs, name).some(({ path, kind }) => {
    try {
      return kind === "sockhop" && Deno.lstatSync(path).isSocket;
    } catch {
      return false;
    }
  });
  const others = live.length
    ? `sessions here: ${live.map((s) => s.name).join(", ")}`
    : "no live sessions here";
  return new SockhopError(
    old
      ? `Session ${name} has no status socket to ask (an older sockhop serve, or one that is gone): end its serve with kill, or remove the socket with sockhop list`
      : `No session ${name} to stop; ${others}`,
    "no-session",
  );
}
