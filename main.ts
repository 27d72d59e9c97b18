/**
 * sockhop's command line: dispatches to a subcommand (cli/), and is the only place that prints
 * errors and sets the exit status.
 */

import { SockhopError, UsageError } from "./lib/errors.ts";
import { HELP } from "./lib/usage.ts";
import { VERSION } from "./lib/version.ts";
import { safeText } from "./lib/safe_text.ts";
import { closest } from "./lib/suggest.ts";
import { help, out } from "./cli/output.ts";
import { COMMANDS, publicCommands } from "./cli/commands.ts";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help") return help("main");
  if (command === "--version" || command === "-V" || command === "version") {
    out(`sockhop ${VERSION}\n`);
    return 0;
  }
  if (command === "help") return help(HELP[rest[0] ?? "main"] ? rest[0] ?? "main" : "main");
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) {
    const names = publicCommands();
    const near = closest(command, names);
    throw new UsageError(
      `Unknown command ${JSON.stringify(command)}: ${
        near ? `did you mean ${near}? ` : ""
      }the commands are ${names.join(", ")}`,
    );
  }
  return await (await load()).run(rest);
}

/** The most an error line shows: what it quotes may come from a remote host or a file. */
const ERROR_MAX = 2000;

/** One error line, with nothing in it that a terminal would act on. */
function _say(text: string) {
  console.error(`sockhop: ${safeText(text, ERROR_MAX, true)}`);
}

if (import.meta.main) {
  let status: number;
  try {
    status = await main(Deno.args);
  } catch (err) {
    if (err instanceof UsageError) {
      _say(err.message);
      console.error(`Run 'sockhop ${err.command ? `${err.command} ` : ""}--help' for usage.`);
      status = 2;
    } else if (err instanceof SockhopError) {
      _say(err.message);
      status = 1;
    } else {
      // The stack keeps its lines: it is for a bug report.
      console.error(
        `sockhop: internal error: ${
          safeText(err instanceof Error ? err.stack ?? err.message : String(err), ERROR_MAX * 4)
        }`,
      );
      status = 1;
    }
  }
  Deno.exit(status);
}
