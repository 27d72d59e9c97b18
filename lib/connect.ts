/**
 * `sockhop connect`: the session as a byte stream on stdin/stdout. This module chooses the
 * backend a Route names and relays; the backends themselves (local_transport.ts, native.ts,
 * openssh.ts) are Transports, loaded only when chosen (the built-in client loads ssh2).
 */

import { SockhopError } from "./errors.ts";
import { untilAborted } from "./until_aborted.ts";
import type { Logger } from "./logger.ts";
import { relay, type RelayResult } from "./relay.ts";
import type { Route } from "./route.ts";
import type { SessionDirs } from "./sessions.ts";
import type { Connector, Transport } from "./transport.ts";
import { withPerTunnelFallback } from "./mux_connection.ts";
import { fromStdio } from "./streams.ts";

/** The Transport of the backend the route names; connect and forward both start here. */
export async function transportFor(
  route: Route,
  dirs: SessionDirs,
  logger: Logger,
): Promise<Transport> {
  switch (route.backend) {
    case "local":
      return (await import("./local_transport.ts")).localTransport(dirs, route.session, logger);
    case "native":
      return (await import("./native.ts")).nativeTransport(route, logger);
    case "program":
      return (await import("./openssh.ts")).programTransport(route, logger);
  }
}

/** forward's connection maker for the backend the route names. */
export async function connectorFor(
  route: Route,
  dirs: SessionDirs,
  logger: Logger,
): Promise<Connector> {
  switch (route.backend) {
    case "local":
      return (await import("./local_transport.ts")).localConnector(dirs, route.session, logger);
    case "native": {
      const { nativeConnector, nativeTransport } = await import("./native.ts");
      return withPerTunnelFallback(
        nativeConnector(route, logger),
        () => nativeTransport(route, logger),
        _xpraFallback(route.remoteCommand),
        logger,
      );
    }
    case "program": {
      const { programConnector } = await import("./openssh_mux.ts");
      const { programTransport } = await import("./openssh.ts");
      return withPerTunnelFallback(
        programConnector(route, logger),
        () => programTransport(route, logger),
        _xpraFallback(route.remoteCommand),
        logger,
      );
    }
  }
}

/** Whether the per-stream remote command goes on to xpra's own `_proxy` without sockhop. */
function _xpraFallback(command: string): boolean {
  return command.includes("exec xpra _proxy");
}

/** Relay stdin/stdout through any transport's stream. */
export async function connectTransport(
  transport: Transport,
  logger: Logger,
  signal?: AbortSignal,
): Promise<RelayResult> {
  try {
    const { stream, finish } = await untilAborted(transport.open(), signal);
    const t0 = performance.now();
    const result = await relay(fromStdio(), stream, signal ? { signal } : {});
    const seconds = (performance.now() - t0) / 1000;
    logger.debug(
      "ssh",
      `${result.aToB} bytes sent, ${result.bToA} bytes received in ${seconds.toFixed(2)} s`,
    );
    if (result.failed === "a") {
      // stdout is a closed pipe (its reader ended): as ssh does, the session ends with it.
      await finish(true);
      throw new SockhopError(
        `Output closed (${result.error?.message}): the program reading sockhop's output ended, the session was ended with it`,
        "output-closed",
        { cause: result.error },
      );
    }
    const status = await finish((signal?.aborted ?? false) || result.error !== undefined);
    if (!result.error && status !== 0) {
      throw new SockhopError(`The remote side ended with status ${status}`, "remote-failed");
    }
    return _finish(result);
  } finally {
    await transport.close();
  }
}

function _finish(result: RelayResult): RelayResult {
  if (result.error && result.error.message !== "Relay aborted") {
    throw new SockhopError(`Connection failed: ${result.error.message}`, "relay", {
      cause: result.error,
    });
  }
  return result;
}
