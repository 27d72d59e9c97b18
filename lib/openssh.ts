/**
 * The openssh backend as a Transport: one system `ssh` (or PuTTY's `plink`) process per
 * stream, started with the argv of openssh_argv.ts; the marker read, the noise discarded, and
 * when it fails, a message from its exit status and the last line it wrote.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { type ErrorCode, SockhopError } from "./errors.ts";
import type { Os } from "./platform_paths.ts";
import type { Logger } from "./logger.ts";
import { type MarkerResult, readMarker } from "./marker.ts";
import { buildSshInvocation, programNotFound, type SshInvocation } from "./openssh_argv.ts";
import { remoteFailure } from "./remote_failure.ts";
import type { ProgramRoute } from "./route.ts";
import { tailLines } from "./lines.ts";
import { decisiveCode, decisiveLine } from "./ssh_decisive_line.ts";
import { quoteShellWord } from "./shell_words.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { SessionStream, Transport } from "./transport.ts";

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
    const { status } = await exitWithin(ssh, 5000);
    throw programFailure(route, ssh, status, marker);
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
      const { status, killed } = await exitWithin(ssh, aborted ? 0 : 3000);
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
        _tailText(ssh)
      }: the session's output may be incomplete; run with --debug=ssh to see all it said`,
      "ssh-failed",
    );
  }
  return new SockhopError(
    `The remote side ended with status ${status}${last ? `: ${last}` : ""}`,
    "remote-failed",
  );
}

/** The exit status, killing ssh if it has not ended within `ms`. */
export async function exitWithin(
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
  const line = decisiveLine(ssh.stderrTail());
  return line ? `: ${line}` : "";
}

/** Why ssh gave no OK marker: its own failure, sshpass's, or the remote side's. */
export function programFailure(
  route: ProgramRoute,
  ssh: SshProcess,
  status: number,
  marker: Exclude<MarkerResult, { kind: "ok" }>,
): SockhopError {
  const program = route.words[0] ?? "ssh";
  const sshpass = ssh.child.spawnargs[0] === "sshpass" ? sshpassMessage(status) : undefined;
  if (marker.kind !== "err" && sshpass) return new SockhopError(sshpass.message, sshpass.code);
  if (marker.kind !== "err" && (status === 255 || (route.flavor === "plink" && status === 1))) {
    return new SockhopError(
      `${program} failed (exit ${status})${
        _tailText(ssh)
      }; run with --debug=ssh to see all it said`,
      decisiveCode(ssh.stderrTail()) ?? "ssh-failed",
    );
  }
  return remoteFailure(marker, status, ssh.stderrTail().at(-1), route.dest.host);
}

/** A started ssh process with its stderr kept for error messages. */
export interface SshProcess {
  readonly child: ChildProcess & {
    stdin: NonNullable<ChildProcess["stdin"]>;
    stdout: NonNullable<ChildProcess["stdout"]>;
  };
  /** Resolves with the exit status (or 128+signal). */
  readonly exited: Promise<number>;
  /** The signal that ended it, unless sockhop sent it (kill). */
  signal(): string | undefined;
  /** The last lines ssh (and the remote command) wrote to stderr. */
  stderrTail(): string[];
  /** End the process (SIGTERM) and remove temp files. */
  kill(): void;
  /** Close our pipes to it only; it keeps running (--exit-ssh=no). */
  release(): void;
}

/**
 * Spawn ssh. Throws a SockhopError naming the fix when the program cannot be started. `keep`
 * (--exit-ssh=no): it may outlive sockhop.
 */
export function startSsh(
  inv: SshInvocation,
  keep: boolean,
  logger: Logger,
): Promise<SshProcess> {
  const [program, ...args] = inv.argv;
  logger.debug("ssh", `running: ${inv.argv.map(quoteShellWord).join(" ")}`);
  const child = spawn(program!, args, {
    stdio: ["pipe", "pipe", "pipe"],
    detached: detachedSpawn(keep),
    env: { ...Deno.env.toObject(), ...inv.env },
  });
  const stderrTail = tailLines(child.stderr!, (line) => logger.debug("ssh", `stderr: ${line}`));
  const cleanup = () => {
    for (const f of inv.tempFiles) {
      try {
        Deno.removeSync(f);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) logger.warn(`cannot remove ${f}: ${err}`);
      }
    }
  };
  let killing = false;
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      cleanup();
      resolve(code ?? 128 + _signalNumber(signal));
    });
  });
  return new Promise((resolve, reject) => {
    child.once("error", (err) => {
      cleanup();
      const code = (err as { code?: string }).code;
      reject(
        new SockhopError(
          code === "ENOENT" ? programNotFound(program!) : `Cannot start ${program}: ${err.message}`,
          "ssh-missing",
          { cause: err },
        ),
      );
    });
    child.once("spawn", () => {
      logger.debug("ssh", `ssh pid ${child.pid}`);
      resolve({
        child: child as SshProcess["child"],
        exited,
        stderrTail,
        signal: () => killing ? undefined : child.signalCode ?? undefined,
        kill() {
          if (child.exitCode === null && child.signalCode === null) {
            killing = true;
            child.kill("SIGTERM");
          }
        },
        release() {
          // Let go, not ended: its password file goes now all the same.
          cleanup();
          child.stdin!.destroy();
          child.stdout!.destroy();
          child.stderr!.destroy();
          child.unref();
        },
      });
    });
  });
}

/**
 * Whether ssh is started in a session of its own (so that a ControlMaster it forks survives
 * sockhop's end). Not on Windows, where a detached process gets a console of its own and there
 * is no process group to leave: there ssh is only let go (unref, pipes closed), and Windows
 * does not end a child with its parent anyway.
 */
export function detachedSpawn(keep: boolean, os: Os = Deno.build.os): boolean {
  return keep && os !== "windows";
}

function _signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1;
}

/** sshpass's exit statuses, as messages, with the code of those that need the user. */
export function sshpassMessage(
  status: number,
): { readonly message: string; readonly code: ErrorCode } | undefined {
  switch (status) {
    case 2:
      return { message: "sshpass: conflicting arguments", code: "ssh-failed" };
    case 3:
      return { message: "sshpass: runtime error", code: "ssh-failed" };
    case 4:
      return {
        message: "sshpass did not recognise ssh's prompt (is ssh asking something else?)",
        code: "ssh-failed",
      };
    case 5:
      return {
        message:
          "Wrong password (sshpass: authentication refused): check the password or the user name",
        code: "auth-failed",
      };
    case 6:
      return {
        message:
          "The host key is not known and sshpass cannot answer ssh's question: connect once with ssh to accept it, or add it to ~/.ssh/known_hosts",
        code: "host-key-unknown",
      };
    default:
      return undefined;
  }
}
