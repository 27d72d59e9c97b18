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
import { untilAborted } from "./until_aborted.ts";
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
 * forward's connection: the first SSH connection made and the session checked on it (a
 * `_proxy --check` channel; with --remote-socket the login is the check), then every stream
 * on it (or on more, where the server caps channels per connection).
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
      try {
        if (!route.remoteSocket) await _check(conn, route.checkCommand, logger);
      } catch (err) {
        conn.close();
        throw err;
      }
      const pool = connectionPool(route, logger, conn);
      return {
        open: () => _openStream(pool, route, logger, ++channels),
        lost: conn.closed.then((err) =>
          err ?? new SockhopError(`${conn.config.hostName} closed the connection`, "ssh-dead")
        ),
        close: () => pool.close(),
      };
    },
  };
}

/** Run the check command; throws what the remote side said when the session is not there. */
async function _check(conn: NativeConnection, command: string, logger: Logger) {
  const host = conn.config.hostName;
  const channel = await _exec(conn.client, command, host);
  const tail = tailLines(channel.stderr, (line) => logger.debug("ssh", `remote stderr: ${line}`));
  let status = -1;
  channel.on("exit", (code: number | null) => status = code ?? 255);
  const closed = new Promise<void>((r) => channel.once("close", () => r()));
  const marker = await readMarker(nodeChunks(channel));
  channel.end();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
  if (marker.kind !== "ok") throw remoteFailure(marker, status, tail().at(-1), host);
  logger.debug("ssh", "the session is there");
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
    );
  }
  const { conn, channel } = await pool.open((c) =>
    _exec(c.client, route.remoteCommand, c.config.hostName)
  );
  const host = conn.config.hostName;
  logger.debug("ssh", `channel ${id}: exec opened`);
  const tail = tailLines(channel.stderr, (line) => {
    if (line.trim()) logger.debug("ssh", `remote stderr: ${line}`);
  });
  // -1 until the server sends an exit status (or signal): a channel closed without one
  // did not end well (OpenSSH's ssh says 255).
  let status = -1;
  let signal: string | undefined;
  channel.on("exit", (code: number | null, sig?: string) => {
    status = code ?? 255;
    if (code === null && sig) signal = sig.startsWith("SIG") ? sig : `SIG${sig}`;
  });
  const closed = new Promise<void>((r) => channel.once("close", () => r()));
  const chunks = nodeChunks(channel);
  const marker = await readMarker(chunks);
  if (marker.noise.length) {
    logger.debug("ssh", `discarded ${marker.noise.length} bytes before the marker:`);
    logger.debug("ssh", new TextDecoder().decode(marker.noise).trimEnd());
  }
  if (marker.kind !== "ok") {
    channel.end();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    throw remoteFailure(marker, status, tail().at(-1), host);
  }
  const base = fromNodeStreams(channel, channel, () => channel.close());
  return _session(
    channel,
    withPrefix(base, marker.rest, chunks),
    id,
    logger,
    conn,
    () => {
      if (signal) {
        throw new SockhopError(`The remote command was killed by ${signal}`, "remote-failed");
      }
      if (status < 0) {
        throw new SockhopError(
          `${host} closed the channel without an exit status: the session's output may be incomplete`,
          "remote-failed",
        );
      }
      const last = tail().at(-1);
      // The remote _proxy's last word: how the session ended there.
      if (status !== 0 && last?.startsWith("sockhop: ")) {
        throw new SockhopError(`Remote: ${last.slice("sockhop: ".length)}`, "remote-failed");
      }
      return status;
    },
  );
}

function _session(
  channel: ssh2.Channel,
  stream: SessionStream["stream"],
  id: number,
  logger: Logger,
  conn: NativeConnection,
  status: () => number = () => 0,
): SessionStream {
  const closed = new Promise<void>((r) => {
    if (channel.destroyed) r();
    channel.once("close", () => r());
  });
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

function _exec(client: ssh2.Client, command: string, host: string): Promise<ssh2.ClientChannel> {
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
      } else resolve(channel);
    });
  });
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
  2: "nothing accepts connections at that path on the server: check it (sockhop list, there)",
  3: "this server has no forwarding to unix sockets (direct-streamlocal, an OpenSSH extension): " +
    "leave out --remote-socket to go through sockhop on the remote host",
  4: "the server is short of resources: try again later",
};
