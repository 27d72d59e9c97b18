/**
 * sockhop's command line: dispatches to a subcommand (cli/), and is the only place that prints
 * errors and sets the exit status.
 */

import { SockhopError, UsageError } from "./lib/errors.ts";
import { HELP, VERSION } from "./lib/usage.ts";
import { help, out } from "./cli/common.ts";
/**
 * Each command's module is loaded only when it runs: `_proxy` starts for every connection and
 * a local `connect` needs no SSH, so neither pays for loading ssh2 (about 100 ms).
 */
type Command = (args: string[]) => Promise<number>;
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./cli/serve.ts")).cmdServe,
  list: async () => (await import("./cli/list.ts")).cmdList,
  connect: async () => (await import("./cli/connect.ts")).cmdConnect,
  forward: async () => (await import("./cli/forward.ts")).cmdForward,
  passwd: async () => (await import("./cli/passwd.ts")).cmdPasswd,
  _proxy: async () => (await import("./cli/proxy.ts")).cmdProxy,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help") return help("main");
  if (command === "--version" || command === "version") {
    out(`sockhop ${VERSION}\n`);
    return 0;
  }
  if (command === "help") return help(HELP[rest[0] ?? "main"] ? rest[0] ?? "main" : "main");
  const load = COMMANDS[command];
  if (!load) {
    throw new UsageError(
      `Unknown command ${JSON.stringify(command)}: use serve, list, connect or forward`,
    );
  }
  return await (await load())(rest);
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
