/**
 * `sockhop _proxy --mux NAME`: the remote end of `forward`'s one connection. It checks that
 * the session is there (the marker says so, or why not), then serves every stream the client
 * opens over stdin/stdout (lib/session_mux.ts), each as `_proxy NAME` serves its one.
 */

import type { Logger } from "./logger.ts";
import { markAfter } from "./marker.ts";
import { relay } from "./relay.ts";
import {
  connectSessionFramed,
  endMessage,
  type EndStatus,
  type SessionEnd,
} from "./session_frames.ts";
import { muxEndpoint, type MuxStream } from "./session_mux.ts";
import { openSession, probeSocket, type SessionDirs } from "./sessions.ts";
import { askSession } from "./session_status.ts";
import { fromStdio } from "./streams.ts";

/** How long a session's serve has to answer the check. */
const PROBE_MS = 2000;

/**
 * Whether the session is there to connect to; throws the SockhopError openSession would. A
 * sockhop session is asked of its serve (over its status socket, or a Windows session pipe), as
 * `list` asks: its service is never touched (no exec: command run, no client of a database).
 * Anything else (an xpra socket) is probed as `list` probes it: a connection opened and closed.
 */
export async function checkSession(dirs: SessionDirs, name: string): Promise<void> {
  await openSession(dirs, name, async (path, options) => {
    if (await askSession(path, "probe", PROBE_MS, options.key)) return path;
    if (options.key || await probeSocket(path) !== "LIVE") {
      throw new Error(`${path} is not accepting`);
    }
    return path;
  });
}

/** Check the session, then serve streams over stdin/stdout until the client's side ends. */
export async function runProxyMux(dirs: SessionDirs, name: string, logger: Logger) {
  await markAfter(() => checkSession(dirs, name));
  const stdio = fromStdio();
  await serveMux(stdio.readable, stdio.write, dirs, name, logger);
}

/**
 * Serve the streams a client opens over a carrier (stdin/stdout, the built-in server's
 * channel), after the marker, until the carrier ends.
 */
export async function serveMux(
  chunks: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  dirs: SessionDirs,
  name: string,
  logger: Logger,
): Promise<void> {
  const serving = new Set<Promise<void>>();
  const mux = muxEndpoint({
    chunks,
    write,
    onOpen(stream) {
      const p = _serve(stream, dirs, name, logger).finally(() => serving.delete(p));
      serving.add(p);
    },
  });
  const why = await mux.closed;
  logger.debug("proxy", `mux ended: ${why.message}`);
  await Promise.allSettled([...serving]);
}

async function _serve(stream: MuxStream, dirs: SessionDirs, name: string, logger: Logger) {
  let session;
  try {
    session = (await openSession(dirs, name, connectSessionFramed)).conn;
  } catch (err) {
    await stream.finish({ error: err instanceof Error ? err.message : String(err) });
    return;
  }
  await stream.accept().catch(() => {});
  const gone = new AbortController();
  stream.abandoned.then(() => gone.abort());
  const result = await relay(stream, session, { signal: gone.signal });
  logger.debug("proxy", `stream ${stream.id}: ${result.aToB} bytes in, ${result.bToA} out`);
  const end: SessionEnd = result.error
    ? { error: `Relay failed: ${result.error.message}` }
    : session.status
    ? await session.status
    : { exit: 0 };
  await stream.finish(_endStatus(end));
}

function _endStatus(end: SessionEnd): EndStatus {
  return "lost" in end ? { error: endMessage(end)! } : end;
}
