/**
 * `sockhop ssh`: OpenSSH's command line on the built-in client, for git, rsync, scp, sftp,
 * xpra and Ansible on hosts with no ssh. Exits as ssh does: the remote's status, 255 for
 * sockhop's own failures (usage included), never 1 or 2.
 */

import { OPTSTRING, parseSshArgv, SSH_USAGE, SshArgvError } from "./ssh_argv.ts";
import { SshExit, sshInvocation, type SshItem } from "../lib/ssh_cli_options.ts";
import { VERSION } from "../lib/version.ts";
import { SockhopError, UsageError } from "../lib/errors.ts";
import { safeText } from "../lib/safe_text.ts";
import { help, out } from "./common.ts";

/** The option letters, for completion and the man page (ssh's grammar, not parseArgs'). */
export const SSH_LETTERS: string = OPTSTRING.replaceAll(":", "");

export async function cmdSsh(args: string[]): Promise<number> {
  if (args[0] === "--help") return help("ssh");
  try {
    return await _run(args);
  } catch (err) {
    if (err instanceof SshExit) return _early(err);
    if (err instanceof SockhopError || err instanceof UsageError) {
      _err(`sockhop ssh: ${safeText(err.message, 2000, true)}\n`);
      return 255;
    }
    throw err;
  }
}

async function _run(args: string[]): Promise<number> {
  const { items, command } = _items(args);
  const inv = sshInvocation(items, command, {
    version: `sockhop_${VERSION} (OpenSSH-compatible client)`,
  });
  const { resolveInvocation, printedConfig, runSsh } = await import("../lib/ssh_client.ts");
  const resolved = resolveInvocation(inv);
  for (const w of resolved.warnings) _err(`Warning: ${w}\n`);
  if (inv.configTest) {
    out(printedConfig(inv, resolved.config));
    return 0;
  }
  const controller = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const onSignal = () => controller.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await runSsh(inv, resolved, controller.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/** The parsed words; a grammar error becomes an item, so that -V or -Q before it still counts. */
function _items(args: string[]): { items: SshItem[]; command: readonly string[] } {
  try {
    const argv = parseSshArgv(args);
    return { items: [...argv.items], command: argv.command };
  } catch (err) {
    if (!(err instanceof SshArgvError)) throw err;
    return { items: [...err.items, { error: err.message }], command: [] };
  }
}

function _early(e: SshExit): number {
  const x = e.exit;
  if (x.kind === "print") {
    if (x.stdout) out(x.stdout);
    if (x.stderr) _err(x.stderr);
    return 0;
  }
  if (x.kind === "fatal") {
    _err(`${safeText(x.message, 2000, true)}\n`);
    return 255;
  }
  if (x.message) _err(`sockhop ssh: ${x.message}\n`);
  _err(`${SSH_USAGE}\n`);
  return 255;
}

function _err(text: string) {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}
