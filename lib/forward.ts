/** `sockhop forward`: a local listener whose every connection is its own tunnel to the session. */

import { acceptStreams } from "./accept_loop.ts";
import { SockhopError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { type Duplex, relay } from "./relay.ts";
import { untilAborted } from "./until_aborted.ts";
import type { Transport } from "./transport.ts";
import { isLoopback, parseHostPort, parsePort } from "./address.ts";
import { removeDeadSocket, socketAt } from "./dead_socket.ts";
import { PIPE_DIR, type Platform, unixPathProblem } from "./session_paths.ts";
import { listenOpenPipe, type SessionListener } from "./session_socket.ts";

export type ListenAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "pipe"; readonly path: string };

/**
 * Parse `tcp:[HOST:]PORT` (host 127.0.0.1 by default), `unix:PATH`, or on Windows (where
 * sockhop uses no unix sockets) `pipe:NAME` for `\\.\pipe\NAME`.
 */
export function parseListen(text: string, os: Platform = Deno.build.os): ListenAddress {
  if (text.startsWith("pipe:")) {
    const name = text.slice(5).replace(/^\\\\\.\\pipe\\/i, "");
    if (os !== "windows") {
      throw new UsageError(`--listen=${text}: pipe: is for Windows; use unix:PATH`, "forward");
    }
    if (!name || name.includes("\\")) {
      throw new UsageError(`--listen=${text}: write pipe:NAME, for \\\\.\\pipe\\NAME`, "forward");
    }
    return { kind: "pipe", path: `${PIPE_DIR}${name}` };
  }
  if (text.startsWith("unix:") && os === "windows") {
    throw new UsageError(`--listen=${text}: on Windows use pipe:NAME`, "forward");
  }
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (!path) {
      throw new UsageError("--listen=unix: needs a path: write unix:/tmp/db.sock", "forward");
    }
    return { kind: "unix", path };
  }
  if (text.startsWith("tcp:")) {
    const rest = text.slice(4);
    if (/^\d+$/.test(rest)) {
      return { kind: "tcp", host: "127.0.0.1", port: parsePort(rest, text, true) };
    }
    const { host, port } = parseHostPort(rest, text, true);
    if (port === undefined) {
      throw new UsageError(`--listen=${text} has no port: write tcp:127.0.0.1:5432`, "forward");
    }
    return { kind: "tcp", host, port };
  }
  throw new UsageError(
    `--listen=${text}: use tcp:[HOST:]PORT or ${os === "windows" ? "pipe:NAME" : "unix:PATH"}`,
    "forward",
  );
}

/** Whether listening there exposes the session beyond this host. */
export function isExposed(addr: ListenAddress): boolean {
  return addr.kind === "tcp" && !isLoopback(addr.host);
}

export interface ForwardStats {
  open: number;
  total: number;
  failed: number;
  up: number;
  down: number;
}

export interface ForwardOptions {
  /** Every address to listen on; all are bound before any is reported. */
  readonly listen: readonly ListenAddress[];
  /** Where each connection's stream comes from: forward's link (lib/forward_link.ts). */
  readonly transport: Transport;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /**
   * Awaited once every address is bound and before any is reported (forward makes its
   * connection there); when it throws, the listeners close and the error is forward's.
   */
  readonly ready?: () => Promise<void>;
  /** Called once listening, with the addresses actually bound (the port when 0 was asked). */
  readonly onListening?: (where: readonly string[]) => void;
}

/** Listen and tunnel until the signal aborts; then close the listeners and every tunnel. */
export async function runForward(options: ForwardOptions, stats: ForwardStats): Promise<void> {
  const { transport, logger, signal } = options;
  const listeners: LocalListener[] = [];
  try {
    for (const addr of options.listen) listeners.push(await _listen(addr, logger));
    await options.ready?.();
  } catch (err) {
    for (const l of listeners) l.close();
    _removeSockets(options.listen.slice(0, listeners.length));
    throw err;
  }
  options.onListening?.(listeners.map((l, i) => _where(options.listen[i]!, l)));
  const tunnels = new Set<Promise<void>>();
  const closers = new Set<AbortController>();
  const onAbort = () => listeners.forEach((l) => l.close());
  signal.addEventListener("abort", onAbort, { once: true });
  let serial = 0;
  const accept = async (listener: LocalListener) => {
    for await (const conn of listener.connections) {
      const id = ++serial;
      const stop = new AbortController();
      closers.add(stop);
      const tunnel = _tunnel(conn, id, transport, logger, stats, stop.signal).finally(() => {
        closers.delete(stop);
        tunnels.delete(tunnel);
      });
      tunnels.add(tunnel);
    }
  };
  try {
    // One listener failing ends forward: no address is dropped silently.
    await Promise.all(listeners.map(accept));
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!signal.aborted) onAbort();
    for (const c of closers) c.abort();
    // Closing the transport first also ends tunnels still connecting (their ssh is killed).
    const closing = transport.close();
    await Promise.allSettled([...tunnels]);
    _removeSockets(options.listen);
    await closing;
  }
}

function _where(addr: ListenAddress, listener: LocalListener): string {
  return addr.kind === "tcp"
    ? `tcp:${_hostText(addr.host)}:${listener.port}`
    : `${addr.kind}:${addr.path}`;
}

function _removeSockets(addrs: readonly ListenAddress[]) {
  for (const a of addrs) if (a.kind === "unix") _removeSocket(a.path);
}

async function _tunnel(
  local: Duplex,
  id: number,
  transport: Transport,
  logger: Logger,
  stats: ForwardStats,
  signal: AbortSignal,
): Promise<void> {
  stats.open++;
  stats.total++;
  try {
    const { stream, finish } = await untilAborted(transport.open(), signal);
    const result = await relay(local, stream, {
      signal,
      onBytes: (dir, n) => {
        if (dir === "aToB") stats.up += n;
        else stats.down += n;
      },
    });
    await finish(signal.aborted);
    logger.debug(
      "forward",
      `tunnel ${id} closed: ${result.aToB} bytes up, ${result.bToA} down${
        result.error ? `, ${result.error.message}` : ""
      }`,
    );
  } catch (err) {
    stats.failed++;
    local.close();
    logger.warn(`tunnel ${id}: ${(err as Error).message}`);
  } finally {
    stats.open--;
  }
}

/** A local listener: its connections as duplex ends. */
interface LocalListener extends SessionListener {
  /** The TCP port bound. */
  readonly port?: number;
}

function _fromDeno(listener: Deno.Listener, where: string, logger: Logger): LocalListener {
  const loop = acceptStreams(
    listener,
    where,
    logger,
  );
  return {
    ...loop,
    ...(listener.addr.transport === "tcp" ? { port: listener.addr.port } : {}),
  };
}

async function _listen(addr: ListenAddress, logger: Logger): Promise<LocalListener> {
  if (addr.kind === "pipe") return listenOpenPipe(addr.path);
  try {
    if (addr.kind === "tcp") {
      const listener = Deno.listen({ hostname: addr.host, port: addr.port });
      const bound = listener.addr as Deno.NetAddr;
      return _fromDeno(listener, `${_hostText(bound.hostname)}:${bound.port}`, logger);
    }
    const tooLong = unixPathProblem(addr.path, Deno.build.os, "use a shorter --listen=unix: path");
    if (tooLong) throw new SockhopError(tooLong, "path-too-long");
    await _clearStaleSocket(addr.path);
    const listener = Deno.listen({ transport: "unix", path: addr.path });
    Deno.chmodSync(addr.path, 0o600);
    return _fromDeno(listener, addr.path, logger);
  } catch (err) {
    if (err instanceof SockhopError) throw err;
    const where = addr.kind === "tcp" ? `${addr.host}:${addr.port}` : addr.path;
    const hint = err instanceof Deno.errors.AddrInUse ? ": it is in use, pick another" : "";
    throw new SockhopError(
      `Cannot listen on ${where}: ${(err as Error).message}${hint}`,
      "listen",
      { cause: err },
    );
  }
}

async function _clearStaleSocket(path: string) {
  if (!socketAt(path, "pick another path")) return;
  if ((await removeDeadSocket(path)).state !== "DEAD") {
    throw new SockhopError(`${path} is in use by another program: pick another path`, "listen");
  }
}

function _removeSocket(path: string) {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function _hostText(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
