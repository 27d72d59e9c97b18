/** ssh_config(5) patterns: `*`, `?`, `!` negation, comma or space separated lists. */

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
 * OpenSSH's match_pattern_list: a negated pattern that matches makes the whole list fail;
 * otherwise the list matches when any positive pattern does.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (matchGlob(p.slice(1), text)) return false;
    } else if (matchGlob(p, text)) {
      matched = true;
    }
  }
  return matched;
}
