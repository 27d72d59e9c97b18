/** A session on this host as a Transport: no SSH, a direct socket connection. */

import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { connectSessionFramed, endMessage } from "./session_frames.ts";
import { openSession, type SessionDirs } from "./sessions.ts";
import type { Connection, Connector, Transport } from "./transport.ts";
import { checkSession } from "./proxy_mux.ts";

export function localTransport(dirs: SessionDirs, name: string, logger: Logger): Transport {
  return {
    async open() {
      const { path, conn } = await openSession(dirs, name, connectSessionFramed);
      logger.debug("connect", `session ${name} at ${path}${conn.status ? " (with status)" : ""}`);
      return {
        stream: conn,
        async finish(aborted) {
          if (aborted || !conn.status) return 0;
          const end = await conn.status;
          logger.debug("connect", `session ${name} ended: ${JSON.stringify(end)}`);
          const message = endMessage(end);
          if (message) throw new SockhopError(message, "session-ended");
          return 0;
        },
      };
    },
    close: () => Promise.resolve(),
  };
}

/** forward to a session on this host: the check at start, then a socket per stream. */
export function localConnector(dirs: SessionDirs, name: string, logger: Logger): Connector {
  return {
    async connect(): Promise<Connection> {
      await checkSession(dirs, name);
      const transport = localTransport(dirs, name, logger);
      return { open: transport.open, lost: new Promise<Error>(() => {}), close: transport.close };
    },
  };
}
