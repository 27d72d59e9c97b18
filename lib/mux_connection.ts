/**
 * A forward Connection over one channel that runs `_proxy --mux` remotely: every stream a
 * stream of lib/session_mux.ts. The ssh/plink process's pipes or the built-in client's exec
 * channel are the carrier; the connection is lost when the carrier ends or stops answering.
 */

import { SockhopError } from "./errors.ts";
import { endMessage } from "./session_frames.ts";
import { type Mux, muxEndpoint } from "./session_mux.ts";
import type { Logger } from "./logger.ts";
import type { Connection, Connector, SessionStream, Transport } from "./transport.ts";

export interface MuxCarrier {
  /** Bytes from the remote `_proxy --mux`, after its marker. */
  readonly chunks: AsyncIterable<Uint8Array>;
  readonly write: (bytes: Uint8Array) => Promise<void>;
  /** ServerAliveInterval (s) and ServerAliveCountMax for its pings; interval 0: none. */
  readonly keepalive: { readonly interval: number; readonly countMax: number };
  /** Resolves when what carries it has gone (ssh exited, the SSH connection closed). */
  readonly gone: Promise<Error>;
  /** End what carries it. */
  close(): Promise<void>;
}

export function muxConnection(carrier: MuxCarrier): Connection {
  const { interval, countMax } = carrier.keepalive;
  const mux = muxEndpoint({
    chunks: carrier.chunks,
    write: carrier.write,
    ...(interval > 0 ? { ping: { intervalMs: interval * 1000, countMax } } : {}),
  });
  const lost = Promise.race([mux.closed, carrier.gone]);
  lost.then((why) => {
    mux.close(why);
    carrier.close();
  });
  return {
    open: () => _stream(mux),
    lost,
    close() {
      mux.close();
      return carrier.close();
    },
  };
}

async function _stream(mux: Mux): Promise<SessionStream> {
  const stream = mux.open();
  try {
    await stream.opened;
  } catch (err) {
    stream.close();
    throw new SockhopError((err as Error).message, "session-ended", { cause: err });
  }
  return {
    stream,
    async finish(aborted) {
      if (aborted) return 0;
      const message = endMessage(await stream.status);
      if (message) throw new SockhopError(message, "session-ended");
      return 0;
    },
  };
}

/**
 * A remote side that cannot carry several streams in one channel (a sockhop older than
 * `_proxy --mux`, or a host with xpra and no sockhop for an xpra display): one channel, or
 * one ssh process, per tunnel as before, and no check at start.
 */
export function withPerTunnelFallback(
  mux: Connector,
  perTunnel: () => Transport,
  xpraFallback: boolean,
  logger: Logger,
): Connector {
  return {
    async connect(signal) {
      try {
        return await mux.connect(signal);
      } catch (err) {
        if (!_muxUnknown(err, xpraFallback)) throw err;
        logger.warn(
          `the remote side cannot carry every tunnel in one channel (${
            (err as Error).message
          }): one per tunnel`,
        );
        const transport = perTunnel();
        return { open: transport.open, lost: new Promise<Error>(() => {}), close: transport.close };
      }
    },
  };
}

function _muxUnknown(err: unknown, xpraFallback: boolean): boolean {
  if (!(err instanceof SockhopError)) return false;
  if (err.code === "remote-missing") return xpraFallback;
  return err.code === "no-marker" && /--mux/.test(err.message);
}
