/**
 * One session channel of `sockhop ssh`: a command, a login shell or a subsystem, with an
 * optional pty and environment, relayed to this process's stdio as ssh does: binary-clean,
 * stdin's EOF sent as the channel's EOF, remote stderr on stderr. The result is the remote's
 * exit status, or undefined when it sent none (killed by a signal, or the channel just closed:
 * ssh 9.2 then exits 255).
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import type { Readable } from "node:stream";
import { SockhopError } from "./errors.ts";
import { keepUntilClosed } from "./ssh2_channel.ts";
import { type Duplex, relay } from "./relay.ts";
import { fromNodeStreams, fromStdio } from "./streams.ts";
import type { SshLog } from "./ssh_log.ts";
import { type PtyRequest, rawTerminal, watchWindow } from "./ssh_tty.ts";
import { escapeFilter } from "./ssh_escape.ts";

export interface SessionPlan {
  readonly kind: "exec" | "shell" | "subsystem";
  /** The command (exec) or the subsystem's name. */
  readonly command: string;
  readonly pty?: PtyRequest;
  readonly env: Readonly<Record<string, string>>;
  /** -n: stdin is not read. */
  readonly stdinNull: boolean;
  /** The escape character (`~`) of a pty session; none when undefined. */
  readonly escape?: number;
}

export interface SessionEnd {
  /** The remote's exit status; undefined when it sent none. */
  readonly status?: number;
  /** The signal that killed the remote command, if it said so. */
  readonly signal?: string;
}

/** Run the session to its end; aborting `signal` closes it. */
export async function runSession(
  client: ssh2.Client,
  plan: SessionPlan,
  log: SshLog,
  signal: AbortSignal,
): Promise<SessionEnd> {
  const { channel, end, closed } = await _open(client, plan, log);
  const raw = plan.pty ? rawTerminal() : undefined;
  log.setRaw(raw !== undefined && Deno.stdin.isTerminal());
  const unwatch = plan.pty
    ? watchWindow((rows, cols) => channel.setWindow(rows, cols, 0, 0))
    : () => {};
  try {
    const errDone = _copyStderr(channel.stderr);
    // The relay does not close the channel when both directions are done: the server
    // sends the exit status after its EOF, and a close of ours in between loses it (the
    // status would then be 255). Only a failure or an abort closes it from here.
    const remote: Duplex = { ...fromNodeStreams(channel, channel, () => {}), ended: closed };
    // Ended by a signal, or by ~. typed on the terminal.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const local = _stdio(plan.stdinNull, plan.pty ? plan.escape : undefined, () => stop.abort());
    const result = await relay(local, remote, { signal: stop.signal });
    signal.removeEventListener("abort", onAbort);
    if (result.error || stop.signal.aborted) {
      // Nobody reads the channel any more (stdout gone, or ended here): what it still holds
      // is dropped, or its end, and so its close, never comes (`cmd | head -1` hung).
      channel.close();
      channel.resume();
    }
    // Ended here (a signal, ~.): nothing more is waited for, as ssh does not.
    if (!stop.signal.aborted) {
      await Promise.race([closed, _aborted(signal)]);
      await Promise.race([errDone, _aborted(signal)]);
    }
  } finally {
    unwatch();
    raw?.restore();
    log.setRaw(false);
  }
  return end();
}

interface _Opened {
  readonly channel: ssh2.ClientChannel;
  readonly end: () => SessionEnd;
  readonly closed: Promise<void>;
}

/**
 * Open the channel and listen for its end at once, in ssh2's callback: the exit status can
 * come in the same read as the server's reply to the request, before an awaiting caller
 * would be back to listen (ssh2 emits it once, to whoever listens then).
 */
function _open(client: ssh2.Client, plan: SessionPlan, log: SshLog): Promise<_Opened> {
  const opts = {
    env: plan.env,
    ...(plan.pty ? { pty: { ...plan.pty } } : {}),
  };
  for (const [k, v] of Object.entries(plan.env)) log.debugN(1, `channel 0: setenv ${k}=${v}`);
  if (plan.pty) log.debugN(1, `pty request: ${plan.pty.term} ${plan.pty.cols}x${plan.pty.rows}`);
  return new Promise((resolve, reject) => {
    const done = (what: string) => (err: Error | undefined, channel: ssh2.ClientChannel) => {
      if (err) {
        reject(new SockhopError(`The server refused the ${what}: ${err.message}`, "ssh-failed"));
        return;
      }
      keepUntilClosed(channel);
      let end: SessionEnd = {};
      channel.on("exit", (code: number | null, sig?: string) => {
        end = code !== null && code !== undefined ? { status: code } : { signal: sig ?? "?" };
        const type = code === null ? "exit-signal" : "exit-status";
        log.debugN(1, `client_input_channel_req: channel 0 rtype ${type} reply 0`);
      });
      const closed = new Promise<void>((r) => channel.once("close", () => r()));
      resolve({ channel, end: () => end, closed });
    };
    if (plan.kind === "exec") {
      log.debugN(1, `Sending command: ${plan.command}`);
      client.exec(plan.command, opts, done("command"));
    } else if (plan.kind === "subsystem") {
      log.debugN(1, `Sending subsystem: ${plan.command}`);
      client.subsys(plan.command, done(`subsystem ${plan.command}`));
    } else {
      client.shell(plan.pty ? { ...plan.pty } : false, { env: plan.env }, done("shell"));
    }
  });
}

/** stdin and stdout; with -n, stdin is not read at all (EOF at once, as /dev/null). */
/**
 * stdin and stdout; with -n, stdin is not read at all (EOF at once, as /dev/null); with an
 * escape character (a pty session), `~.` calls `disconnect`.
 */
function _stdio(stdinNull: boolean, escape: number | undefined, disconnect: () => void): Duplex {
  const io = fromStdio();
  if (stdinNull) return { ...io, readable: (async function* () {})() };
  if (escape === undefined) return io;
  const filter = escapeFilter(escape);
  async function* filtered() {
    for await (const chunk of io.readable) {
      const { data, disconnect: end } = filter(chunk);
      if (data.length) yield data;
      if (end) {
        disconnect();
        return;
      }
    }
  }
  return { ...io, readable: filtered() };
}

/** The remote's stderr on ours, as it comes. */
async function _copyStderr(stderr: Readable): Promise<void> {
  for await (const chunk of stderr.iterator({ destroyOnReturn: false })) {
    const bytes = chunk instanceof Uint8Array ? chunk : new TextEncoder().encode(String(chunk));
    try {
      let off = 0;
      while (off < bytes.length) off += await Deno.stderr.write(bytes.subarray(off));
    } catch {
      // Nobody reads our stderr any more: the rest is dropped, as ssh does.
    }
  }
}

function _aborted(signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) r();
    signal.addEventListener("abort", () => r(), { once: true });
  });
}
