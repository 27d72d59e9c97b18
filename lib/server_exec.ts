/**
 * The only commands the built-in server runs, each emulated in-process: `sockhop _proxy NAME`,
 * sockhop's own `sh -c` snippet, and xpra's `_proxy` command lines (bare or in xpra's
 * snippets). Anything else is refused.
 */

import { splitShellWords } from "./shell_words.ts";

export interface ProxyRequest {
  /** The session or display asked for ("" for "the only live one"). */
  readonly name: string;
  /** sockhop's clients expect the marker line; xpra's expect the raw stream. */
  readonly kind: "sockhop" | "xpra";
}

const NAME = String.raw`[A-Za-z0-9_:][A-Za-z0-9._:+@-]*`;

/** What an exec request asks for, or undefined if it is not one of ours. */
export function parseExecCommand(command: string): ProxyRequest | undefined {
  const cmd = command.trim();
  if (cmd.length > 8192) return undefined;
  // Our own snippet: sh -c '... exec CANDIDATE _proxy NAME ...' with the marker in its else.
  if (/^sh -c /.test(cmd) && cmd.includes("SOCKHOP/1 ERR")) {
    const m = new RegExp(String.raw`exec \S+(?: [^;]*?)? _proxy(?: (${NAME}))?;`).exec(cmd);
    return m ? { name: m[1] ?? "", kind: "sockhop" } : undefined;
  }
  // xpra's snippets: sh -c '... xpra _proxy ":100" ...' (6.x and 3.1.3 forms).
  if (/^sh -c /.test(cmd) && /run-xpra|command -v "?xpra"?|which "?xpra"?/.test(cmd)) {
    const m = new RegExp(String.raw`xpra _proxy(?:\s+"?(${NAME})"?)?`).exec(cmd);
    return m ? { name: _display(m[1] ?? ""), kind: "xpra" } : undefined;
  }
  let words: string[];
  try {
    words = splitShellWords(cmd);
  } catch {
    return undefined;
  }
  const at = words.indexOf("_proxy");
  if (at !== 1) return undefined;
  const program = words[0]!.split(/[\\/]/).pop()!.toLowerCase();
  const name = words[2] ?? "";
  if (name && !new RegExp(`^${NAME}$`).test(name)) return undefined;
  const rest = words.slice(name ? 3 : 2);
  if (rest.some((w) => !w.startsWith("--"))) return undefined;
  if (/^(sockhop|sockhop\.exe|remote-sockhop)$/.test(program)) return { name, kind: "sockhop" };
  if (/^(xpra|xpra\.exe|run-xpra)$/.test(program)) return { name: _display(name), kind: "xpra" };
  return undefined;
}

function _display(name: string): string {
  return /^\d+$/.test(name) ? `:${name}` : name;
}
