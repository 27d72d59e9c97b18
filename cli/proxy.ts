/** `sockhop _proxy`: run by the remote end of every connection. */

import { UsageError } from "../lib/errors.ts";
import { runProxy } from "../lib/proxy.ts";
import { runProxyMux } from "../lib/proxy_mux.ts";
import { endExitCode, endMessage } from "../lib/session_frames.ts";
import { help, parseCommand, setup } from "./common.ts";

export const PROXY_OPTIONS = {
  mux: { type: "boolean" },
} as const;

export async function cmdProxy(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("_proxy", args, PROXY_OPTIONS);
  if (values.help) return help("_proxy");
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[1])}`, "_proxy");
  }
  const { logger, dirs } = setup(values);
  const name = positionals[0] ?? "";
  if (values.mux) {
    await runProxyMux(dirs, name, logger);
    return 0;
  }
  const end = await runProxy(dirs, name, logger);
  // The session's own status, as ssh carries a command's: the line on stderr says what it
  // was, for the client to show.
  const message = endMessage(end);
  if (message) logger.info(message);
  return endExitCode(end);
}
