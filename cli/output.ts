/** What a command writes on stdout: its help, and text made safe. No node: module needed. */

import { HELP } from "../lib/usage.ts";
import { safeText } from "../lib/safe_text.ts";

export function help(command: string): number {
  out(HELP[command]! + "\n");
  return 0;
}

/**
 * Text on stdout (help, list, --print-config, -G): what it shows may come from a file or a peer
 * (a session name, a config value), so it is made safe where it is written, as the logger and
 * the prompter make theirs.
 */
export function out(text: string) {
  const bytes = new TextEncoder().encode(safeText(text));
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}
