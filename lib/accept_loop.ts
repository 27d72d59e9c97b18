/**
 * The one accept loop of every listener sockhop opens (the session socket and its status
 * socket, `forward`'s listener, the built-in server's --bind-ssh and --bind-tcp ports).
 *
 * A failed accept that passes (out of descriptors or memory, a connection aborted before it
 * was taken) leaves the connection in the backlog: as sshd does, say so once, pause, and try
 * again, so that a few dozen clients under a low descriptor limit cannot end the process
 * ("internal error: Too many open files" from serve and forward before this loop was shared).
 * Any other failure ends the loop with that error.
 */

import { doublingMs } from "./backoff.ts";
import { errorCode, errorText } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Duplex } from "./relay.ts";
import { fromDenoConn } from "./streams.ts";

/** What the loop needs of a listener. */
export interface Acceptor<C> {
  accept(): Promise<C>;
  close(): void;
}

export interface AcceptLoop<C> {
  /** Accepted connections until closed; throws an accept error that does not pass. */
  readonly connections: AsyncIterable<C>;
  /** Stop accepting (ends a pause at once) and close the listener. */
  close(): void;
}

/**
 * accept(2) errors that pass: resources (EMFILE, ENFILE, ENOBUFS, ENOMEM), an interrupted or
 * aborted accept, a firewall's EPERM, and the pending network errors that Linux's accept(2)
 * page says to treat as EAGAIN.
 */
const _TRANSIENT = new Set([
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
  "ECONNABORTED",
  "EINTR",
  "EAGAIN",
  "EPERM",
  "EPROTO",
  "ENOPROTOOPT",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "ENONET",
  "EOPNOTSUPP",
]);

/** The first pause after a failed accept, doubled at each failure up to the last. */
export const ACCEPT_RETRY_MS = [10, 1000] as const;

/** Whether a failed accept is one to wait out. */
export function isTransientAcceptError(err: unknown): boolean {
  if (_TRANSIENT.has(errorCode(err) ?? "")) return true;
  return err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.ConnectionAborted;
}

/** Accept from `listener` until closed; `where` names it in the log. */
export function acceptLoop<C>(
  listener: Acceptor<C>,
  where: string,
  logger: Logger,
): AcceptLoop<C> {
  let closed = false;
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  async function* connections(): AsyncGenerator<C> {
    let failures = 0;
    while (!closed) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed) return;
        if (!isTransientAcceptError(err)) throw err;
        if (failures++ === 0) logger.warn(`${where}: cannot accept: ${errorText(err)}; retrying`);
        await pause(doublingMs(failures, ...ACCEPT_RETRY_MS));
        continue;
      }
      if (failures > 0) logger.info(`${where}: accepting again`);
      failures = 0;
      yield conn;
    }
  }
  return {
    connections: connections(),
    close() {
      if (closed) return;
      closed = true;
      wake();
      listener.close();
    },
  };
}

/** The loop over a Deno listener, each connection as a Duplex (unix sockets, forward's TCP). */
export function acceptStreams(
  listener: Deno.Listener,
  where: string,
  logger: Logger,
): AcceptLoop<Duplex> {
  return acceptLoop(
    { accept: async () => fromDenoConn(await listener.accept()), close: () => listener.close() },
    where,
    logger,
  );
}
