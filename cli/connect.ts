/** `sockhop connect`. */

import { UsageError } from "../lib/errors.ts";
import { connectTransport } from "../lib/connect.ts";
import { help, onSignals, parseCommand, setup } from "./common.ts";
import { buildTransport, ROUTE_OPTIONS } from "./route.ts";

export async function cmdConnect(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("connect", args, { ...ROUTE_OPTIONS });
  if (values.help) return help("connect");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop connect ssh://host/NAME", "connect");
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "connect");
  const { logger, dirs } = setup(values);
  const transport = buildTransport(where, values, dirs, logger);
  const signals = onSignals();
  try {
    await connectTransport(transport, signals.signal);
    return signals.received() ?? 0;
  } finally {
    signals.dispose();
  }
}
