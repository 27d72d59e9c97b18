/**
 * Running a sockhop command on the remote host (`_start`, `_stop`) through a route's
 * transport, as `connect` runs `_proxy`: the same snippet, marker and backends. Its output is
 * a few lines of text, returned whole; its failure is thrown as the transport reports it.
 */

import { transportFor } from "./connect.ts";
import type { Logger } from "./logger.ts";
import type { Route } from "./route.ts";
import { safeText } from "./safe_text.ts";
import type { SessionDirs } from "./sessions.ts";

/** The most output kept from a remote lifecycle command. */
const OUTPUT_MAX = 64 * 1024;

/**
 * Run the route's remote command with no input; `output` is what it printed (made safe to
 * show), `error` how it failed, if it did (after printing that output).
 */
export async function runRemote(
  route: Route,
  dirs: SessionDirs,
  logger: Logger,
): Promise<{ output: string; error?: unknown }> {
  const transport = await transportFor(route, dirs, logger);
  let text = "";
  try {
    const { stream, finish } = await transport.open();
    await stream.closeWrite();
    const decoder = new TextDecoder();
    for await (const chunk of stream.readable) {
      if (text.length < OUTPUT_MAX) text += decoder.decode(chunk, { stream: true });
    }
    const output = safeText(text.slice(0, OUTPUT_MAX));
    try {
      await finish(false);
    } catch (error) {
      return { output, error };
    }
    return { output };
  } finally {
    await transport.close();
  }
}
