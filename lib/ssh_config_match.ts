/**
 * ssh_config patterns (`*`, `?`, `!` negation, comma lists) and `Match` lines, as OpenSSH 9.2
 * evaluates them (match.c, readconf.c match_cfg_line).
 */

import { strdelim } from "./ssh_config_words.ts";

/** Whether `text` matches one glob pattern (`*` any run, `?` one character), case-insensitive. */
export function matchGlob(pattern: string, text: string): boolean {
  const re = new RegExp(
    "^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".") +
      "$",
    "i",
  );
  return re.test(text);
}

/**
 * OpenSSH's match_pattern_list over patterns already split, case-insensitive: a negated
 * pattern that matches makes the whole list fail; otherwise the list matches when any
 * positive pattern does. With `caseSensitive`, as match_pattern_list without lower-casing;
 * with `negatedResult`, the C result: 1 match, -1 negated match, 0 none.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean;
export function matchPatternList(
  patterns: readonly string[],
  text: string,
  opts: { caseSensitive: boolean; negatedResult: true },
): number;
export function matchPatternList(
  patterns: readonly string[],
  text: string,
  opts?: { caseSensitive: boolean; negatedResult: true },
): boolean | number {
  let matched = false;
  const one = (p: string) => (opts?.caseSensitive ? matchPattern(text, p) : matchGlob(p, text));
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (one(p.slice(1))) return opts ? -1 : false;
    } else if (one(p)) {
      matched = true;
    }
  }
  return opts ? (matched ? 1 : 0) : matched;
}

/** match.c match_pattern: `*` and `?`, case-sensitive, whole string. */
export function matchPattern(text: string, pattern: string): boolean {
  return _match(text, 0, pattern, 0);
}

function _match(s: string, si: number, p: string, pi: number): boolean {
  for (;;) {
    if (pi === p.length) return si === s.length;
    if (p[pi] === "*") {
      while (p[pi] === "*") pi++;
      if (pi === p.length) return true;
      for (; si <= s.length; si++) if (_match(s, si, p, pi)) return true;
      return false;
    }
    if (si === s.length) return false;
    if (p[pi] !== "?" && p[pi] !== s[si]) return false;
    si++;
    pi++;
  }
}

/**
 * match.c match_pattern_list: a comma-separated list, `!` negating; with `lower`, the
 * patterns are lower-cased first. 1 match, -1 negated match, 0 none.
 */
export function patternListMatch(text: string, list: string, lower: boolean): number {
  const patterns = list.split(",").map((p) => (lower ? p.toLowerCase() : p));
  return matchPatternList(patterns, text, { caseSensitive: true, negatedResult: true });
}

/** match.c match_hostname: the host lower-cased, against a lower-cased pattern list. */
export function matchHostname(host: string, list: string): number {
  return patternListMatch(host.toLowerCase(), list, true);
}

/** What a `Match` line is evaluated against, and how to run `exec`. */
export interface MatchContext {
  /** The host for `Match host`: HostName with %h expanded (the final name in the final pass). */
  readonly host: string;
  readonly originalHost: string;
  /** The remote user so far (User, -l) or the local user. */
  readonly user: string;
  readonly localUser: string;
  readonly finalPass: boolean;
  /** Expand % tokens in an exec command; throws on an unknown token. */
  expand(command: string): string;
  /** Run an exec command: whether it exits 0. */
  exec(command: string): boolean;
}

/** The result of a `Match` line, and whether it asks for a final pass. */
export interface MatchResult {
  readonly matched: boolean;
  readonly wantsFinal: boolean;
  /** Words left after the criteria (an error: extra arguments). */
  readonly leftover: boolean;
}

/** What is wrong with a Match line, in OpenSSH's words. */
export class MatchError extends Error {
  override name = "MatchError";
}

/** readconf.c match_cfg_line: evaluate the criteria after `Match`. */
export function evaluateMatch(rest: string, ctx: MatchContext): MatchResult {
  let cp: string | null = rest;
  let result = true;
  let attributes = 0;
  let wantsFinal = false;
  const next = () => {
    const got = strdelim(cp ?? undefined);
    if (got === undefined) {
      cp = null;
      return undefined;
    }
    cp = got[1];
    return got[0];
  };
  for (;;) {
    const oattrib = next();
    if (oattrib === undefined || oattrib === "") break;
    if (oattrib.startsWith("#")) {
      cp = null;
      break;
    }
    const negate = oattrib.startsWith("!");
    const attrib = (negate ? oattrib.slice(1) : oattrib).toLowerCase();
    if (attrib === "all") {
      const arg = next();
      if (attributes > 1 || (arg !== undefined && arg !== "" && !arg.startsWith("#"))) {
        throw new MatchError(`'${oattrib}' cannot be combined with other Match attributes`);
      }
      if (arg?.startsWith("#")) cp = null;
      if (result) result = !negate;
      return { matched: result, wantsFinal, leftover: cp !== null && cp !== "" };
    }
    attributes++;
    if (attrib === "canonical" || attrib === "final") {
      if (attrib === "final") wantsFinal = true;
      if (ctx.finalPass === negate) result = false;
      continue;
    }
    const arg = next();
    if (arg === undefined || arg === "" || arg.startsWith("#")) {
      throw new MatchError(`Missing Match criteria for ${attrib}`);
    }
    let r: boolean;
    switch (attrib) {
      case "host":
        r = matchHostname(ctx.host, arg) === 1;
        break;
      case "originalhost":
        r = matchHostname(ctx.originalHost, arg) === 1;
        break;
      case "user":
        r = patternListMatch(ctx.user, arg, false) === 1;
        break;
      case "localuser":
        r = patternListMatch(ctx.localUser, arg, false) === 1;
        break;
      case "exec": {
        const command = ctx.expand(arg);
        // A criterion already false: ssh does not run the command.
        if (!result) continue;
        r = ctx.exec(command);
        break;
      }
      default:
        throw new MatchError(`Unsupported Match attribute ${attrib}`);
    }
    if (r === negate) result = false;
  }
  if (attributes === 0) throw new MatchError("One or more attributes required for Match");
  return { matched: result, wantsFinal, leftover: cp !== null && cp !== "" };
}
