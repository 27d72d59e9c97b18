/**
 * The small interface between what a user asked for (connect, forward) and how the bytes get
 * there (the openssh program backend, the native client, a local socket).
 */

import type { Duplex } from "./relay.ts";

/** One stream to the session, after the marker line. */
export interface SessionStream {
  readonly stream: Duplex;
  /**
   * Called once the relay is over. Resolves with the remote status (0 when unknown or when
   * the ssh process was let go with --exit-ssh=no). `aborted`: the user interrupted.
   */
  finish(aborted: boolean): Promise<number>;
}

/** Opens streams to one session; `forward` opens one per local connection. */
export interface Transport {
  /** A new stream to the session. Throws a SockhopError naming the fix on failure. */
  open(): Promise<SessionStream>;
  /** Release what the transport holds (an SSH connection). */
  close(): Promise<void>;
}

/** One connection carrying every stream of a `forward` (none for a session on this host). */
export interface Connection {
  /** A new stream to the session over this connection. */
  open(): Promise<SessionStream>;
  /** Resolves when the connection is gone, with why. */
  readonly lost: Promise<Error>;
  close(): Promise<void>;
}

/** Makes `forward`'s connection: connect, log in, check that the session is there. */
export interface Connector {
  /** Throws a SockhopError naming the fix. Aborting `signal` ends an attempt under way. */
  connect(signal: AbortSignal): Promise<Connection>;
}
