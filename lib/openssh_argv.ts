/**
 * The argv of the openssh backend: the system `ssh` (or PuTTY's `plink`) with the user's words
 * first, then what sockhop needs appended. Passwords go through `sshpass -e` (openssh) or a
 * 0600 `-pwfile` (plink), never on a command line.
 */

import { SockhopError, UsageError } from "./errors.ts";
import type { Os } from "./platform_paths.ts";
import type { ProgramRoute } from "./route.ts";
import { quoteShellWord } from "./shell_words.ts";
import { findProgram } from "./which.ts";

/** The program to run and how. */
export interface SshInvocation {
  readonly argv: readonly string[];
  /** Extra environment (SSHPASS) that must not appear on a command line. */
  readonly env: Readonly<Record<string, string>>;
  /** Temp files to remove when the process is done (plink's -pwfile). */
  readonly tempFiles: readonly string[];
}

/** What the argv is built from: the program route's destination part. */
export type BuildOptions =
  & Pick<
    ProgramRoute,
    | "flavor"
    | "words"
    | "hopWords"
    | "dest"
    | "jump"
    | "hostKey"
    | "remoteCommand"
    | "interactive"
  >
  & {
    /** Finds a program on PATH; injected for tests. */
    readonly which?: (program: string) => string | undefined;
  };

/** Build the argv (and env) of the ssh process. */
export function buildSshInvocation(options: BuildOptions): SshInvocation {
  // A host or user from a URL or someone's connection file must never become an option.
  const { dest, jump } = options;
  for (
    const [what, value] of [
      ["host", dest.host],
      ["user", dest.user],
      ["jump host", jump?.host],
      ["jump user", jump?.user],
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
  { words, hopWords, dest, jump, remoteCommand, which = findProgram }: BuildOptions,
): SshInvocation {
  const argv = [...words, "-T"];
  if (dest.port !== undefined) argv.push("-p", String(dest.port));
  if (dest.user) argv.push("-l", dest.user);
  if (dest.key) argv.push("-i", dest.key);
  if (jump) {
    // The route refused a jump host password (no safe way to hand it to this hop's ssh).
    const j = jump;
    // The hop runs with the user's words and -F, as ssh's -J runs it: no -o, no -i.
    // ssh expands % tokens in a ProxyCommand: the user's own (ControlPath=~/.ssh/cm-%C) are
    // meant for the hop's ssh, so they are escaped once here.
    const hop = [
      ..._escapePercent(hopWords),
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
    throw new SockhopError(programNotFound(program), "ssh-missing");
  }
  if (!which("sshpass")) throw new SockhopError(sshpassMissing(), "no-sshpass");
  return { argv: ["sshpass", "-e", ...argv], env: { SSHPASS: dest.password }, tempFiles: [] };
}

function _plink(
  { words, hopWords, dest, jump, hostKey, remoteCommand, interactive }: BuildOptions,
): SshInvocation {
  const argv = [...words];
  if (!interactive && !argv.includes("-batch")) argv.push("-batch");
  argv.push("-T");
  if (dest.port !== undefined) argv.push("-P", String(dest.port));
  if (dest.user) argv.push("-l", dest.user);
  if (dest.key) argv.push("-i", dest.key);
  if (hostKey) argv.push("-hostkey", hostKey);
  if (jump) {
    const j = jump;
    const hop = [
      ..._escapePercent(hopWords),
      ...(interactive || hopWords.includes("-batch") ? [] : ["-batch"]),
    ];
    if (j.port !== undefined) hop.push("-P", String(j.port));
    if (j.user) hop.push("-l", j.user);
    if (j.key) hop.push("-i", j.key);
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

export function programNotFound(program: string, os: Os = Deno.build.os): string {
  return `${program} not found: ${installHint(program, os)}, or choose another --ssh`;
}

/** Words for a proxy command, where ssh and plink expand % tokens: a literal % is %%. */
function _escapePercent(words: readonly string[]): string[] {
  return words.map((w) => w.replaceAll("%", "%%"));
}
