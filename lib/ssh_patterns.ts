/**
 * OpenSSH's patterns (match.c): `*`, `?`, `!` negation and comma lists. One reading for every
 * place ssh uses them: ssh_config's Host and Match, known_hosts host fields, authorized_keys'
 * `from=`, algorithm lists.
 */

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
