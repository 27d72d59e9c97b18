/**
 * The syntax of one ssh_config line, as OpenSSH 9.2 reads it (readconf.c
 * process_config_line, misc.c strdelim and argv_split): a keyword, split from its value by
 * white space or one `=`, then words with "" and '' quotes and \-escapes, a `#` word ending
 * the line.
 */

/** A line cut into its keyword (lower-cased), the raw rest and the rest's words. */
export interface ConfigWords {
  readonly keyword: string;
  /** The keyword as written, for messages. */
  readonly written: string;
  /** Everything after the keyword and its separator (commands take it whole). */
  readonly rest: string;
  /** The rest's words; undefined when its quotes do not balance. */
  readonly args: readonly string[] | undefined;
}

/** What is wrong with a line, in OpenSSH's words. */
export class ConfigSyntaxError extends Error {
  override name = "ConfigSyntaxError";
}

const WHITESPACE = " \t\r\n";

/**
 * Split one line; undefined for blank lines and comments. Throws ConfigSyntaxError for a
 * keyword with nothing after it.
 */
export function splitConfigLine(text: string): ConfigWords | undefined {
  // Trailing white space (and a form feed) goes; the first character always stays.
  let end = text.length;
  while (end > 1 && (WHITESPACE + "\f").includes(text[end - 1]!)) end--;
  let line: string | undefined = text.slice(0, end);
  if (!line) return undefined;
  let got = strdelim(line);
  if (got === undefined) return undefined;
  let [keyword, rest] = got;
  if (keyword === "") {
    got = strdelim(rest ?? undefined);
    if (got === undefined) return undefined;
    [keyword, rest] = got;
  }
  if (!keyword || keyword.startsWith("#")) return undefined;
  line = rest === null ? undefined : rest.replace(/^[ \t\r\n]+/, "");
  if (!line) throw new ConfigSyntaxError(`no argument after keyword "${keyword.toLowerCase()}"`);
  return {
    keyword: keyword.toLowerCase(),
    written: keyword,
    rest: line,
    args: argvSplit(line, true),
  };
}

/**
 * The next word of a line (misc.c strdelim): up to white space, a quote or one `=`; a
 * quote starts a quoted part. Returns the word and what follows (null at the end of the
 * line), or undefined for a quote that is never closed.
 */
export function strdelim(s: string | undefined): [string, string | null] | undefined {
  if (s === undefined) return undefined;
  let i = 0;
  while (i < s.length && !(WHITESPACE + '"=').includes(s[i]!)) i++;
  if (i === s.length) return [s, null];
  if (s[i] === '"') {
    const joined = s.slice(0, i) + s.slice(i + 1);
    const close = joined.indexOf('"', i);
    if (close < 0) return undefined;
    return [joined.slice(0, close), _skipSpace(joined.slice(close + 1))];
  }
  const equals = s[i] === "=";
  let rest = _skipSpace(s.slice(i + 1));
  if (!equals && rest.startsWith("=")) rest = _skipSpace(rest.slice(1));
  return [s.slice(0, i), rest];
}

function _skipSpace(s: string): string {
  let i = 0;
  while (i < s.length && WHITESPACE.includes(s[i]!)) i++;
  return s.slice(i);
}

/**
 * Words of a value (misc.c argv_split): space or tab between words; "..." and '...' quote,
 * also inside a word; `\\`, `\"`, `\'` and (unquoted) `\ ` escape, any other backslash is
 * kept. Undefined when a quote is not closed.
 */
export function argvSplit(s: string, stopAtComment: boolean): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === " " || s[i] === "\t") {
      i++;
      continue;
    }
    if (stopAtComment && s[i] === "#") break;
    let quote = "";
    let word = "";
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === "\\") {
        const next = s[i + 1];
        if (next === "'" || next === '"' || next === "\\" || (quote === "" && next === " ")) {
          i++;
          word += next;
        } else {
          word += ch;
        }
      } else if (quote === "" && (ch === " " || ch === "\t")) {
        break;
      } else if (quote === "" && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== "" && ch === quote) {
        quote = "";
      } else {
        word += ch;
      }
    }
    if (quote !== "") return undefined;
    words.push(word);
  }
  return words;
}
