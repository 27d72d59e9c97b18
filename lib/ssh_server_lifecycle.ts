/**
 * The built-in server's `_start` and `_stop` (sockhop start/stop URL), run in-process as its
 * `_proxy` is: only for targets `serve --allow-start` lists (as xpra's embedded server starts
 * nothing without `proxy-start=yes`), and a stop only of a session serving such a target.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { SockhopError, UsageError } from "./errors.ts";
import { startSession, stopSession } from "./lifecycle.ts";
import { parseStartArgs, parseStopArgs } from "./lifecycle_args.ts";
import type { Logger } from "./logger.ts";
import { MARKER_OK, markerErr } from "./marker.ts";
import type { SessionDirs } from "./sessions.ts";
import type { LifecycleRequest } from "./ssh_server_exec.ts";
import { startAllowed, startRefusal } from "./start_policy.ts";

export interface LifecycleOptions {
  readonly dirs: SessionDirs;
  readonly allowStart: readonly string[];
  /** Only this session (serve NAME --bind-ssh); undefined: any. */
  readonly only?: string;
  readonly user: string;
  readonly logger: Logger;
  /** Where a start's warnings go (the client's report); default: the logger. */
  readonly report?: Logger;
}

/** Run the request on the channel: the marker, what was done, the exit status. */
export async function runLifecycle(
  channel: ssh2.ServerChannel,
  request: LifecycleRequest,
  options: LifecycleOptions,
  source: string,
) {
  channel.stderr.on("error", () => {});
  const finish = (code: number) => {
    channel.exit(code);
    channel.end();
  };
  // A warning (systemd, lingering) is for the client, in the report it prints.
  const report: Logger = {
    ...options.logger,
    warn(message) {
      options.logger.warn(message);
      channel.write(`sockhop: warning: ${message}\n`);
    },
  };
  let work: () => Promise<string>;
  try {
    work = _plan(request, { ...options, report });
  } catch (err) {
    options.logger.info(`ssh ${source}: refused ${request.command}: ${(err as Error).message}`);
    channel.write(markerErr((err as Error).message));
    return finish(err instanceof UsageError ? 2 : 1);
  }
  channel.write(MARKER_OK);
  try {
    const line = await work();
    options.logger.info(`ssh ${source}: ${line}`);
    await new Promise((r) => channel.write(`${line}\n`, r));
    finish(0);
  } catch (err) {
    options.logger.info(`ssh ${source}: ${request.command}: ${(err as Error).message}`);
    const tail = (err as { logTail?: readonly string[] }).logTail ?? [];
    for (const l of tail) channel.write(`${l}\n`);
    await new Promise((r) => channel.stderr.write(`sockhop: ${(err as Error).message}\n`, r));
    finish(err instanceof UsageError ? 2 : 1);
  }
}

/** What to do, once the request is checked against the policy (throws when refused). */
function _plan(request: LifecycleRequest, o: LifecycleOptions): () => Promise<string> {
  if (request.command === "_start") {
    const start = parseStartArgs(request.args);
    _only(o, start.name);
    if (!startAllowed(o.allowStart, start.target)) {
      throw new SockhopError(startRefusal(start.target), "start-refused");
    }
    // A path a client names would be a file this user appends to: the server picks its own.
    if (start.logFile !== undefined) {
      throw new SockhopError(
        "This sockhop server keeps its sessions' logs where it chooses: leave out --log-file",
        "start-refused",
      );
    }
    return () => startSession(start, o.dirs, o.report ?? o.logger, { user: o.user });
  }
  const name = parseStopArgs(request.args);
  _only(o, name);
  return () =>
    stopSession(
      o.dirs,
      name,
      (info) =>
        startAllowed(o.allowStart, [info.target])
          ? undefined
          : `This sockhop server stops only sessions it may start, and ${name} serves ${info.target}: its serve needs --allow-start=PATTERN matching that target`,
    );
}

function _only(o: LifecycleOptions, name: string) {
  if (o.only !== undefined && name !== o.only) {
    throw new SockhopError(
      `This sockhop server serves session ${o.only} only: it does not start or stop ${name}`,
      "start-refused",
    );
  }
}
