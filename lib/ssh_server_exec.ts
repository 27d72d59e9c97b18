/**
 * The only commands the built-in server runs, each emulated in-process: `sockhop _proxy NAME`,
 * sockhop's own `sh -c` snippet, xpra's `_proxy` command lines (bare or in xpra's snippets),
 * and the `which` probes xpra's paramiko client sends first. Anything else is refused.
 */

import { REMOTE_NAME } from "./session_name.ts";
import { splitShellWords } from "./shell_words.ts";

export interface ProxyRequest {
  /** The session or display asked for ("" for "the only live one"). */
  readonly name: string;
  /** sockhop's clients expect the marker line; xpra's expect the raw stream. */
  readonly kind: "sockhop" | "xpra";
  /** `_proxy --mux`: forward's many streams over the one channel (lib/proxy_mux.ts). */
  readonly mux?: boolean;
}

/** What an exec request asks for, or undefined if it is not one of ours. */
export function parseExecCommand(command: string): ProxyRequest | undefined {
  const cmd = command.trim();
  if (cmd.length > 8192) return undefined;
  // Our own snippet: sh -c '... exec CANDIDATE _proxy NAME ...' with the marker in its else.
  if (/^sh -c /.test(cmd) && cmd.includes("SOCKHOP/1 ERR")) {
    const m = new RegExp(String.raw`exec \S+(?: [^;]*?)? _proxy( --mux)?(?: (${REMOTE_NAME}))?;`)
      .exec(cmd);
    return m ? { name: m[2] ?? "", kind: "sockhop", ...(m[1] ? { mux: true } : {}) } : undefined;
  }
  // xpra's snippets: sh -c '... xpra _proxy ":100" ...' (6.x and 3.1.3 forms).
  if (/^sh -c /.test(cmd) && /run-xpra|command -v "?xpra"?|which "?xpra"?/.test(cmd)) {
    const m = new RegExp(String.raw`xpra _proxy(?:\s+"?(${REMOTE_NAME})"?)?`).exec(cmd);
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
  const program = _program(words[0]!);
  const mux = words[2] === "--mux";
  const name = words[mux ? 3 : 2] ?? "";
  if (name && !new RegExp(`^${REMOTE_NAME}$`).test(name)) return undefined;
  const rest = words.slice((name ? 3 : 2) + (mux ? 1 : 0));
  if (rest.some((w) => !w.startsWith("--"))) return undefined;
  if (/^(sockhop|sockhop\.exe|remote-sockhop)$/.test(program)) {
    return { name, kind: "sockhop", ...(mux ? { mux } : {}) };
  }
  if (_isXpra(program)) return { name: _display(name), kind: "xpra" };
  return undefined;
}

/**
 * xpra's paramiko client (3.x) runs `which CANDIDATE` for each of its remote xpra commands
 * (`$XDG_RUNTIME_DIR/xpra/run-xpra`, `xpra`, ...) and then `CANDIDATE _proxy DISPLAY` with
 * the first that exits 0; a refused probe ends its connection. For a candidate whose `_proxy`
 * this server runs, the answer a shell gives: the command on stdout, exit status 0. Returns
 * that output, or undefined for anything else.
 */
export function parseWhichProbe(command: string): string | undefined {
  let words: string[];
  try {
    words = splitShellWords(command.trim());
  } catch {
    return undefined;
  }
  if (words.length !== 2 || words[0] !== "which") return undefined;
  const candidate = words[1]!;
  if (!_isXpra(_program(candidate)) || /[\s;&|<>`]/.test(candidate)) return undefined;
  return `${candidate}\n`;
}

function _program(word: string): string {
  return word.split(/[\\/]/).pop()!.toLowerCase();
}

function _isXpra(program: string): boolean {
  return /^(xpra|xpra\.exe|run-xpra)$/.test(program);
}

function _display(name: string): string {
  return /^\d+$/.test(name) ? `:${name}` : name;
}

/** A remote `_start` or `_stop` (sockhop start/stop URL), with its arguments. */
export interface LifecycleRequest {
  readonly command: "_start" | "_stop";
  readonly args: readonly string[];
}

/**
 * `sh -c '<sockhop's snippet>' sockhop _start|_stop ARGS...` (remote_command.ts), or bare
 * `sockhop _start|_stop ARGS...`; undefined for anything else.
 */
export function parseLifecycleCommand(command: string): LifecycleRequest | undefined {
  if (command.length > 65536) return undefined;
  let words: string[];
  try {
    words = splitShellWords(command.trim());
  } catch {
    return undefined;
  }
  let rest: string[];
  if (words[0] === "sh" && words[1] === "-c") {
    const snippet = words[2] ?? "";
    if (!snippet.includes("SOCKHOP/1 ERR") || !snippet.includes('"$@"')) return undefined;
    if (words[3] !== "sockhop") return undefined;
    rest = words.slice(4);
  } else {
    if (!/^(sockhop|sockhop\.exe)$/.test(_program(words[0] ?? ""))) return undefined;
    rest = words.slice(1);
  }
  const [cmd, ...args] = rest;
  return cmd === "_start" || cmd === "_stop" ? { command: cmd, args } : undefined;
}
