/** Split and quote command lines the way a POSIX shell would, without running one. */

import { UsageError } from "./errors.ts";

/**
 * Split `line` into words as `sh` would: whitespace separates, single quotes keep everything,
 * double quotes keep everything but `\\`, `\"`, `\$` and `` \` ``, a backslash outside quotes
 * escapes the next character. No expansion of variables, globs or `~` is done.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) {
        throw new UsageError(`Unterminated ' in ${JSON.stringify(line)}: close the quote`);
      }
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) {
          throw new UsageError(`Unterminated " in ${JSON.stringify(line)}: close the quote`);
        }
        const d = line[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < line.length && '\\"$`'.includes(line[i + 1]!)) {
          word += line[i + 1]!;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === "\\") {
      if (i + 1 < line.length && line[i + 1] !== "\n") word += line[i + 1]!;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Quote one word for a POSIX shell: bare when it is safe, else in single quotes. */
export function quoteShellWord(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
