/** A session on this host as a Transport: no SSH, a direct socket connection. */

import type { Logger } from "./logger.ts";
import { connectSession } from "./session_socket.ts";
import { openSession, type SessionDirs } from "./sessions.ts";
import type { Transport } from "./transport.ts";

export function localTransport(dirs: SessionDirs, name: string, logger: Logger): Transport {
  return {
    async open() {
      const { path, conn } = await openSession(dirs, name, connectSession);
      logger.debug("connect", `session ${name} at ${path}`);
      return { stream: conn, finish: () => Promise.resolve(0) };
    },
    close: () => Promise.resolve(),
  };
}
