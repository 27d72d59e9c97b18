/**
 * The openssh backend: run the system `ssh` (or PuTTY's `plink`) with the user's words first,
 * then what sockhop needs appended. Passwords go through `sshpass -e` (openssh) or a 0600
 * `-pwfile` (plink), never on a command line.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { SockhopError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { JumpHost } from "./url.ts";
import { quoteShellWord } from "./shell_words.ts";
import { findProgram } from "./which.ts";

/** Where and how to log in. */
export interface SshDestination {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly key?: string;
  readonly jump?: JumpHost;
  /** plink's -hostkey: a fingerprint the user pinned. */
  readonly hostKey?: string;
}

/** The program to run and how. */
export interface SshInvocation {
  readonly argv: readonly string[];
  /** Extra environment (SSHPASS) that must not appear on a command line. */
  readonly env: Readonly<Record<string, string>>;
  /** Temp files to remove when the process is done (plink's -pwfile). */
  readonly tempFiles: readonly string[];
}

export interface BuildOptions {
  readonly flavor: "openssh" | "plink";
  readonly words: readonly string[];
  readonly dest: SshDestination;
  readonly remoteCommand: string;
  /** Whether a terminal can answer questions (plink gets -batch when not). */
  readonly interactive: boolean;
  /** Finds a program on PATH; injected for tests. */
  readonly which?: (program: string) => string | undefined;
}

/** Build the argv (and env) of the ssh process. */
export function buildSshInvocation(options: BuildOptions): SshInvocation {
  // A host or user from a URL or someone's connection file must never become an option.
  const { dest } = options;
  for (
    const [what, value] of [
      ["host", dest.host],
      ["user", dest.user],
      ["jump host", dest.jump?.host],
      ["jump user", dest.jump?.user],
    ] as const
  ) {
    if (value?.startsWith("-")) {
      throw new UsageError(
        `The ${what} ${JSON.stringify(value)} starts with "-": fix the URL or file`,
      );
    }
  }
  return options.flavor === "plink" ? _plink(options) : _openssh(options);
}

function _openssh(
  { words, dest, remoteCommand, which = findProgram }: BuildOptions,
): SshInvocation {
  const argv = [...words, "-T"];
  if (dest.port !== undefined) argv.push("-p", String(dest.port));
  if (dest.user) argv.push("-l", dest.user);
  if (dest.key) argv.push("-i", dest.key);
  if (dest.jump) {
    const j = dest.jump;
    if (j.password !== undefined) {
      throw new SockhopError(
        "A jump host password cannot be given to ssh safely: use a key or an agent for the jump host, or --ssh=native",
        "usage-jump",
      );
    }
    // The hop runs with the user's own words too (their -F, -i, -o options apply to it).
    // ssh expands % tokens in a ProxyCommand: the user's own (ControlPath=~/.ssh/cm-%C) are
    // meant for the hop's ssh, so they are escaped once here.
    const hop = [
      ..._escapePercent(words),
      "-W",
      "%h:%p",
      ...(j.port !== undefined ? ["-p", String(j.port)] : []),
    ];
    if (j.user) hop.push("-l", j.user);
    if (j.key) hop.push("-i", j.key);
    hop.push(j.host);
    argv.push("-o", `ProxyCommand=${hop.map(quoteShellWord).join(" ")}`);
  }
  argv.push(dest.host, remoteCommand);
  if (dest.password === undefined) return { argv, env: {}, tempFiles: [] };
  const program = words[0] ?? "ssh";
  if (!which(program)) {
    // Under sshpass a missing ssh would only show as "sshpass: runtime error".
    throw new SockhopError(_notFound(program), "ssh-missing");
  }
  if (!which("sshpass")) throw new SockhopError(sshpassMissing(), "no-sshpass");
  return { argv: ["sshpass", "-e", ...argv], env: { SSHPASS: dest.password }, tempFiles: [] };
}

function _plink({ words, dest, remoteCommand, interactive }: BuildOptions): SshInvocation {
  const argv = [...words];
  if (!interactive && !argv.includes("-batch")) argv.push("-batch");
  argv.push("-T");
  if (dest.port !== undefined) argv.push("-P", String(dest.port));
  if (dest.user) argv.push("-l", dest.user);
  if (dest.key) argv.push("-i", dest.key);
  if (dest.hostKey) argv.push("-hostkey", dest.hostKey);
  if (dest.jump) {
    const j = dest.jump;
    const hop = [
      ..._escapePercent(words),
      ...(interactive || words.includes("-batch") ? [] : ["-batch"]),
    ];
    if (j.port !== undefined) hop.push("-P", String(j.port));
    if (j.user) hop.push("-l", j.user);
    if (j.key) hop.push("-i", j.key);
    if (j.password !== undefined) {
      throw new SockhopError(
        "A jump host password cannot be given to plink safely: use a key or Pageant for the jump host",
        "usage-jump",
      );
    }
    hop.push("-nc", "%host:%port", j.host);
    argv.push("-proxycmd", hop.map(quoteShellWord).join(" "));
  }
  const tempFiles: string[] = [];
  if (dest.password !== undefined) {
    const file = Deno.makeTempFileSync({ prefix: "sockhop-pw-" });
    Deno.chmodSync(file, 0o600);
    Deno.writeTextFileSync(file, dest.password);
    tempFiles.push(file);
    argv.push("-pwfile", file);
  }
  argv.push(dest.host, remoteCommand);
  return { argv, env: {}, tempFiles };
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
  const tail: string[] = [];
  let partial = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      logger.debug("ssh", `stderr: ${line}`);
      if (line.trim()) tail.push(line.replace(/\r$/, ""));
      if (tail.length > 20) tail.shift();
    }
  });
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
      if (partial.trim()) tail.push(partial);
      partial = "";
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
          code === "ENOENT" ? _notFound(program!) : `Cannot start ${program}: ${err.message}`,
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
        stderrTail: () => [...tail, ...(partial.trim() ? [partial] : [])],
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

type Os = typeof Deno.build.os;

/** How to get each program, by platform: the package to install, or why there is none. */
const _INSTALL: Record<
  "linux" | "darwin" | "windows",
  Record<"ssh" | "plink" | "sshpass", string>
> = {
  linux: {
    ssh: "install it (OpenSSH: apt-get install openssh-client)",
    plink: "install it (PuTTY: apt-get install putty-tools)",
    sshpass: "install it (apt-get install sshpass)",
  },
  darwin: {
    ssh: "macOS has it as /usr/bin/ssh: put /usr/bin on PATH",
    plink: "install it (PuTTY: brew install putty)",
    sshpass: "Homebrew does not package it: build it from source",
  },
  windows: {
    ssh: "add it (Settings, Optional features, OpenSSH Client)",
    plink: "install it (PuTTY: winget install PuTTY.PuTTY)",
    sshpass: "there is none for Windows: use --ssh=plink, which takes the password from a file",
  },
};

/** What to do about a missing ssh, plink or sshpass, on this platform's terms. */
export function installHint(program: string, os: Os = Deno.build.os): string {
  const kind = /plink(\.exe)?$/i.test(program)
    ? "plink"
    : /sshpass(\.exe)?$/i.test(program)
    ? "sshpass"
    : "ssh";
  return _INSTALL[os === "windows" ? "windows" : os === "darwin" ? "darwin" : "linux"][kind];
}

/** The error for a password given to ssh where no sshpass is installed. */
export function sshpassMissing(os: Os = Deno.build.os): string {
  return `A password was given but sshpass is not installed: ${
    installHint("sshpass", os)
  }, or use a key, or --ssh=native`;
}

function _notFound(program: string, os: Os = Deno.build.os): string {
  return `${program} not found: ${installHint(program, os)}, or choose another --ssh`;
}

/** Words for a proxy command, where ssh and plink expand % tokens: a literal % is %%. */
function _escapePercent(words: readonly string[]): string[] {
  return words.map((w) => w.replaceAll("%", "%%"));
}

function _signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1;
}

/** sshpass's exit statuses, as messages. */
export function sshpassMessage(status: number): string | undefined {
  switch (status) {
    case 2:
      return "sshpass: conflicting arguments";
    case 3:
      return "sshpass: runtime error";
    case 4:
      return "sshpass did not recognise ssh's prompt (is ssh asking something else?)";
    case 5:
      return "Wrong password (sshpass: authentication refused): check the password or the user name";
    case 6:
      return "The host key is not known and sshpass cannot answer ssh's question: connect once with ssh to accept it, or add it to ~/.ssh/known_hosts";
    default:
      return undefined;
  }
}
