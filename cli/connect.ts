/** `sockhop connect`. */

import { UsageError } from "../lib/errors.ts";
import { connectTransport, transportFor } from "../lib/connect.ts";
import { resolveRoute, type Route } from "../lib/route.ts";
import type { Logger } from "../lib/logger.ts";
import type { SessionDirs } from "../lib/sessions.ts";
import { help, onSignals, out, parseCommand, setup } from "./common.ts";
import { argOrder, ROUTE_OPTIONS } from "./route.ts";

export const CONNECT_OPTIONS = ROUTE_OPTIONS;

export async function cmdConnect(args: string[]): Promise<number> {
  const { values, positionals, tokens } = parseCommand("connect", args, CONNECT_OPTIONS);
  if (values.help) return help("connect");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop connect ssh://host/NAME", "connect");
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "connect");
  const { logger, dirs } = setup(values);
  const resolved = resolveRoute(where, values, logger, argOrder(tokens));
  if ("print" in resolved) {
    out(resolved.print);
    return 0;
  }
  return await relayRoute(resolved.route, dirs, logger);
}

/** Relay stdin/stdout through the route until the session ends; the exit status. */
export async function relayRoute(route: Route, dirs: SessionDirs, logger: Logger): Promise<number> {
  const transport = await transportFor(route, dirs, logger);
  const signals = onSignals();
  try {
    await connectTransport(transport, logger, signals.signal);
    return signals.received() ?? 0;
  } catch (err) {
    // After Ctrl-C (or SIGTERM) whatever failed next is a consequence: exit as interrupted.
    const interrupted = signals.received();
    if (interrupted) return interrupted;
    throw err;
  } finally {
    signals.dispose();
  }
}
