/**
 * `sockhop ssh`: OpenSSH's client behaviour on the built-in client. The config is resolved
 * as `ssh` resolves it (command line, files, defaults); -G prints it; otherwise one SSH
 * connection (through ProxyJump hosts or a ProxyCommand) and one session, a -W stream, or
 * nothing (-N). The exit status is the remote's, 255 for everything else, as ssh's.
 * ssh2 is loaded only when a connection is made (-G and -V never pay for it).
 */

import { SockhopError, UsageError } from "./errors.ts";
import { parseHop } from "./hop.ts";
import { formatSshConfig, type Resolved, resolveSshConfig, type SshConfig } from "./ssh_config.ts";
import { SshExit, type SshInvocation } from "./ssh_cli_options.ts";
import type { NativeHop, NativeRoute } from "./route.ts";
import { LEVEL, logWriter, type SshLog, sshLog } from "./ssh_log.ts";
import { agentSocketPath } from "./agent_path.ts";
import { sessionPlan } from "./ssh_session_plan.ts";
import { compact } from "./compact.ts";

/** What a run of sockhop ssh did: its exit status, and what -G prints. */
export type SshRun = { readonly status: number } | { readonly print: string };

/** Resolve the config for the invocation; SshExit for what ssh rejects with 255. */
export function resolveInvocation(inv: SshInvocation): Resolved {
  try {
    return resolveSshConfig(compact({
      host: inv.host,
      configFile: inv.configFile,
      commandLine: inv.settings,
      command: inv.command !== "",
      subsystem: true,
      matchExec: "run" as const,
    }));
  } catch (err) {
    if (err instanceof UsageError) throw new SshExit({ kind: "fatal", message: err.message });
    throw err;
  }
}

/** -G: the config as ssh -G prints it, after the checks ssh makes first. */
export function printedConfig(inv: SshInvocation, config: SshConfig): string {
  _checks(inv, config);
  return formatSshConfig(config);
}

function _checks(inv: SshInvocation, config: SshConfig) {
  const s = config.session;
  if (inv.command !== "" && s.remoteCommand !== undefined) {
    throw new SshExit({
      kind: "fatal",
      message: "Cannot execute command-line and remote command.",
    });
  }
}

/** Connect and run what the command line asks for; returns the exit status. */
export async function runSsh(
  inv: SshInvocation,
  resolved: Resolved,
  signal: AbortSignal,
): Promise<number> {
  const config = resolved.config;
  _checks(inv, config);
  const log = sshLog(config.session.logLevel, logWriter(inv.logFile));
  _explain(inv, resolved, log);
  const refused = config.session.unsupported[0];
  if (refused) {
    log.error(`sockhop ssh does not do ${refused}: use OpenSSH's ssh for it`);
    return 255;
  }
  if (inv.muxCommand !== undefined) {
    log.error(`No master to send -O ${inv.muxCommand} to: sockhop ssh shares no connections`);
    return 255;
  }
  const route = _route(inv, config, log);
  const { connectNative } = await import("./native_connect.ts");
  let conn;
  try {
    conn = await _abortable(connectNative(route, log), signal);
  } catch (err) {
    return _failed(err, log);
  }
  try {
    if (inv.stdioForward) {
      const { stdioForward } = await import("./ssh_stdio_forward.ts");
      await stdioForward(conn.client, inv.stdioForward, signal);
      return signal.aborted ? 255 : 0;
    }
    const plan = sessionPlan(inv, config, log);
    if (plan === undefined) {
      // -N: until the connection ends (255, as ssh) or a signal ends it (0, as ssh).
      await Promise.race([conn.closed, _whenAborted(signal)]);
      return signal.aborted ? 0 : 255;
    }
    const { runSession } = await import("./ssh_session.ts");
    const end = await runSession(conn.client, plan, log, signal);
    if (plan.pty) log.info(`Connection to ${config.hostName} closed.`);
    if (end.status === undefined) {
      log.debugN(1, `Exit status -1${end.signal ? ` (killed by ${end.signal})` : ""}`);
    }
    return signal.aborted ? 255 : end.status ?? 255;
  } catch (err) {
    return _failed(err, log);
  } finally {
    conn.close();
  }
}

/** Jump hosts as ssh's own ProxyJump does them: each with -F's config, -l and -p of its entry. */
function _route(inv: SshInvocation, config: SshConfig, log: SshLog): NativeRoute {
  const jumps = config.proxyJump.map((h) => parseHop(h, false)).map((hop): NativeHop => {
    const c = resolveSshConfig(compact({
      host: hop.host,
      user: hop.user,
      port: hop.port,
      configFile: inv.configFile,
      matchExec: "run" as const,
    })).config;
    log.debugN(1, `jump host ${c.user}@${c.hostName}:${c.port}`);
    return { ...hop, config: c, hostKey: { kind: "known-hosts" } };
  });
  const agent = config.session.forwardAgent === undefined
    ? undefined
    : agentSocketPath(config.session.forwardAgent, Deno.env);
  if (config.session.forwardAgent !== undefined && agent === undefined) {
    log.debugN(1, "ForwardAgent: no agent to forward (SSH_AUTH_SOCK is not set)");
  }
  const dest: NativeHop = {
    host: config.host,
    config,
    hostKey: { kind: "known-hosts" },
    ...(agent ? { agentForward: agent } : {}),
  };
  return { backend: "native", hops: [...jumps, dest], remoteCommand: "" };
}

/** -v lines about what was read and what is not done. */
function _explain(inv: SshInvocation, resolved: Resolved, log: SshLog) {
  if (log.level < LEVEL.DEBUG1) return;
  const s = resolved.config.session;
  for (const f of resolved.filesRead) log.debugN(1, `Reading configuration data ${f}`);
  if (s.controlMaster !== "no" || s.controlPath !== undefined) {
    log.debugN(
      1,
      `ControlMaster ${s.controlMaster}${
        s.controlPath ? `, ControlPath ${s.controlPath}` : ""
      }: no master is used, sockhop ssh opens its own connection`,
    );
  }
  for (const u of resolved.unsupported) log.debugN(2, `${u.keyword} (${u.where}): not used`);
  if (s.compression) {
    log.debugN(1, "Compression (-C): not done by the built-in client; uncompressed");
  }
  for (const g of resolved.config.nativeGaps) {
    if (!/^(ProxyCommand|ControlMaster|ControlPath|AddressFamily) /.test(g.option)) {
      log.debugN(1, `${g.option} (${g.where}): not done by the built-in client (${g.why})`);
    }
  }
  log.debugN(
    1,
    `Connecting to ${resolved.config.hostName} port ${resolved.config.port}${
      inv.stdioForward ? ` for -W ${inv.stdioForward.host}:${inv.stdioForward.port}` : ""
    }`,
  );
}

function _failed(err: unknown, log: SshLog): number {
  if (err instanceof SshExit) throw err;
  if (err instanceof SockhopError || err instanceof UsageError) {
    log.error(`sockhop ssh: ${err.message}`);
    return 255;
  }
  throw err;
}

function _whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) r();
    signal.addEventListener("abort", () => r(), { once: true });
  });
}

async function _abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = _whenAborted(signal).then(() => {
    throw new SockhopError("Interrupted", "interrupted");
  });
  return await Promise.race([p, aborted]);
}
