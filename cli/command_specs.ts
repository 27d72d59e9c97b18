/**
 * Each command's flags, from the table it parses with and the help text it prints: what
 * completion scripts and the man page are made of, and what the test that keeps `--help` in
 * step with the parser reads.
 */

import { COMMON_OPTIONS } from "./common.ts";
import { COMMANDS, type OptionTable, publicCommands } from "./commands.ts";
import { HELP } from "../lib/usage.ts";
import { helpEntries, type HelpEntry } from "../lib/help_entries.ts";
import type { CommandSpec, FlagSpec } from "../lib/completion.ts";

export async function commandSpecs(): Promise<CommandSpec[]> {
  const summaries = _summaries(HELP.main!);
  const specs: CommandSpec[] = [];
  for (const name of publicCommands()) {
    const { options = {}, letters } = await COMMANDS[name]!();
    const entries = helpEntries(HELP[name] ?? "");
    const flags: FlagSpec[] = [];
    if (letters !== undefined) {
      // Its own grammar: the flags are its help lines, as written.
      for (const e of entries) flags.push(_flag([...e.flags], e.value !== undefined, e));
      specs.push({ name, summary: summaries.get(name) ?? "", flags });
      continue;
    }
    for (const [long, option] of Object.entries({ ...COMMON_OPTIONS, ...options } as OptionTable)) {
      const spellings = [`--${long}`, ...(option.short ? [`-${option.short}`] : [])];
      const entry = entries.find((e) => e.flags.some((f) => spellings.includes(f)));
      flags.push(_flag(spellings, option.type === "string", entry));
    }
    specs.push({ name, summary: summaries.get(name) ?? "", flags });
  }
  return specs;
}

/** A flag as its help line shows it; a spelling the help never shows is still accepted. */
function _flag(spellings: string[], takesValue: boolean, entry: HelpEntry | undefined): FlagSpec {
  const shown = spellings.filter((s) => entry?.flags.includes(s));
  return {
    names: shown.length ? shown : spellings.slice(0, 1),
    ...(takesValue ? { value: entry?.value ?? "VALUE" } : {}),
    description: entry?.description ?? "",
  };
}

/** "  sockhop serve NAME TARGET    publish TARGET as session NAME": the first line per command. */
function _summaries(main: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of main.matchAll(/^ {2}sockhop ([\w-]+)\b.*? {2,}(\S.*)$/gm)) {
    if (!map.has(m[1]!)) map.set(m[1]!, m[2]!);
  }
  return map;
}
