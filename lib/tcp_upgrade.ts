/**
 * `--bind-tcp` with `--ssh-upgrade`: look at the first bytes of each connection. `SSH-` goes to
 * the built-in SSH server; anything else (or nothing decisive within a second: a protocol
 * where the server speaks first) is relayed raw to the session.
 */

import type { Logger } from "./logger.ts";
import { relay } from "./relay.ts";
import { connectSessionStream } from "./session_frames.ts";
import { openSession, type SessionDirs } from "./sessions.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { SshServer } from "./ssh_server.ts";
import { listenTcpSockets, type TcpSocket, type TcpSocketListener } from "./tcp_sockets.ts";

export interface TcpUpgradeOptions {
  readonly ssh: SshServer | undefined;
  /** The session raw connections go to; undefined: raw is refused. */
  readonly session: string | undefined;
  readonly rawAllowed: boolean;
  readonly dirs: SessionDirs;
  readonly logger: Logger;
  readonly sniffMs?: number;
}

const SSH_PREFIX = new TextEncoder().encode("SSH-");
/** RFC 4253 §4.2: an identification line is at most 255 bytes, CR LF included. */
const IDENT_MAX = 255;

/**
 * What a connection is from its first bytes: "ssh" for `SSH-`, "raw" for anything else, and
 * undefined while the bytes so far (fewer than 4) could still be the start of `SSH-`. With
 * `final` (no more bytes are coming, or no more will be waited for) a partial prefix is raw.
 */
export function sniff(bytes: Uint8Array, final: boolean): "ssh" | "raw" | undefined {
  const n = Math.min(bytes.length, SSH_PREFIX.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== SSH_PREFIX[i]) return "raw";
  if (n === SSH_PREFIX.length) return "ssh";
  return final ? "raw" : undefined;
}

export function listenTcp(
  options: TcpUpgradeOptions,
  host: string,
  port: number,
): TcpSocketListener {
  const { logger } = options;
  const handle = (sock: TcpSocket) => {
    sock.setNoDelay(true);
    // Until 4 bytes have come, or bytes that cannot start "SSH-": a client may well send its
    // banner in pieces ("S", then "SH-2.0-..."), and that is still SSH. An SSH client's whole
    // identification line is then handed over at once: ssh2 loses the middle of one that
    // reaches it in three pieces or more (its parseHeader keeps only the first piece).
    let seen = new Uint8Array(0);
    let done = false;
    const decide = (kind: "ssh" | "raw") => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off("data", onData);
      sock.off("end", onEnd);
      sock.pause();
      if (kind === "ssh" && options.ssh) {
        sock.unshift(seen);
        options.ssh.handle(sock);
        return;
      }
      if (!options.rawAllowed || options.session === undefined) {
        logger.info(`tcp ${sock.remoteAddress}: refused a raw (non-SSH) connection`);
        sock.destroy();
        return;
      }
      _raw(sock, seen, options);
    };
    const onData = (chunk: Uint8Array) => {
      const more = new Uint8Array(seen.length + chunk.length);
      more.set(seen);
      more.set(chunk, seen.length);
      seen = more;
      const kind = sniff(seen, false);
      if (kind === "raw" || (kind === "ssh" && (seen.includes(10) || seen.length >= IDENT_MAX))) {
        decide(kind);
      }
    };
    // Ended, or nothing decisive within the wait (a protocol where the server speaks first).
    const onEnd = () => decide(sniff(seen, true)!);
    const timer = setTimeout(onEnd, options.sniffMs ?? 1000);
    sock.on("data", onData);
    sock.on("end", onEnd);
    sock.once("error", () => {
      done = true;
      clearTimeout(timer);
    });
  };
  return listenTcpSockets(host, port, handle, logger);
}

async function _raw(sock: TcpSocket, first: Uint8Array, options: TcpUpgradeOptions) {
  try {
    const { conn } = await openSession(options.dirs, options.session!, connectSessionStream);
    const base = fromNodeStreams(sock, sock);
    const it = nodeChunks(sock);
    sock.resume();
    await relay(withPrefix(base, first, it), conn);
  } catch (err) {
    options.logger.info(`tcp ${sock.remoteAddress}: ${(err as Error).message}`);
    sock.destroy();
  }
}
