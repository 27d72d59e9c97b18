/**
 * The SSH connections behind one native transport. Every channel goes on one connection, as
 * with ssh's multiplexing, until the server refuses a channel while others are open there (a
 * per-connection cap: tinysshd allows one session, sshd's MaxSessions): that channel, and
 * later ones while the first connection is full, get a connection of their own. A connection
 * that drops is left out; the next channel reconnects.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import type { Logger } from "./logger.ts";
import { connectNative, type NativeConnection } from "./native_connect.ts";
import type { NativeRoute } from "./route.ts";

export interface ConnectionPool {
  /**
   * Open a channel with `openOn` on a connection that takes it. `openOn` rejects with ssh2's
   * error, or a SockhopError whose cause it is, so that a refusal can be told apart.
   */
  open<C extends ssh2.Channel>(
    openOn: (conn: NativeConnection) => Promise<C>,
  ): Promise<{ conn: NativeConnection; channel: C }>;
  /** End every connection. */
  close(): Promise<void>;
}

interface _Entry {
  readonly n: number;
  readonly ready: Promise<NativeConnection>;
  /** Channels open on it, or being opened. */
  busy: number;
  /** How many channels it takes at once, once it has refused one. */
  limit: number;
}

/** `first`: a connection already made, used before any other. */
export function connectionPool(
  route: NativeRoute,
  logger: Logger,
  first?: NativeConnection,
): ConnectionPool {
  const entries: _Entry[] = [];
  let serial = 0;
  const remove = (entry: _Entry) => {
    const i = entries.indexOf(entry);
    if (i >= 0) entries.splice(i, 1);
  };
  const add = (made?: NativeConnection): _Entry => {
    const entry: _Entry = {
      n: ++serial,
      ready: made ? Promise.resolve(made) : connectNative(route, logger),
      busy: 0,
      limit: Infinity,
    };
    entries.push(entry);
    entry.ready.then((c) => {
      c.closed.then((err) => {
        remove(entry);
        logger.debug(
          "ssh",
          `connection ${entry.n} to ${c.config.hostName} closed${err ? `: ${err.message}` : ""}`,
        );
      });
    }, () => remove(entry));
    return entry;
  };
  if (first) add(first);
  return {
    async open(openOn) {
      for (;;) {
        const entry = entries.find((e) => e.busy < e.limit) ?? add();
        const conn = await entry.ready;
        entry.busy++;
        try {
          const channel = await openOn(conn);
          channel.once("close", () => {
            entry.busy--;
            // A connection opened for a capped server goes when its last channel does.
            if (entry.busy === 0 && entries.indexOf(entry) > 0) {
              remove(entry);
              conn.close();
            }
          });
          return { conn, channel };
        } catch (err) {
          entry.busy--;
          const reason = _refusal(err);
          if (reason === undefined || entry.busy === 0) throw err;
          entry.limit = entry.busy;
          logger.debug(
            "ssh",
            `connection ${entry.n} refused a channel with ${entry.busy} open (${reason}): ` +
              `the server caps channels per connection, using another connection`,
          );
        }
      }
    },
    async close() {
      for (const entry of entries.splice(0)) {
        (await entry.ready.catch(() => undefined))?.close();
      }
    },
  };
}

/** The server's words when `err` is a refused channel open (CHANNEL_OPEN_FAILURE). */
function _refusal(err: unknown): string | undefined {
  const e = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const reason = (e as { reason?: unknown }).reason;
  return typeof reason === "number" ? (e as Error).message : undefined;
}
