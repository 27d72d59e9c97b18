/**
 * The native backend as a Transport: one SSH connection (through any jump hosts), one channel
 * per stream: an `exec` of the remote command (marker, noise discarded), or with a remote
 * socket path a `direct-streamlocal@openssh.com` channel needing nothing on the remote host.
 * When the connection drops, the next stream reconnects.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import { readMarker } from "./marker.ts";
import { connectNative, type NativeConnection } from "./native_connect.ts";
import type { Logger } from "./logger.ts";
import type { NativeRoute } from "./route.ts";
import { remoteFailure } from "./remote_failure.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { SessionStream, Transport } from "./transport.ts";

export function nativeTransport(route: NativeRoute, logger: Logger): Transport {
  let current: Promise<NativeConnection> | undefined;
  let channels = 0;
  const connection = () => {
    if (current) return current;
    const attempt = connectNative(route, logger);
    current = attempt;
    attempt.then((c) => {
      c.closed.then((err) => {
        if (current === attempt) current = undefined;
        logger.debug(
          "ssh",
          `connection to ${c.config.hostName} closed${err ? `: ${err.message}` : ""}`,
        );
      });
    }, () => {
      if (current === attempt) current = undefined;
    });
    return attempt;
  };
  return {
    async open(): Promise<SessionStream> {
      const conn = await connection();
      const id = ++channels;
      const host = conn.config.hostName;
      if (route.remoteSocket) {
        const channel = await _streamLocal(conn.client, route.remoteSocket, host);
        logger.debug("ssh", `channel ${id}: direct-streamlocal to ${route.remoteSocket}`);
        return _session(
          channel,
          fromNodeStreams(channel, channel, () => channel.close()),
          id,
          logger,
          conn,
        );
      }
      const channel = await _exec(conn.client, route.remoteCommand, host);
      logger.debug("ssh", `channel ${id}: exec opened`);
      const tail: string[] = [];
      channel.stderr.setEncoding("utf8");
      channel.stderr.on("data", (text: string) => {
        for (const line of text.split("\n").filter((l) => l.trim())) {
          logger.debug("ssh", `remote stderr: ${line}`);
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
      });
      let status = -1;
      channel.on("exit", (code: number | null) => status = code ?? 255);
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
        throw remoteFailure(marker, status, tail.at(-1), host);
      }
      const base = fromNodeStreams(channel, channel, () => channel.close());
      return _session(
        channel,
        withPrefix(base, marker.rest, chunks),
        id,
        logger,
        conn,
        () => status,
      );
    },
    async close() {
      const c = current;
      current = undefined;
      if (c) (await c.catch(() => undefined))?.close();
    },
  };
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
      if (aborted) channel.close();
      // A dead connection ends the channel too; its reason is the better message.
      const dead = await Promise.race([closed.then(() => undefined), conn.closed]);
      await closed;
      logger.debug("ssh", `channel ${id} closed, status ${status()}`);
      if (dead) throw dead;
      return status() < 0 ? 0 : status();
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
          new SockhopError(
            `${host} refused a stream to ${path}: ${err.message} (check the path, and AllowStreamLocalForwarding on the server)`,
            "no-session",
          ),
        );
      } else resolve(channel);
    });
  });
}
