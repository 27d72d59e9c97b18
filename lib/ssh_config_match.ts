/**
 * ssh_config patterns (`*`, `?`, `!` negation, comma lists) and `Match` lines, as OpenSSH 9.2
 * evaluates them (match.c, readconf.c match_cfg_line).
 */

import { matchHostname, patternListMatch } from "./ssh_patterns.ts";
import { strdelim } from "./ssh_config_words.ts";

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
