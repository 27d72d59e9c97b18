/**
 * ProxyCommand for the built-in client: the command runs as ssh runs it (%h %k %n %p %r
 * expanded, its stderr on ours), and its stdin and stdout are the connection.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { Duplex as NodeDuplex } from "node:stream";
import { SockhopError } from "./errors.ts";
import { ExpandError, expandTokens } from "./ssh_config_expand.ts";
import type { SshConfig } from "./ssh_config.ts";
import type { Logger } from "./logger.ts";

/**
 * The argv ssh would run for this ProxyCommand (sshconnect.c expand_proxy_command): `$SHELL -c
 * "exec CMD"`; on Windows `cmd.exe /d /s /c "CMD"`, as Win32-OpenSSH runs it.
 */
export function proxyCommandArgv(
  cfg: SshConfig,
  env: { get(k: string): string | undefined } = Deno.env,
  os: typeof Deno.build.os = Deno.build.os,
): string[] {
  const line = _expanded(cfg);
  if (os === "windows") return [env.get("ComSpec") || "cmd.exe", "/d", "/s", "/c", `"${line}"`];
  return [env.get("SHELL") || "/bin/sh", "-c", `exec ${line}`];
}

function _expanded(cfg: SshConfig): string {
  try {
    return expandTokens(cfg.proxyCommand, {
      h: cfg.hostName,
      k: cfg.knownHosts.alias || cfg.host,
      n: cfg.host,
      p: String(cfg.port),
      r: cfg.user,
    });
  } catch (err) {
    if (!(err instanceof ExpandError)) throw err;
    throw new SockhopError(`ProxyCommand ${cfg.proxyCommand}: ${err.message}`, "ssh-failed");
  }
}

/** Start the proxy command; its stdio as a node duplex for ssh2. */
export function proxyCommandSocket(cfg: SshConfig, logger: Logger): NodeDuplex {
  const [program, ...args] = proxyCommandArgv(cfg);
  logger.debug("ssh", `Executing proxy command: ${args.at(-1)}`);
  const child = spawn(program!, args, {
    stdio: ["pipe", "pipe", "inherit"],
    // cmd.exe takes its /c line as written, quotes included.
    windowsVerbatimArguments: Deno.build.os === "windows",
  });
  return _childDuplex(child);
}

function _childDuplex(child: ChildProcess): NodeDuplex {
  const out = child.stdout!;
  const input = child.stdin!;
  const duplex: NodeDuplex = new NodeDuplex({
    allowHalfOpen: true,
    read() {
      out.resume();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      if (input.write(chunk)) callback();
      else input.once("drain", () => callback());
    },
    final(callback) {
      input.end(callback);
    },
    destroy(err, callback) {
      input.destroy();
      out.destroy();
      if (child.exitCode === null) child.kill("SIGHUP");
      callback(err);
    },
  });
  out.on("data", (chunk: Uint8Array) => {
    if (!duplex.push(chunk)) out.pause();
  });
  out.on("end", () => duplex.push(null));
  // EPIPE when the command exits before reading: the connection just ends.
  input.on("error", () => duplex.destroy());
  child.on("error", (err) => duplex.destroy(err));
  child.on("exit", () => {
    if (!out.readableEnded) return;
    duplex.destroy();
  });
  return duplex;
}
