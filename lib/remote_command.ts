/**
 * The command both backends run on the remote host: `sh -c '<snippet>'`, where the snippet
 * tries each sockhop candidate and runs `_proxy NAME`. Quoted exactly once, for `sh -c`, so any
 * login shell (fish included) passes it through unchanged.
 */

import { UsageError } from "./errors.ts";
import { MARKER_OK, markerErr } from "./marker.ts";
import { quoteShellWord, splitShellWords } from "./shell_words.ts";
import { validateRemoteName, xpraDisplay } from "./session_name.ts";

/**
 * Candidates may name `$SOCKHOP_PLATFORM`: the snippet sets it from the remote `uname -sm` to
 * a release asset's platform (linux-x64, linux-arm64, macos-x64, macos-arm64), so a binary
 * installed under its download name (`sockhop-linux-x64`) is found as well.
 */
export const PLATFORM_VARIABLE = "SOCKHOP_PLATFORM";

export const DEFAULT_REMOTE_SOCKHOP: readonly string[] = Object.freeze([
  "sockhop",
  "$HOME/.local/bin/sockhop",
  "/usr/local/bin/sockhop",
  `sockhop-$${PLATFORM_VARIABLE}`,
  `$HOME/.local/bin/sockhop-$${PLATFORM_VARIABLE}`,
  `/usr/local/bin/sockhop-$${PLATFORM_VARIABLE}`,
]);

/** `uname -sm` as each release platform reports it (Linux says aarch64, macOS arm64). */
const _UNAME_PLATFORMS: readonly (readonly [string, string])[] = [
  ["Linux x86_64", "linux-x64"],
  ["Linux aarch64|Linux arm64", "linux-arm64"],
  ["Darwin x86_64", "macos-x64"],
  ["Darwin arm64", "macos-arm64"],
];

/** The exit status of the snippet when no candidate is found, as a shell's "not found". */
export const REMOTE_MISSING_STATUS = 127;

/** Parse `--remote-sockhop=A,B,C`. */
export function parseRemoteSockhop(value: string): string[] {
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.length) {
    throw new UsageError("--remote-sockhop is empty: give one or more paths, comma-separated");
  }
  return list;
}

/**
 * What the remote `_proxy` is asked for: one stream, or every stream of a `forward` over one
 * channel (lib/proxy_mux.ts).
 */
export type ProxyMode = "stream" | "mux";

/** The POSIX shell snippet (not yet quoted for `sh -c`). */
export function remoteSnippet(
  candidates: readonly string[],
  name: string,
  mode: ProxyMode = "stream",
): string {
  validateRemoteName(name);
  const proxy = mode === "stream" ? "_proxy" : `_proxy --${mode}`;
  const args = name === "" ? proxy : `${proxy} ${quoteShellWord(name)}`;
  // xpra's own _proxy carries one stream only.
  return _snippet(candidates, args, mode === "stream" ? xpraDisplay(name) : undefined);
}

/**
 * The remote command that runs sockhop with `args` (`_start NAME ...`, `_stop NAME`) through
 * the same snippet as `_proxy`: `sh -c '<snippet>' sockhop ARGS...`, the snippet running
 * `CANDIDATE "$@"`. Each argument is quoted once, as the snippet is.
 */
export function remoteSockhopCommand(
  candidates: readonly string[],
  args: readonly string[],
): string {
  return `sh -c ${quoteShellWord(_snippet(candidates, '"$@"', undefined))} sockhop ${
    args.map(quoteShellWord).join(" ")
  }`;
}

function _snippet(candidates: readonly string[], args: string, display: string | undefined) {
  const branches = candidates.map((candidate, i) => {
    const words = splitShellWords(candidate.replace(/^~\//, "$HOME/"));
    const program = words[0];
    if (program === undefined) {
      throw new UsageError("An empty --remote-sockhop candidate: remove it");
    }
    const rest = words.slice(1).map(quoteShellWord).join(" ");
    const cmd = `${_expandable(program)}${rest ? " " + rest : ""}`;
    const found = program.includes("/")
      ? `[ -x ${_expandable(program)} ]`
      : `command -v ${_expandable(program)} >/dev/null 2>&1`;
    // On a platform with no release binary the variable is empty and such candidates skipped.
    const test = platformy(candidate) ? `[ -n "$${PLATFORM_VARIABLE}" ] && ${found}` : found;
    return `${i === 0 ? "if" : "elif"} ${test}; then exec ${cmd} ${args}`;
  });
  if (candidates.some(platformy)) branches.unshift(platformCase());
  if (display !== undefined) {
    branches.push(
      `elif command -v xpra >/dev/null 2>&1; then echo ${
        _dq(MARKER_OK.trim())
      }; exec xpra _proxy :${display}`,
    );
  }
  const tried = candidates.join(", ");
  const err = markerErr(
    `sockhop was not found on the remote host (tried ${tried}): install it there or name it with --remote-sockhop`,
  );
  branches.push(`else echo ${_dq(err.trim())}; exit ${REMOTE_MISSING_STATUS}; fi`);
  return branches.join("; ");
}

function platformy(candidate: string): boolean {
  return new RegExp(`\\$\\{?${PLATFORM_VARIABLE}\\b`).test(candidate);
}

/**
 * The shell words that set `$SOCKHOP_PLATFORM` on the remote host (empty where no release
 * binary exists). Double quotes only: the snippet has no single quote.
 */
export function platformCase(): string {
  const arms = _UNAME_PLATFORMS.map(([uname, platform]) =>
    `${uname.split("|").map(_dq).join("|")}) ${PLATFORM_VARIABLE}=${platform};;`
  );
  return `case $(uname -sm 2>/dev/null) in ${arms.join(" ")} *) ${PLATFORM_VARIABLE}=;; esac`;
}

/** The whole remote command line: `sh -c '<snippet>'`. */
export function remoteCommand(
  candidates: readonly string[],
  name: string,
  mode: ProxyMode = "stream",
): string {
  return `sh -c ${quoteShellWord(remoteSnippet(candidates, name, mode))}`;
}

/** A word that may hold `$HOME`: double-quoted so the remote shell expands variables only. */
function _expandable(word: string): string {
  if (!word.includes("$")) return quoteShellWord(word);
  return _dq(word);
}

/** Double quotes: the remote shell expands `$VAR` inside, nothing else. */
function _dq(text: string): string {
  return `"${text.replace(/["\\`]/g, "\\$&")}"`;
}
