/**
 * The native backend as a Transport: one SSH connection (through any jump hosts), one channel
 * per stream: an `exec` of the remote command (marker, noise discarded), or with a remote
 * socket path a `direct-streamlocal@openssh.com` channel needing nothing on the remote host.
 * Channels share one connection (lib/native_pool.ts), as far as the server allows; when the
 * connection drops, the next stream reconnects.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import { keepUntilClosed } from "./ssh2_channel.ts";
import { untilAborted } from "./until_aborted.ts";
import { muxConnection } from "./mux_connection.ts";
import { tailLines } from "./lines.ts";
import { readMarker } from "./marker.ts";
import { connectNative, type NativeConnection } from "./native_connect.ts";
import { type ConnectionPool, connectionPool } from "./native_pool.ts";
import type { Logger } from "./logger.ts";
import type { NativeRoute } from "./route.ts";
import { remoteFailure } from "./remote_failure.ts";
import { QUOTE_MAX, safeText } from "./safe_text.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { Connection, Connector, SessionStream, Transport } from "./transport.ts";

export function nativeTransport(route: NativeRoute, logger: Logger): Transport {
  const pool = connectionPool(route, logger);
  let channels = 0;
  return {
    open: () => _openStream(pool, route, logger, ++channels),
    close: () => pool.close(),
  };
}

/**
 * forward's connection: one SSH connection, and on it one channel running `_proxy --mux`
 * that checks the session and then carries every tunnel (lib/mux_connection.ts): a tunnel
 * then costs a stream, not a remote process started for it. With --remote-socket, the login
 * is the check and each tunnel a direct-streamlocal channel.
 */
export function nativeConnector(route: NativeRoute, logger: Logger): Connector {
  let channels = 0;
  return {
    async connect(signal): Promise<Connection> {
      const making = connectNative(route, logger);
      // Given up on while connecting: closed as soon as it is made.
      signal.addEventListener("abort", () => making.then((c) => c.close(), () => {}), {
        once: true,
      });
      const conn = await untilAborted(making, signal);
      const lost = conn.closed.then((err) =>
        err ?? new SockhopError(`${conn.config.hostName} closed the connection`, "ssh-dead")
      );
      if (route.remoteSocket || route.muxCommand === undefined) {
        const pool = connectionPool(route, logger, conn);
        return {
          open: () => _openStream(pool, route, logger, ++channels),
          lost,
          close: () => pool.close(),
        };
      }
      try {
        return await _muxChannel(conn, route.muxCommand, lost, logger);
      } catch (err) {
        conn.close();
        throw err;
      }
    },
  };
}

/** The `_proxy --mux` channel; throws what the remote side said when the session is not there. */
async function _muxChannel(
  conn: NativeConnection,
  command: string,
  lost: Promise<Error>,
  logger: Logger,
): Promise<Connection> {
  const host = conn.config.hostName;
  const { channel, ends } = await _exec(conn.client, command, host, logger);
  const chunks = nodeChunks(channel);
  const marker = await readMarker(chunks);
  if (marker.kind !== "ok") {
    channel.end();
    await Promise.race([ends.closed, new Promise((r) => setTimeout(r, 5000))]);
    throw remoteFailure(marker, ends.exit()?.status ?? -1, ends.tail().at(-1), host);
  }
  logger.debug("ssh", "the session is there; one channel carries every tunnel");
  const base = fromNodeStreams(channel, channel, () => channel.close());
  return muxConnection({
    chunks: withPrefix(base, marker.rest, chunks).readable,
    write: base.write,
    keepalive: conn.config.keepalive,
    gone: Promise.race([
      lost,
      ends.closed.then(() =>
        new SockhopError(`${host} closed forward's channel (the remote sockhop ended)`, "ssh-dead")
      ),
    ]),
    close() {
      conn.close();
      return Promise.resolve();
    },
  });
}

async function _openStream(
  pool: ConnectionPool,
  route: NativeRoute,
  logger: Logger,
  id: number,
): Promise<SessionStream> {
  if (route.remoteSocket) {
    const path = route.remoteSocket;
    const { conn, channel } = await pool.open((c) =>
      _streamLocal(c.client, path, c.config.hostName)
    );
    logger.debug("ssh", `channel ${id}: direct-streamlocal to ${route.remoteSocket}`);
    return _session(
      channel,
      fromNodeStreams(channel, channel, () => channel.close()),
      id,
      logger,
      conn,
      new Promise<void>((r) => {
        if (channel.destroyed) r();
        channel.once("close", () => r());
      }),
    );
  }
  // Everything the channel may say is listened for from the exec reply on: a command that
  // exits at once has its status in the same read as the reply.
  let ends: _ExecEnds | undefined;
  const { conn, channel } = await pool.open(async (c) => {
    const opened = await _exec(c.client, route.remoteCommand, c.config.hostName, logger);
    ends = opened.ends;
    return opened.channel;
  });
  const { tail, exit, closed } = ends!;
  const host = conn.config.hostName;
  logger.debug("ssh", `channel ${id}: exec opened`);
  const chunks = nodeChunks(channel);
  const marker = await readMarker(chunks);
  if (marker.noise.length) {
    logger.debug("ssh", `discarded ${marker.noise.length} bytes before the marker:`);
    logger.debug("ssh", new TextDecoder().decode(marker.noise).trimEnd());
  }
  if (marker.kind !== "ok") {
    channel.end();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    throw remoteFailure(marker, exit()?.status ?? -1, tail().at(-1), host);
  }
  // As OpenSSH, the channel is closed only once the server has sent the command's exit
  // status (or closed it): asyncssh, paramiko and Go's servers send it after the output's
  // EOF, and drop it for a channel the client has closed.
  const base = {
    ...fromNodeStreams(channel, channel, () => channel.close()),
    settled: ends!.settled,
  };
  return _session(
    channel,
    withPrefix(base, marker.rest, chunks),
    id,
    logger,
    conn,
    closed,
    () => {
      const end = exit();
      if (end?.signal) {
        throw new SockhopError(
          `The remote command was killed by ${end.signal}`,
          "remote-failed",
        );
      }
      if (!end) {
        throw new SockhopError(
          `${host} closed the channel without an exit status: the session's output may be incomplete`,
          "remote-failed",
        );
      }
      const last = tail().at(-1);
      // The remote _proxy's last word: how the session ended there.
      if (end.status !== 0 && last?.startsWith("sockhop: ")) {
        throw new SockhopError(`Remote: ${last.slice("sockhop: ".length)}`, "remote-failed");
      }
      return end.status;
    },
  );
}

function _session(
  channel: ssh2.Channel,
  stream: SessionStream["stream"],
  id: number,
  logger: Logger,
  conn: NativeConnection,
  closed: Promise<void>,
  status: () => number = () => 0,
): SessionStream {
  return {
    // A closed channel is over, as in ssh, however long stdin stays open.
    stream: { ...stream, ended: closed },
    async finish(aborted) {
      if (aborted) {
        // Not waited for: the server confirms a close only once its command has ended.
        channel.close();
        return 0;
      }
      // A dead connection ends the channel too; its reason is the better message.
      const dead = await Promise.race([closed.then(() => undefined), conn.closed]);
      await closed;
      if (dead) throw dead;
      const code = status();
      logger.debug("ssh", `channel ${id} closed, status ${code}`);
      return code;
    },
  };
}

/** What an exec channel says besides its output, listened for from the moment it exists. */
interface _ExecEnds {
  /** The last lines of its stderr. */
  readonly tail: () => string[];
  /** The exit status (255 for a signal) and signal, once the server has sent either. */
  readonly exit: () => { status: number; signal?: string } | undefined;
  /** Resolves once the exit status or signal came, or the channel closed. */
  readonly settled: Promise<void>;
  /** Resolves once the channel closed. */
  readonly closed: Promise<void>;
}

function _exec(
  client: ssh2.Client,
  command: string,
  host: string,
  logger: Logger,
): Promise<{ channel: ssh2.ClientChannel; ends: _ExecEnds }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(
          new SockhopError(
            `${host} refused to run the remote command: ${err.message}`,
            "ssh-failed",
            { cause: err },
          ),
        );
      } else resolve({ channel, ends: _execEnds(channel, logger) });
    });
  });
}

/**
 * Called from the exec reply's callback, before anything else is read from the connection:
 * ssh2 emits a channel's requests as it parses them, and a listener attached a tick later
 * misses a status that came in the same read.
 */
function _execEnds(channel: ssh2.ClientChannel, logger: Logger): _ExecEnds {
  keepUntilClosed(channel);
  const tail = tailLines(channel.stderr, (line) => {
    if (line.trim()) logger.debug("ssh", `remote stderr: ${line}`);
  });
  let end: { status: number; signal?: string } | undefined;
  let exited = () => {};
  const exitedP = new Promise<void>((r) => exited = r);
  channel.on("exit", (code: number | null, sig?: string) => {
    end = code === null && sig
      ? { status: 255, signal: sig.startsWith("SIG") ? sig : `SIG${sig}` }
      : { status: code ?? 255 };
    exited();
  });
  const closed = new Promise<void>((r) => channel.once("close", () => r()));
  return { tail, exit: () => end, settled: Promise.race([exitedP, closed]), closed };
}

function _streamLocal(
  client: ssh2.Client,
  path: string,
  host: string,
): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => {
    client.openssh_forwardOutStreamLocal(path, (err, channel) => {
      if (err) {
        reject(
          new SockhopError(_streamLocalRefused(err, path, host), "no-session", { cause: err }),
        );
      } else resolve(channel);
    });
  });
}

/** What the server said when it refused a direct-streamlocal channel, and what to do. */
function _streamLocalRefused(err: Error, path: string, host: string): string {
  const code = (err as { reason?: unknown }).reason;
  // ssh2 puts the server's description after this prefix.
  const said = err.message.replace(/^\(SSH\) Channel open failure:\s*/, "").trim();
  const words = `${said ? `"${safeText(said, QUOTE_MAX, true)}", ` : ""}code ${String(code)}`;
  const fix = _STREAMLOCAL_FIX[Number(code)] ??
    "check the path, and AllowStreamLocalForwarding on the server";
  return `${host} refused a stream to ${path} (${words}): ${fix}`;
}

/** RFC 4254 §5.1 reason codes, and what to do about each for a unix socket. */
const _STREAMLOCAL_FIX: Record<number, string> = {
  1: "the server forbids forwarding to unix sockets (AllowStreamLocalForwarding in sshd_config); " +
    "or leave out --remote-socket to go through sockhop on the remote host",
  // sshd answers "open failed" both when nothing listens there and when its
  // AllowStreamLocalForwarding forbids it: the code cannot tell which.
  2: "either nothing accepts connections at that path on the server (check it: sockhop list, " +
    "there), or the server forbids forwarding to unix sockets (AllowStreamLocalForwarding in " +
    "sshd_config; leave out --remote-socket to go through sockhop on the remote host)",
  3: "this server has no forwarding to unix sockets (direct-streamlocal, an OpenSSH extension): " +
    "leave out --remote-socket to go through sockhop on the remote host",
  4: "the server is short of resources: try again later",
};
