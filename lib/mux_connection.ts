/**
 * A forward Connection over one channel that runs `_proxy --mux` remotely: every stream a
 * stream of lib/session_mux.ts. The ssh/plink process's pipes or the built-in client's exec
 * channel are the carrier; the connection is lost when the carrier ends or stops answering.
 */

import { SockhopError } from "./errors.ts";
import { endMessage } from "./session_frames.ts";
import { type Mux, muxEndpoint } from "./session_mux.ts";
import type { Connection, SessionStream } from "./transport.ts";

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
