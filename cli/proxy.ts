/** `sockhop _proxy`: run by the remote end of every connection. */

import { UsageError } from "../lib/errors.ts";
import { runProxy } from "../lib/proxy.ts";
import { help, parseCommand, setup } from "./common.ts";

export async function cmdProxy(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("_proxy", args, {});
  if (values.help) return help("_proxy");
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[1])}`, "_proxy");
  }
  const { logger, dirs } = setup(values);
  await runProxy(dirs, positionals[0] ?? "", logger);
  return 0;
}
