/** `sockhop connect`: the session as a byte stream on stdin/stdout, locally or over SSH. */

import { SockhopError } from "./errors.ts";
import { untilAborted } from "./until_aborted.ts";
import type { Logger } from "./logger.ts";
import { type MarkerResult, readMarker } from "./marker.ts";
import { remoteFailure } from "./remote_failure.ts";
import { relay, type RelayResult } from "./relay.ts";
import type { SessionStream, Transport } from "./transport.ts";
import { fromNodeStreams, fromStdio, nodeChunks, withPrefix } from "./streams.ts";
import {
  buildSshInvocation,
  type SshDestination,
  sshpassMessage,
  type SshProcess,
  startSsh,
} from "./openssh.ts";

/** How to reach a session over a program backend. */
export interface ProgramRoute {
  readonly flavor: "openssh" | "plink";
  readonly words: readonly string[];
  readonly dest: SshDestination;
  readonly remoteCommand: string;
  readonly exitSsh: boolean;
  readonly interactive: boolean;
}

/** A stream to the session through an ssh/plink process, after the marker line. */
export interface ProgramStream extends SessionStream {
  readonly ssh: SshProcess;
}

/** The program backend as a Transport: one ssh/plink process per stream. */
export function programTransport(route: ProgramRoute, logger: Logger): Transport {
  const started = new Set<SshProcess>();
  return {
    async open() {
      return await openProgramStream(route, logger, (ssh) => {
        started.add(ssh);
        ssh.exited.then(() => started.delete(ssh));
      });
    },
    close() {
      // Interrupted while connecting: no ssh is left behind (unless --exit-ssh=no).
      for (const ssh of started) {
        if (route.exitSsh) ssh.kill();
        else ssh.release();
      }
      return Promise.resolve();
    },
  };
}

/** Relay stdin/stdout through any transport's stream. */
export async function connectTransport(
  transport: Transport,
  logger: Logger,
  signal?: AbortSignal,
): Promise<RelayResult> {
  try {
    const { stream, finish } = await untilAborted(transport.open(), signal);
    const t0 = performance.now();
    const result = await relay(fromStdio(), stream, signal ? { signal } : {});
    const seconds = (performance.now() - t0) / 1000;
    logger.debug(
      "ssh",
      `${result.aToB} bytes sent, ${result.bToA} bytes received in ${seconds.toFixed(2)} s`,
    );
    if (result.failed === "a") {
      // stdout is a closed pipe (its reader ended): as ssh does, the session ends with it.
      await finish(true);
      throw new SockhopError(
        `Output closed (${result.error?.message}): the program reading sockhop's output ended, the session was ended with it`,
        "output-closed",
        { cause: result.error },
      );
    }
    const status = await finish((signal?.aborted ?? false) || result.error !== undefined);
    if (!result.error && status !== 0) {
      throw new SockhopError(`The remote side ended with status ${status}`, "remote-failed");
    }
    return _finish(result);
  } finally {
    await transport.close();
  }
}

/** Start ssh, wait for the marker, and return the session stream. */
export async function openProgramStream(
  route: ProgramRoute,
  logger: Logger,
  onStarted: (ssh: SshProcess) => void = () => {},
): Promise<ProgramStream> {
  const inv = buildSshInvocation(route);
  const ssh = await startSsh(inv, !route.exitSsh, logger);
  onStarted(ssh);
  const chunks = nodeChunks(ssh.child.stdout);
  const marker = await readMarker(chunks);
  if (marker.noise.length) {
    logger.debug("ssh", `discarded ${marker.noise.length} bytes before the marker:`);
    logger.debug("ssh", new TextDecoder().decode(marker.noise).trimEnd());
  }
  if (marker.kind !== "ok") {
    ssh.child.stdin.destroy();
    const { status } = await _exitWithin(ssh, 5000);
    throw _failure(route, ssh, status, marker);
  }
  logger.debug("ssh", "marker received, relaying");
  const base = fromNodeStreams(ssh.child.stdout, ssh.child.stdin, () => {
    ssh.child.stdin.destroy();
    ssh.child.stdout.destroy();
  });
  return {
    // ssh ends when the remote command does: so does the stream, stdin open or not.
    stream: { ...withPrefix(base, marker.rest, chunks), ended: ssh.exited.then(() => {}) },
    ssh,
    async finish(aborted) {
      if (!route.exitSsh) {
        ssh.release();
        return 0;
      }
      const { status, killed } = await _exitWithin(ssh, aborted ? 0 : 3000);
      if (killed || aborted) {
        // The session itself ended well; what kept ssh was something else (a ControlMaster
        // serving other sessions): --exit-ssh=yes ends it, and that is no remote failure.
        if (!aborted) {
          logger.debug("ssh", "ssh was still running 3 s after the session ended: ended it");
        }
        return aborted ? status : 0;
      }
      if (status !== 0) throw _endedBadly(route, ssh, status);
      return 0;
    },
  };
}

/** ssh ended with a non-zero status after the marker: say what ended, as well as it is known. */
function _endedBadly(route: ProgramRoute, ssh: SshProcess, status: number): SockhopError {
  const program = route.words[0] ?? "ssh";
  const signal = ssh.signal();
  if (signal) {
    return new SockhopError(
      `${program} was killed by ${signal}: the session's output may be incomplete`,
      "ssh-killed",
    );
  }
  const last = ssh.stderrTail().at(-1);
  // The remote _proxy's last word: how the session ended there.
  if (last?.startsWith("sockhop: ")) {
    return new SockhopError(`Remote: ${last.slice("sockhop: ".length)}`, "remote-failed");
  }
  if (route.flavor === "openssh" && status === 255) {
    return new SockhopError(
      `${program} failed (exit 255)${
        last ? `: ${last}` : ""
      }: the session's output may be incomplete; run with --debug=ssh to see all it said`,
      "ssh-failed",
    );
  }
  return new SockhopError(
    `The remote side ended with status ${status}${last ? `: ${last}` : ""}`,
    "remote-failed",
  );
}

function _finish(result: RelayResult): RelayResult {
  if (result.error && result.error.message !== "Relay aborted") {
    throw new SockhopError(`Connection failed: ${result.error.message}`, "relay", {
      cause: result.error,
    });
  }
  return result;
}

/** The exit status, killing ssh if it has not ended within `ms`. */
async function _exitWithin(
  ssh: SshProcess,
  ms: number,
): Promise<{ status: number; killed: boolean }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms));
  const first = await Promise.race([ssh.exited, timeout]);
  clearTimeout(timer);
  if (first === "timeout") ssh.kill();
  return { status: await ssh.exited, killed: first === "timeout" };
}

function _tailText(ssh: SshProcess): string {
  const last = ssh.stderrTail().at(-1);
  return last ? `: ${last}` : "";
}

function _failure(
  route: ProgramRoute,
  ssh: SshProcess,
  status: number,
  marker: Exclude<MarkerResult, { kind: "ok" }>,
): SockhopError {
  const program = route.words[0] ?? "ssh";
  const sshpass = ssh.child.spawnargs[0] === "sshpass" ? sshpassMessage(status) : undefined;
  if (marker.kind !== "err" && sshpass) return new SockhopError(sshpass, "ssh-failed");
  if (marker.kind !== "err" && (status === 255 || (route.flavor === "plink" && status === 1))) {
    return new SockhopError(
      `${program} failed (exit ${status})${
        _tailText(ssh)
      }; run with --debug=ssh to see all it said`,
      "ssh-failed",
    );
  }
  return remoteFailure(marker, status, ssh.stderrTail().at(-1), route.dest.host);
}
