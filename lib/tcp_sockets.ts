/**
 * TCP listeners for the built-in server (--bind-ssh, --bind-tcp), on Deno's own listener
 * rather than node:net's. When the process runs out of descriptors, node:net's listener drops
 * the failed accept and never polls its socket again (Deno 2.9's libuv emulation,
 * libs/core/uv_compat/tcp.rs `poll_tcp_handle` keeps only `Ready(Ok)` from `poll_accept`): the
 * port stays open and nothing is ever served again. Here accept_loop.ts retries a failed accept
 * after a pause, and the connections waiting in the backlog are taken once descriptors are
 * free. Each connection is handed on as a node Duplex with what ssh2 uses of a socket.
 */

import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { acceptLoop } from "./accept_loop.ts";
import { errorText } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** What the built-in server uses of an accepted TCP connection. */
export interface TcpSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  setNoDelay(noDelay?: boolean): this;
}

export interface TcpSocketListener {
  /** HOST:PORT as bound, [HOST]:PORT for IPv6. */
  readonly address: string;
  close(): void;
}

const READ_SIZE = 64 * 1024;

/** Listen on host:port; `onSocket` gets each connection. Throws when it cannot listen. */
export function listenTcpSockets(
  host: string,
  port: number,
  onSocket: (socket: TcpSocket) => void,
  logger: Logger,
): TcpSocketListener {
  const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
  const bound = listener.addr;
  const address = `${
    bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname
  }:${bound.port}`;
  const loop = acceptLoop(listener, address, logger);
  (async () => {
    for await (const conn of loop.connections) {
      const socket = new _ConnSocket(conn);
      try {
        onSocket(socket);
      } catch (err) {
        logger.warn(`${address}: ${errorText(err)}`);
        socket.destroy();
      }
    }
  })().catch((err) => logger.warn(`${address}: stopped accepting: ${errorText(err)}`));
  return { address, close: () => loop.close() };
}

/** A Deno.TcpConn as a node Duplex (half-close allowed, as a net.Socket with allowHalfOpen). */
class _ConnSocket extends Duplex implements TcpSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly #conn: Deno.TcpConn;

  constructor(conn: Deno.TcpConn) {
    super({ allowHalfOpen: true });
    this.#conn = conn;
    this.remoteAddress = conn.remoteAddr.hostname;
    this.remotePort = conn.remoteAddr.port;
    this.remoteFamily = this.remoteAddress.includes(":") ? "IPv6" : "IPv4";
  }

  setNoDelay(noDelay = true): this {
    if (!this.destroyed) this.#conn.setNoDelay(noDelay);
    return this;
  }

  override _read(): void {
    const buf = Buffer.allocUnsafe(READ_SIZE);
    this.#conn.read(buf).then((n) => {
      if (this.destroyed) return;
      if (n === null) this.push(null);
      // A small read is copied out, not kept as a view pinning the whole 64 KiB.
      else this.push(n < READ_SIZE / 8 ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n));
    }, (err) => {
      if (!this.destroyed) this.destroy(err);
    });
  }

  override _write(chunk: Buffer, _encoding: string, done: (err?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => done(), done);
  }

  /** SSH writes one packet at a time: what piled up while a write was out goes as one. */
  override _writev(
    chunks: Array<{ chunk: Buffer }>,
    done: (err?: Error | null) => void,
  ): void {
    this.#writeAll(Buffer.concat(chunks.map((c) => c.chunk))).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#conn.closeWrite().then(() => done(), (err) => {
      // The peer has gone already: there is nothing left to tell it.
      done(err instanceof Deno.errors.NotConnected ? null : err);
    });
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    try {
      this.#conn.close();
    } catch (closeErr) {
      if (!(closeErr instanceof Deno.errors.BadResource)) {
        done(err ?? (closeErr as Error));
        return;
      }
    }
    done(err);
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }
}
