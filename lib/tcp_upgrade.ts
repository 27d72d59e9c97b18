/**
 * `--bind-tcp` with `--ssh-upgrade`: look at the first bytes of each connection. `SSH-` goes to
 * the built-in SSH server; anything else (or nothing within a second: a protocol where the
 * server speaks first) is relayed raw to the session.
 */

import net from "node:net";
import type { Logger } from "./logger.ts";
import { relay } from "./relay.ts";
import { connectSession } from "./session_socket.ts";
import { openSession, type SessionDirs } from "./sessions.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { SshServer } from "./server.ts";

export interface TcpUpgradeOptions {
  readonly ssh: SshServer | undefined;
  /** The session raw connections go to; undefined: raw is refused. */
  readonly session: string | undefined;
  readonly rawAllowed: boolean;
  readonly dirs: SessionDirs;
  readonly logger: Logger;
  readonly sniffMs?: number;
}

/** Decide what a first chunk is. */
export function sniff(first: Uint8Array | undefined): "ssh" | "raw" {
  return first && first.length >= 4 && new TextDecoder().decode(first.subarray(0, 4)) === "SSH-"
    ? "ssh"
    : "raw";
}

export function listenTcp(
  options: TcpUpgradeOptions,
  host: string,
  port: number,
): Promise<net.Server> {
  const { logger } = options;
  const handle = (sock: net.Socket) => {
    sock.setNoDelay(true);
    let done = false;
    const decide = (first: Uint8Array | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off("data", onData);
      sock.pause();
      const kind = sniff(first);
      if (kind === "ssh" && options.ssh) {
        if (first) sock.unshift(first);
        options.ssh.handle(sock);
        return;
      }
      if (!options.rawAllowed || options.session === undefined) {
        logger.info(`tcp ${sock.remoteAddress}: refused a raw (non-SSH) connection`);
        sock.destroy();
        return;
      }
      _raw(sock, first, options);
    };
    const onData = (chunk: Uint8Array) => decide(chunk);
    const timer = setTimeout(() => decide(undefined), options.sniffMs ?? 1000);
    sock.on("data", onData);
    sock.once("error", () => {
      done = true;
      clearTimeout(timer);
    });
  };
  return new Promise((resolve, reject) => {
    const listener = net.createServer({ allowHalfOpen: true }, handle);
    listener.once("error", reject);
    listener.listen(port, host, () => {
      listener.off("error", reject);
      resolve(listener);
    });
  });
}

async function _raw(sock: net.Socket, first: Uint8Array | undefined, options: TcpUpgradeOptions) {
  try {
    const { conn } = await openSession(options.dirs, options.session!, connectSession);
    const base = fromNodeStreams(sock, sock);
    const it = nodeChunks(sock);
    sock.resume();
    await relay(withPrefix(base, first ?? new Uint8Array(0), it), conn);
  } catch (err) {
    options.logger.info(`tcp ${sock.remoteAddress}: ${(err as Error).message}`);
    sock.destroy();
  }
}
