/** `sockhop _proxy NAME`: the remote end of a connection, run by ssh for each client. */

import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { markAfter } from "./marker.ts";
import { relay } from "./relay.ts";
import { connectSessionFramed, type SessionEnd } from "./session_frames.ts";
import { openSession, type SessionDirs } from "./sessions.ts";
import { fromStdio } from "./streams.ts";

/** How often the relay looks whether the process that ran `_proxy` is still its parent. */
const PARENT_CHECK_MS = 1000;

/**
 * Reach the session, print the marker line, relay stdin/stdout, and return how the session
 * ended (the caller exits with its status, so ssh carries it). On failure to reach it, the
 * ERR marker is printed and the error thrown, so the exit code is non-zero.
 */
export async function runProxy(
  dirs: SessionDirs,
  name: string,
  logger: Logger,
): Promise<SessionEnd> {
  const session = await markAfter(async () => {
    const opened = await openSession(dirs, name, connectSessionFramed);
    logger.debug("proxy", `session ${name} at ${opened.path}`);
    return opened.conn;
  });
  // sshd closes a connection's pipes when the connection goes, but after stdin's EOF a
  // session that says nothing never learns it: the process that ran us gone (we are handed to
  // another parent) ends the relay, and with it the session's command.
  const orphaned = new AbortController();
  const parent = Deno.ppid;
  const watch = setInterval(() => {
    if (Deno.ppid !== parent) orphaned.abort();
  }, PARENT_CHECK_MS);
  const result = await relay(fromStdio(), session, { signal: orphaned.signal });
  clearInterval(watch);
  if (orphaned.signal.aborted) {
    throw new SockhopError(
      "The ssh connection ended (the process that ran sockhop _proxy is gone)",
      "relay",
    );
  }
  logger.debug("proxy", `relay ended: ${result.aToB} bytes in, ${result.bToA} bytes out`);
  if (result.error) {
    throw new SockhopError(
      result.failed === "a"
        ? `The client went away: ${result.error.message}`
        : `Relay failed: ${result.error.message}`,
      "relay",
    );
  }
  return session.status ? await session.status : { exit: 0 };
}
