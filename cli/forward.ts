/** `sockhop forward URL --listen=ADDR`. */

import { UsageError } from "../lib/errors.ts";
import { transportFor } from "../lib/connect.ts";
import { type ForwardStats, isExposed, parseListen, runForward } from "../lib/forward.ts";
import { resolveRoute } from "../lib/route.ts";
import { help, onSignals, out, parseCommand, setup } from "./common.ts";
import { argOrder, ROUTE_OPTIONS } from "./route.ts";

export const FORWARD_OPTIONS = {
  ...ROUTE_OPTIONS,
  listen: { type: "string" },
} as const;

export async function cmdForward(args: string[]): Promise<number> {
  const { values, positionals, tokens } = parseCommand("forward", args, FORWARD_OPTIONS);
  if (values.help) return help("forward");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError(
      "Missing URL: sockhop forward ssh://host/NAME --listen=tcp:127.0.0.1:5432",
      "forward",
    );
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "forward");
  if (!values.listen) {
    throw new UsageError(
      "Missing --listen: give --listen=tcp:127.0.0.1:PORT or unix:PATH",
      "forward",
    );
  }
  const listen = parseListen(values.listen);
  const { logger, dirs } = setup(values);
  if (isExposed(listen)) {
    logger.warn(
      `listening on ${values.listen}: anyone who can reach this host can use the session; use tcp:127.0.0.1:PORT to keep it local`,
    );
  }
  const resolved = resolveRoute(where, values, logger, argOrder(tokens));
  if ("print" in resolved) {
    out(resolved.print);
    return 0;
  }
  const transport = await transportFor(resolved.route, dirs, logger);
  const stats: ForwardStats = { open: 0, total: 0, failed: 0, up: 0, down: 0 };
  const signals = onSignals();
  const status = Deno.stderr.isTerminal() ? _statusLine(stats) : undefined;
  try {
    await runForward({
      listen,
      transport,
      logger,
      signal: signals.signal,
      onListening: (addr) => logger.info(`forwarding ${addr} to ${where} (Ctrl-C to stop)`),
    }, stats);
    return signals.received() ?? 0;
  } finally {
    status?.stop();
    signals.dispose();
  }
}

/** A status line on the terminal, redrawn twice a second. */
function _statusLine(stats: ForwardStats) {
  const enc = new TextEncoder();
  const draw = () => {
    const text =
      `${stats.open} open, ${stats.total} total${
        stats.failed ? `, ${stats.failed} failed` : ""
      }, ` +
      `${_size(stats.up)} up, ${_size(stats.down)} down`;
    Deno.stderr.writeSync(enc.encode(`\r\x1b[K${text}`));
  };
  const timer = setInterval(draw, 500);
  return {
    stop() {
      clearInterval(timer);
      draw();
      Deno.stderr.writeSync(enc.encode("\n"));
    },
  };
}

function _size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}
