/** `sockhop forward URL --listen=ADDR...`. */

import { UsageError } from "../lib/errors.ts";
import { untilAborted } from "../lib/until_aborted.ts";
import { connectorFor } from "../lib/connect.ts";
import {
  type ForwardStats,
  isExposed,
  type ListenAddress,
  parseListen,
  runForward,
} from "../lib/forward.ts";
import { forwardLink, type Link } from "../lib/forward_link.ts";
import type { Logger } from "../lib/logger.ts";
import { resolveRoute } from "../lib/route.ts";
import { help, onSignals, out, parseCommand, setup } from "./common.ts";
import { argOrder, ROUTE_OPTIONS } from "./route.ts";
import { type ForwardStatus, forwardStatus } from "./forward_status.ts";

export const FORWARD_OPTIONS = {
  ...ROUTE_OPTIONS,
  listen: { type: "string", multiple: true },
  retry: { type: "boolean" },
} as const;

export async function cmdForward(args: string[]): Promise<number> {
  const { values, positionals, tokens } = parseCommand("forward", args, FORWARD_OPTIONS);
  if (values.help) return help("forward");
  const where = _where(positionals);
  const listen = _listen(values.listen);
  // Stamped by the logger as serve's are, where stderr is a log and not a terminal (whose
  // status line is redrawn in place).
  const { logger, dirs } = setup(values, { timestamps: !Deno.stderr.isTerminal() });
  listen.forEach((addr, i) => {
    if (isExposed(addr)) {
      logger.warn(
        `listening on ${
          values.listen![i]
        }: anyone who can reach this host can use the session; use tcp:127.0.0.1:PORT to keep it local`,
      );
    }
  });
  const resolved = resolveRoute(where, values, logger, argOrder(tokens), undefined, "forward");
  if ("print" in resolved) {
    out(resolved.print);
    return 0;
  }
  const stats: ForwardStats = { open: 0, total: 0, failed: 0, up: 0, down: 0 };
  const status = forwardStatus(stats, logger, Deno.stderr.isTerminal());
  const link = forwardLink({
    connector: await connectorFor(resolved.route, dirs, logger),
    retry: values.retry ?? false,
    onState: (state) => status.link(state),
  });
  return await _run(where, listen, link, status, stats, logger);
}

function _where(positionals: readonly string[]): string {
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError(
      "Missing URL: sockhop forward ssh://host/NAME --listen=tcp:127.0.0.1:5432",
      "forward",
    );
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "forward");
  return where;
}

function _listen(texts: readonly string[] | undefined): ListenAddress[] {
  if (!texts?.length) {
    throw new UsageError(
      "Missing --listen: give --listen=tcp:127.0.0.1:PORT or unix:PATH",
      "forward",
    );
  }
  return texts.map((text) => parseListen(text));
}

/** Listen, connect, tunnel; until a signal, or a failure that needs the user (exit 1). */
async function _run(
  where: string,
  listen: readonly ListenAddress[],
  link: Link,
  status: ForwardStatus,
  stats: ForwardStats,
  logger: Logger,
): Promise<number> {
  const signals = onSignals();
  const hup = () => link.wake();
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGHUP", hup);
  const fatal = new AbortController();
  let failure: Error | undefined;
  link.fatal.then((err) => {
    failure = err;
    fatal.abort();
  });
  try {
    await runForward({
      listen,
      transport: link,
      logger,
      signal: AbortSignal.any([signals.signal, fatal.signal]),
      // As ssh's ExitOnForwardFailure: nothing is reported listening until the session is
      // known to be there.
      ready: () => untilAborted(link.start(), signals.signal),
      onListening: (addrs) => {
        status.listening(addrs);
        logger.info(`forwarding ${addrs.join(", ")} to ${where} (Ctrl-C to stop)`);
      },
    }, stats);
    if (failure && signals.received() === undefined) throw failure;
    return signals.received() ?? 0;
  } catch (err) {
    const code = signals.received();
    if (code !== undefined) return code;
    throw err;
  } finally {
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGHUP", hup);
    status.stop();
    await link.close();
    signals.dispose();
  }
}
