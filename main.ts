/**
 * sockhop's command line: dispatches to a subcommand (cli/), and is the only place that prints
 * errors and sets the exit status.
 */

import { SockhopError, UsageError } from "./lib/errors.ts";
import { HELP, VERSION } from "./lib/usage.ts";
import { help, out } from "./cli/common.ts";
import { cmdServe } from "./cli/serve.ts";
import { cmdList } from "./cli/list.ts";
import { cmdConnect } from "./cli/connect.ts";
import { cmdProxy } from "./cli/proxy.ts";
import { cmdForward } from "./cli/forward.ts";
import { cmdPasswd } from "./cli/passwd.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: cmdServe,
  list: cmdList,
  connect: cmdConnect,
  forward: cmdForward,
  passwd: cmdPasswd,
  _proxy: cmdProxy,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help") return help("main");
  if (command === "--version" || command === "version") {
    out(`sockhop ${VERSION}\n`);
    return 0;
  }
  if (command === "help") return help(HELP[rest[0] ?? "main"] ? rest[0] ?? "main" : "main");
  const run = COMMANDS[command];
  if (!run) {
    throw new UsageError(
      `Unknown command ${JSON.stringify(command)}: use serve, list, connect or forward`,
    );
  }
  return await run(rest);
}

if (import.meta.main) {
  let status: number;
  try {
    status = await main(Deno.args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sockhop: ${err.message}`);
      console.error(`Run 'sockhop ${err.command ? `${err.command} ` : ""}--help' for usage.`);
      status = 2;
    } else if (err instanceof SockhopError) {
      console.error(`sockhop: ${err.message}`);
      status = 1;
    } else {
      console.error(`sockhop: internal error: ${err instanceof Error ? err.stack : String(err)}`);
      status = 1;
    }
  }
  Deno.exit(status);
}
