/**
 * The arguments of the remote `_start` and `_stop` (what `sockhop start URL` and `sockhop stop
 * URL` run there), read the same way by the `_start`/`_stop` commands and by the built-in
 * server, which runs them itself.
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import type { StartRequest } from "./lifecycle.ts";
import { validateSessionName } from "./session_name.ts";

/** The most a remote start may be told to wait, in seconds. */
const WAIT_MAX = 600;

/** A start id: letters, digits and -, 1 to 64 of them (a UUID, or what a script gives). */
export function isStartId(id: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(id);
}

/** `_start NAME [--start-id=ID] [--reuse] [--log-file=FILE] [--wait=SEC] -- TARGET...` */
export function parseStartArgs(args: readonly string[]): StartRequest {
  const dash = args.indexOf("--");
  const head = dash >= 0 ? args.slice(0, dash) : args;
  const target = dash >= 0 ? args.slice(dash + 1) : [];
  const { values, positionals } = _parse("_start", head, {
    "start-id": { type: "string" },
    reuse: { type: "boolean" },
    "log-file": { type: "string" },
    wait: { type: "string" },
  });
  const name = validateSessionName(_one("_start", positionals));
  const id = values["start-id"] as string | undefined;
  if (!id || !isStartId(id)) {
    throw new UsageError("_start needs --start-id=ID (letters, digits, -)", "_start");
  }
  const wait = values.wait as string | undefined;
  const seconds = wait === undefined ? undefined : Number(wait);
  if (
    seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= WAIT_MAX)
  ) {
    throw new UsageError(`--wait=${wait}: give seconds from 1 to ${WAIT_MAX}`, "_start");
  }
  const logFile = values["log-file"] as string | undefined;
  return {
    name,
    target,
    id,
    reuse: values.reuse === true,
    ...(logFile !== undefined ? { logFile } : {}),
    ...(seconds !== undefined ? { waitMs: seconds * 1000 } : {}),
  };
}

/** `_stop NAME` */
export function parseStopArgs(args: readonly string[]): string {
  const { positionals } = _parse("_stop", args, {});
  return validateSessionName(_one("_stop", positionals));
}

function _parse(
  command: string,
  args: readonly string[],
  options: Record<string, { type: "string" | "boolean" }>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return {
      values: r.values as Record<string, string | boolean | undefined>,
      positionals: r.positionals,
    };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\.$/, ""), command);
  }
}

function _one(command: string, positionals: readonly string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${command} takes one session NAME`, command);
  }
  return positionals[0]!;
}
