/**
 * `sockhop start` and `sockhop stop`, here or on a remote host, and `_start`/`_stop`, which
 * the remote snippet runs there.
 */

import { SockhopError, UsageError } from "../lib/errors.ts";
import { StartFailed } from "../lib/detach.ts";
import { localEnv } from "../lib/env.ts";
import { newStartId, startSession, stopSession } from "../lib/lifecycle.ts";
import { parseStartArgs, parseStopArgs } from "../lib/lifecycle_args.ts";
import type { Logger } from "../lib/logger.ts";
import { MARKER_OK } from "../lib/marker.ts";
import { runRemote } from "../lib/remote_run.ts";
import { parseServeTarget } from "../lib/serve.ts";
import { resolveRoute, type Route } from "../lib/route.ts";
import { validateSessionName } from "../lib/session_name.ts";
import type { SessionDirs } from "../lib/sessions.ts";
import { help, out, parseCommand, setup, splitAtExec } from "./common.ts";
import { relayRoute } from "./connect.ts";
import { argOrder, ROUTE_OPTIONS } from "./route.ts";

export const STOP_OPTIONS = ROUTE_OPTIONS;

export const START_OPTIONS = {
  ...ROUTE_OPTIONS,
  reuse: { type: "boolean" },
  attach: { type: "boolean" },
  "log-file": { type: "string" },
  wait: { type: "string" },
} as const;

/** `sockhop start URL|NAME TARGET...` */
export async function cmdStart(args: string[]): Promise<number> {
  const { head, exec } = splitAtExec(args);
  const { values, positionals, tokens } = parseCommand("start", head, START_OPTIONS);
  if (values.help) return help("start");
  const [where, ...before] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop start ssh://host/NAME TARGET...", "start");
  }
  const target = [...before, ...exec];
  if (!target.length) {
    throw new UsageError(
      "Missing TARGET: exec:COMMAND [ARGS...], tcp:HOST:PORT or unix:PATH",
      "start",
    );
  }
  try {
    // Its form is the same wherever it runs (a unix: path's length is the remote's to judge).
    parseServeTarget(target, "linux");
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(err.message, "start") : err;
  }
  const { logger, dirs } = setup(values);
  const id = newStartId();
  const wait = values.wait;
  const options = [
    `--start-id=${id}`,
    ...(values.reuse ? ["--reuse"] : []),
    ...(values["log-file"] !== undefined ? [`--log-file=${values["log-file"]}`] : []),
    ...(wait !== undefined ? [`--wait=${wait}`] : []),
  ];
  // Read here as the remote side will read it: a mistake is a usage error before any login.
  const request = (name: string) => {
    try {
      return parseStartArgs([name, ...options, "--", ...target]);
    } catch (err) {
      throw err instanceof UsageError ? new UsageError(err.message, "start") : err;
    }
  };
  const order = argOrder(tokens);
  const resolved = resolveRoute(where, values, logger, order, (name) => [
    "_start",
    request(name).name,
    ...options,
    "--",
    ...target,
  ]);
  if ("print" in resolved) {
    out(resolved.print);
    return 0;
  }
  // With --attach, stdout is the session's stream: what start says goes to stderr.
  const say = values.attach ? (text: string) => logger.info(text.trimEnd()) : out;
  if (resolved.route.backend === "local") {
    // Here: the same checks and arguments as on a remote host.
    say(`${await _startHere(request(resolved.route.session), dirs, logger, values.attach)}\n`);
  } else await _remote(resolved.route, dirs, logger, say);
  if (!values.attach) return 0;
  const attach = resolveRoute(where, values, logger, order);
  if ("print" in attach) return 0;
  return await relayRoute(attach.route, dirs, logger);
}

/** `sockhop stop URL|NAME` */
export async function cmdStop(args: string[]): Promise<number> {
  const { values, positionals, tokens } = parseCommand("stop", args, STOP_OPTIONS);
  if (values.help) return help("stop");
  const [where, ...extra] = positionals;
  if (where === undefined) throw new UsageError("Missing NAME or URL: sockhop stop NAME", "stop");
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "stop");
  const { logger, dirs } = setup(values);
  const resolved = resolveRoute(where, values, logger, argOrder(tokens), (name) => [
    "_stop",
    validateSessionName(name),
  ]);
  if ("print" in resolved) {
    out(resolved.print);
    return 0;
  }
  if (resolved.route.backend === "local") {
    out(`${await stopSession(dirs, validateSessionName(resolved.route.session))}\n`);
  } else await _remote(resolved.route, dirs, logger);
  return 0;
}

/** `_start NAME --start-id=ID [--reuse] [--log-file=F] [--wait=S] -- TARGET...`, remotely. */
export async function cmdRemoteStart(args: string[]): Promise<number> {
  const { logger, dirs } = setup({});
  const request = parseStartArgs(args);
  out(MARKER_OK);
  // Its stderr is seen by the client only under --debug=ssh: a warning goes to the report.
  const report: Logger = { ...logger, warn: (m) => out(`sockhop: warning: ${m}\n`) };
  out(`${await _startHere(request, dirs, report)}\n`);
  return 0;
}

/** `_stop NAME`, remotely. */
export async function cmdRemoteStop(args: string[]): Promise<number> {
  const { dirs } = setup({});
  const name = parseStopArgs(args);
  out(MARKER_OK);
  out(`${await stopSession(dirs, name)}\n`);
  return 0;
}

async function _startHere(
  request: ReturnType<typeof parseStartArgs>,
  dirs: SessionDirs,
  logger: Logger,
  attach = false,
): Promise<string> {
  try {
    return await startSession(request, dirs, logger, { user: localEnv().localUser });
  } catch (err) {
    // The log's last lines, for the user to see why: on stdout, which the client of a remote
    // start shows; under --attach, whose stdout is the session, on stderr as serve --detach has
    // them.
    if (!(err instanceof StartFailed)) throw err;
    if (attach) { for (const l of err.logTail) logger.info(`log: ${l}`); }
    else out(err.logTail.map((l) => `${l}\n`).join(""));
    throw err;
  }
}

async function _remote(
  route: Route,
  dirs: SessionDirs,
  logger: Logger,
  say: (text: string) => void = out,
) {
  const { output, error } = await runRemote(route, dirs, logger);
  if (output) say(output);
  if (error === undefined) return;
  if (error instanceof SockhopError || error instanceof UsageError) throw error;
  throw new SockhopError(String(error), "remote-failed");
}
