/**
 * Reading ssh_config files as OpenSSH 9.2 does (readconf.c read_config_file_depth,
 * process_config_line): line by line, `Host` and `Match` switching the lines that apply on and
 * off, `Include` reading more files (checked for owner and mode) in their place; every other
 * keyword goes to lib/ssh_config_options.ts.
 */

import { isAbsolutePath, systemSshDir } from "./platform_paths.ts";
import { fileErrorText, UsageError } from "./errors.ts";
import { ConfigSyntaxError, type ConfigWords, splitConfigLine } from "./ssh_config_words.ts";
import { applyOption, OptionError, type Options } from "./ssh_config_options.ts";
import { evaluateMatch, MatchError } from "./ssh_config_match.ts";
import { matchPattern } from "./ssh_patterns.ts";
import { badOwnerOrMode, type ConfigFs, globPaths, passwdHome } from "./ssh_config_files.ts";
import { clientTokens, ExpandError, expandTilde, expandTokens } from "./ssh_config_expand.ts";
import type { NativeGap } from "./ssh_config_native.ts";

/** A keyword the native client does not act on, and where it was set. */
export interface Unsupported {
  readonly keyword: string;
  readonly where: string;
}

const MAX_DEPTH = 16;

/** A config file that exists but cannot be read. */
class UnreadableError extends UsageError {
  override name = "UnreadableError";
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** The state of one resolution: the options so far and how to read on. */
export interface ConfigReader {
  readonly o: Options;
  readonly env: { home: string; localUser: string; localHost: string; uid: number };
  readonly vars: (name: string) => string | undefined;
  readonly execEnv: Readonly<Record<string, string>> | undefined;
  readonly fs: ConfigFs;
  readonly hostArg: string;
  /** Host lines match this: the host as typed, then (final pass) the host name. */
  host: string;
  finalPass: boolean;
  wantFinal: boolean;
  readonly matchExec: "run" | "refuse";
  readonly gaps: NativeGap[];
  readonly notes: Unsupported[];
  readonly filesRead: string[];
}

interface _Flags {
  readonly user: boolean;
  readonly checkPerm: boolean;
  readonly neverMatch: boolean;
}

/** One -o option: always applies; Host, Match and Include are refused. */
export function readOption(r: ConfigReader, line: string) {
  const where = `-o "${line}"`;
  _line(
    r,
    line,
    where,
    { user: true, checkPerm: false, neverMatch: false },
    { value: true },
    0,
    true,
  );
}

/** -F FILE (or none), else the default files, user's first (a pass over them). */
export function readConfigs(
  r: ConfigReader,
  configFile: string | undefined,
  defaults: readonly { path: string; user: boolean }[],
) {
  if (configFile !== undefined) {
    if (configFile.toLowerCase() === "none") return;
    const path = tildeIn(r, configFile);
    if (
      !_readFile(r, path, { user: true, checkPerm: false, neverMatch: false }, { value: true }, 0)
    ) {
      throw new UsageError(`Cannot read the ssh config ${path} (-F): check the path`);
    }
    return;
  }
  for (const f of defaults) {
    const flags = { user: f.user, checkPerm: f.user, neverMatch: false };
    try {
      _readFile(r, f.path, flags, { value: true }, 0);
    } catch (err) {
      // ssh passes over a default file it cannot open; --debug=ssh says so.
      if (!(err instanceof UnreadableError && err.path === f.path)) throw err;
      r.notes.push({ keyword: `${f.path} (${err.message})`, where: "not read" });
    }
  }
}

/** readconf.c read_config_file_depth; false when the file does not exist. */
function _readFile(
  r: ConfigReader,
  path: string,
  flags: _Flags,
  active: { value: boolean },
  depth: number,
): boolean {
  if (depth > MAX_DEPTH) {
    throw new UsageError(`Too many nested Includes reading ${path}: an Include includes itself`);
  }
  let text: string | undefined;
  try {
    text = r.fs.readFile(path);
  } catch (err) {
    throw new UnreadableError(`Cannot read ${path}: ${fileErrorText(err)}`, path);
  }
  if (text === undefined) return false;
  if (flags.checkPerm) {
    const st = r.fs.stat(path);
    if (st && badOwnerOrMode(st, r.env.uid)) {
      throw new UsageError(
        `Bad owner or permissions on ${path}: it must be yours (or root's) and writable by you only (chmod go-w)`,
      );
    }
  }
  if (!r.filesRead.includes(path)) r.filesRead.push(path);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => _line(r, line, `${path} line ${i + 1}`, flags, active, depth, false));
  return true;
}

/** readconf.c process_config_line_depth, for Host, Match and Include; the rest in options. */
function _line(
  r: ConfigReader,
  text: string,
  where: string,
  flags: _Flags,
  active: { value: boolean },
  depth: number,
  cmdline: boolean,
) {
  const fail = (detail: string): never => {
    throw new UsageError(`Config error in ${where}: ${detail.replace(/\.$/, "")}: fix that line`);
  };
  let k: ConfigWords | undefined;
  try {
    k = splitConfigLine(text);
  } catch (err) {
    if (err instanceof ConfigSyntaxError) fail(err.message);
    throw err;
  }
  if (!k) return;
  const words = k.args;
  if (k.keyword === "host" || k.keyword === "match" || k.keyword === "include") {
    if (words === undefined) fail("invalid quotes");
    if (cmdline) fail(`${k.written} is not allowed in -o`);
  }
  switch (k.keyword) {
    case "host": {
      active.value = false;
      for (const arg of words!) {
        if (arg === "") fail(`keyword ${k.keyword} empty argument`);
        if (flags.neverMatch) break;
        const negated = arg.startsWith("!");
        if (matchPattern(r.host, negated ? arg.slice(1) : arg)) {
          if (negated) {
            active.value = false;
            break;
          }
          active.value = true;
        }
      }
      return;
    }
    case "match": {
      let result;
      try {
        result = evaluateMatch(k.rest, _matchContext(r, where));
      } catch (err) {
        if (err instanceof MatchError || err instanceof ExpandError) fail(err.message);
        throw err;
      }
      if (result!.wantsFinal) r.wantFinal = true;
      active.value = flags.neverMatch ? false : result!.matched;
      if (result!.leftover) fail(`keyword match extra arguments at end of line`);
      return;
    }
    case "include":
      return _include(r, words!, flags, active, depth, fail);
  }
  try {
    applyOption(r.o, k, {
      active: cmdline || active.value,
      where,
      userConfig: flags.user,
      cmdline,
      vars: r.vars,
      note: (t) => r.notes.push({ keyword: t, where }),
    });
  } catch (err) {
    if (err instanceof OptionError) fail(err.message);
    throw err;
  }
}

function _include(
  r: ConfigReader,
  words: readonly string[],
  flags: _Flags,
  active: { value: boolean },
  depth: number,
  fail: (detail: string) => never,
) {
  for (const arg of words) {
    if (arg === "") fail("keyword include empty argument");
    if (arg.startsWith("~") && !flags.user) fail(`bad include path ${arg}`);
    // Put together as readconf.c does: joinPath would fold `..`, and on Windows write
    // `~\.ssh\`, which globPaths' `~` does not take. Windows takes the `/`.
    const pattern = !isAbsolutePath(arg) && !arg.startsWith("~")
      ? `${flags.user ? "~/.ssh" : systemSshDir()}/${arg}`
      : arg;
    const was = active.value;
    for (const file of globPaths(pattern, r.fs, r.env.home)) {
      _readFile(
        r,
        file,
        { user: flags.user, checkPerm: true, neverMatch: flags.neverMatch || !was },
        active,
        depth + 1,
      );
      // A Match in an included file does not change the including file's state.
      active.value = was;
    }
  }
}

function _matchContext(r: ConfigReader, where: string) {
  const o = r.o;
  const host = r.finalPass || o.hostname === undefined
    ? (o.hostname ?? r.hostArg)
    : expandIn(r, "HostName", o.hostname, { h: r.hostArg });
  const user = o.user ?? r.env.localUser;
  return {
    host,
    originalHost: r.hostArg,
    user,
    localUser: r.env.localUser,
    finalPass: r.finalPass,
    expand: (command: string) =>
      expandTokens(
        command,
        clientTokens({
          localHost: r.env.localHost,
          uid: r.env.uid,
          keyAlias: o.hostKeyAlias ?? host,
          originalHost: r.hostArg,
          port: o.port <= 0 ? 22 : o.port,
          home: r.env.home,
          host,
          user,
          localUser: r.env.localUser,
        }),
      ),
    exec: (command: string) => {
      if (r.matchExec === "refuse") {
        r.gaps.push({
          option: `Match exec ${command}`,
          where,
          why: "the built-in client runs no commands from the config",
        });
        return false;
      }
      return _execInShell(r, command, where);
    },
  };
}

/** readconf.c execute_in_shell: $SHELL -c COMMAND, stdin and stdout on /dev/null. */
function _execInShell(r: ConfigReader, command: string, where: string): boolean {
  const shell = r.vars("SHELL") || "/bin/sh";
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(shell, {
      args: ["-c", command],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
      ...(r.execEnv ? { clearEnv: true, env: { ...r.execEnv } } : {}),
    }).outputSync();
  } catch (err) {
    throw new UsageError(
      `Shell "${shell}" is not executable (${
        (err as Error).message
      }) for Match exec in ${where}: check $SHELL`,
    );
  }
  if (out.signal !== null) {
    throw new UsageError(
      `Match exec "${command}" in ${where} was killed by ${out.signal}: check the command`,
    );
  }
  return out.code === 0;
}

/** Expand tokens (and ${VAR}s) in a keyword's value; a usage error naming where it was set. */
export function expandIn(
  r: ConfigReader,
  keyword: string,
  text: string,
  tokens: Record<string, string>,
  dollar = false,
): string {
  try {
    return expandTokens(text, tokens, dollar ? r.vars : undefined);
  } catch (err) {
    if (err instanceof ExpandError) {
      const where = r.o.origin.get(keyword.toLowerCase());
      throw new UsageError(
        `Cannot expand ${keyword} ${JSON.stringify(text)}${
          where ? ` (${where})` : ""
        }: ${err.message}: ${
          err.message.startsWith("unknown")
            ? "use %% for a percent sign"
            : "set the variable or remove it"
        }`,
      );
    }
    throw err;
  }
}

/** Expand a leading `~`; a usage error for an unknown user. */
export function tildeIn(r: ConfigReader, path: string): string {
  try {
    return expandTilde(path, r.env.home, passwdHome);
  } catch (err) {
    if (err instanceof ExpandError) {
      throw new UsageError(
        `Cannot expand ${JSON.stringify(path)}: ${err.message}: check the user name`,
      );
    }
    throw err;
  }
}
