/**
 * Opening and listening on session sockets. Posix: unix domain sockets through Deno's own
 * API (the fastest path here). Windows: named pipes through node:net.
 */

import net from "node:net";
import { errorCode } from "./errors.ts";
import type { Duplex } from "./relay.ts";
import { fromDenoConn, fromNodeStreams } from "./streams.ts";

/** Connect to a session socket. */
export async function connectSession(path: string): Promise<Duplex> {
  if (Deno.build.os === "windows") return await _connectWindows(path);
  return fromDenoConn(await Deno.connect({ transport: "unix", path }));
}

function _connectWindows(path: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path, allowHalfOpen: true });
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(fromNodeStreams(sock, sock));
    });
  });
}

/** A listening session socket. */
export interface SessionListener {
  /** Accepted connections until closed. */
  readonly connections: AsyncIterable<Duplex>;
  close(): void;
}

/**
 * Accept errors that pass: out of descriptors or memory, a connection aborted before it was
 * taken. The connection waits in the backlog meanwhile; serve used to exit on the first one.
 */
const _TRANSIENT = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "ECONNABORTED", "EINTR"]);
/** The first pause after such an error, doubled each time up to the last. */
const _RETRY_MS = [10, 1000] as const;

/** Listen on `path` (which must not exist). */
export function listenSession(path: string): SessionListener {
  if (Deno.build.os === "windows") return _listenWindows(path);
  const listener = Deno.listen({ transport: "unix", path });
  let closed = false;
  let wake = () => {};
  async function* accept() {
    let delay: number = _RETRY_MS[0];
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed) return;
        if (!_TRANSIENT.has(errorCode(err) ?? "")) throw err;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, _RETRY_MS[1]);
        continue;
      }
      delay = _RETRY_MS[0];
      yield fromDenoConn(conn);
    }
  }
  return {
    connections: accept(),
    close() {
      if (closed) return;
      closed = true;
      wake();
      listener.close();
    },
  };
}

function _listenWindows(path: string): SessionListener {
  const server = net.createServer({ allowHalfOpen: true });
  const queue: Duplex[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  server.on("connection", (sock) => {
    queue.push(fromNodeStreams(sock, sock));
    wake?.();
  });
  server.listen(path);
  async function* accept() {
    for (;;) {
      while (queue.length) yield queue.shift()!;
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

/** Where a session socket lives on Windows. */
export function windowsPipePath(fileName: string): string {
  return `\\\\.\\pipe\\sockhop\\${fileName}`;
}
