/**
 * Opening and listening on session sockets. Posix: unix domain sockets through Deno's own
 * API (the fastest path here). Windows: named pipes through node:net, each connection let in
 * only after the handshake of pipe_auth.ts.
 */

import net from "node:net";
import { acceptStreams } from "./accept_loop.ts";
import { SockhopError } from "./errors.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { clientHandshake, HANDSHAKE_MS, serverHandshake } from "./pipe_auth.ts";
import type { Duplex } from "./relay.ts";
import { unixPathProblem } from "./session_paths.ts";
import { fromDenoConn, fromNodeStreams } from "./streams.ts";

export interface SessionSocketOptions {
  /** Windows: this user's session key (pipe_auth.ts). */
  readonly key?: Uint8Array | undefined;
  /** Hears of failed accepts (accept_loop.ts). */
  readonly logger?: Logger;
}

/**
 * Connect to a session socket; with a key (always on Windows), to a session pipe through the
 * handshake.
 */
export async function connectSession(
  path: string,
  options: SessionSocketOptions = {},
): Promise<Duplex> {
  if (Deno.build.os === "windows" || options.key) {
    return await connectPipe(path, _needKey(options.key));
  }
  _checkLength(path);
  return fromDenoConn(await Deno.connect({ transport: "unix", path }));
}

function _needKey(key: Uint8Array | undefined): Uint8Array {
  if (key) return key;
  throw new SockhopError(
    "No session key: start a session with sockhop serve NAME TARGET first",
    "no-session",
  );
}

function _checkLength(path: string) {
  const problem = unixPathProblem(path, Deno.build.os);
  if (problem) throw new SockhopError(problem, "path-too-long");
}

/**
 * Connect to a session pipe and prove who we are (Windows; on posix the same code runs over a
 * unix socket, which is how it is tested).
 */
export async function connectPipe(path: string, key: Uint8Array): Promise<Duplex> {
  const sock = await _handshaken(path, key, true);
  return fromNodeStreams(sock, sock);
}

/**
 * Whether the pipe at `path` is this user's live session: the server proves it holds the key,
 * and the client leaves before proving itself, so the session opens nothing (an `exec:`
 * command is not started for a `list`). Throws as `connectPipe` does.
 */
export async function probePipe(path: string, key: Uint8Array): Promise<void> {
  (await _handshaken(path, key, false)).destroy();
}

async function _handshaken(path: string, key: Uint8Array, prove: boolean): Promise<net.Socket> {
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const sock = net.connect({ path, allowHalfOpen: true });
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
  _keepErrors(sock);
  try {
    await clientHandshake(sock, key, path, prove);
  } catch (err) {
    sock.destroy();
    throw err;
  }
  return sock;
}

/**
 * A socket error between the handshake's reads (a peer that resets) must not be an uncaught
 * one: the handshake and later the relay see it through their own listeners, this one only
 * keeps node from throwing it.
 */
function _keepErrors(sock: net.Socket) {
  sock.on("error", () => sock.destroy());
}

/** A listening session socket. */
export interface SessionListener {
  /** Accepted connections until closed. */
  readonly connections: AsyncIterable<Duplex>;
  close(): void;
}

/**
 * Listen on `path` (which must not exist); with a key (always on Windows), on a session pipe
 * that lets in only the clients that prove they hold it.
 */
export function listenSession(path: string, options: SessionSocketOptions = {}): SessionListener {
  if (Deno.build.os === "windows" || options.key) return listenPipe(path, _needKey(options.key));
  _checkLength(path);
  const listener = Deno.listen({ transport: "unix", path });
  try {
    Deno.chmodSync(path, 0o600);
  } catch (err) {
    listener.close();
    throw err;
  }
  return acceptStreams(
    listener,
    path,
    options.logger ?? silentLogger,
  );
}

/**
 * Listen on a session pipe; a connection is yielded once its client proved it holds `key`
 * (Windows; on posix the same code runs over a unix socket, which is how it is tested).
 * `onRefused` hears of every connection that did not.
 */
export function listenPipe(
  path: string,
  key: Uint8Array,
  onRefused: (why: string) => void = () => {},
  handshakeMs = HANDSHAKE_MS,
): SessionListener {
  return _listenNode(path, (sock) => serverHandshake(sock, key, handshakeMs), onRefused);
}

/**
 * Listen on a pipe any program can connect to, as `forward --listen=pipe:NAME` does on
 * Windows: what Windows' default pipe security allows (the user, SYSTEM and Administrators
 * read and write; other users may only open it for reading).
 */
export function listenOpenPipe(path: string): SessionListener {
  return _listenNode(path, () => Promise.resolve(undefined), () => {});
}

/**
 * Pipe instances a session keeps waiting for clients (Windows). libuv's default is 4, and under
 * Wine a pipe served through Deno's node:net stops taking clients once all of its waiting
 * instances are connected at the same moment (a fifth client's connect times out; four clients
 * held at once leave it unable to take a sixth later). Node reads its count from the
 * environment as the server's handle is made (net.js createServerHandle), so it is set for
 * that moment only: an exec: command does not inherit it.
 */
export const PIPE_INSTANCES = 64;

function _listenPipe(server: net.Server, path: string) {
  if (Deno.build.os !== "windows") {
    server.listen(path);
    return;
  }
  const name = "NODE_PENDING_PIPE_INSTANCES";
  const before = Deno.env.get(name);
  Deno.env.set(name, String(PIPE_INSTANCES));
  try {
    server.listen(path);
  } finally {
    if (before === undefined) Deno.env.delete(name);
    else Deno.env.set(name, before);
  }
}

function _listenNode(
  path: string,
  admit: (sock: net.Socket) => Promise<string | undefined>,
  onRefused: (why: string) => void,
): SessionListener {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const queue: Duplex[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let failed: Error | undefined;
  // Listening fails after this returns (a pipe name in use): the accept loop throws it.
  server.on("error", (err) => {
    failed ??= err;
    wake?.();
  });
  server.on("connection", (sock) => {
    _keepErrors(sock);
    admit(sock).then((refused) => {
      if (refused !== undefined || closed) {
        sock.destroy();
        onRefused(refused ?? "the session is closing");
        return;
      }
      queue.push(fromNodeStreams(sock, sock));
      wake?.();
    });
  });
  _listenPipe(server, path);
  async function* accept() {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (failed) throw failed;
      if (closed) return;
      await new Promise<void>((r) => wake = r);
    }
  }
  return {
    connections: accept(),
    close() {
      closed = true;
      server.close();
      wake?.();
    },
  };
}
