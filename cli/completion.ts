/** `sockhop completion SHELL` and `sockhop man`: made from the flag tables, never written by hand. */

import { UsageError } from "../lib/errors.ts";
import { completionScript, type Shell, SHELLS } from "../lib/completion.ts";
import { manPage } from "../lib/man_page.ts";
import { HELP } from "../lib/usage.ts";
import { VERSION } from "../lib/version.ts";
import { help, out, parseCommand } from "./common.ts";
import { commandSpecs } from "./command_specs.ts";

export const COMPLETION_OPTIONS = {} as const;
export const MAN_OPTIONS = {} as const;

export async function cmdCompletion(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("completion", args, COMPLETION_OPTIONS);
  if (values.help) return help("completion");
  const [shell, ...extra] = positionals;
  if (!SHELLS.includes(shell as Shell) || extra.length) {
    throw new UsageError(
      `${shell === undefined ? "Missing SHELL" : `Unknown shell ${JSON.stringify(shell)}`}: give ${
        SHELLS.join(", ")
      }`,
      "completion",
    );
  }
  out(completionScript(shell as Shell, await commandSpecs()));
  return 0;
}

export async function cmdMan(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("man", args, MAN_OPTIONS);
  if (values.help) return help("man");
  if (positionals.length) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[0])}`, "man");
  }
  out(manPage(await commandSpecs(), HELP, VERSION));
  return 0;
}
