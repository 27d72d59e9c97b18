/** `sockhop connect`. */

import { UsageError } from "../lib/errors.ts";
import { connectTransport } from "../lib/connect.ts";
import { help, onSignals, out, parseCommand, setup } from "./common.ts";
import { buildRoute, ROUTE_OPTIONS } from "./route.ts";

export async function cmdConnect(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("connect", args, { ...ROUTE_OPTIONS });
  if (values.help) return help("connect");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop connect ssh://host/NAME", "connect");
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "connect");
  const { logger, dirs } = setup(values);
  const route = await buildRoute(where, values, dirs, logger);
  if (route.kind === "print") {
    out(route.text);
    return 0;
  }
  const transport = route.transport;
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
