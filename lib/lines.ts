/**
 * Output read as lines: a child's or a channel's stderr arrives in pieces that need not end at
 * a line's end, so a line cut across two reads is put together before anyone sees it.
 */

import type { Readable } from "node:stream";

/**
 * Pass each line of `readable`'s text to `onLine` (without its `\n` or `\r\n`), and the last,
 * unterminated one when the stream ends. `pending()` is what has come of a line not yet ended.
 */
export function eachLine(
  readable: Readable,
  onLine: (line: string) => void,
): { pending(): string } {
  let partial = "";
  readable.setEncoding("utf8");
  readable.on("data", (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line.replace(/\r$/, ""));
  });
  readable.on("end", () => {
    const last = partial;
    partial = "";
    if (last) onLine(last.replace(/\r$/, ""));
  });
  return { pending: () => partial };
}

/**
 * Read `readable` as lines (each also passed to `onLine`) and keep the last `max` that are not
 * blank, the one still being written included: what an error message quotes.
 */
export function tailLines(
  readable: Readable,
  onLine: (line: string) => void = () => {},
  max = 20,
): () => string[] {
  const kept: string[] = [];
  const lines = eachLine(readable, (line) => {
    onLine(line);
    if (!line.trim()) return;
    kept.push(line);
    if (kept.length > max) kept.shift();
  });
  return () => {
    const pending = lines.pending();
    return pending.trim() ? [...kept, pending].slice(-max) : [...kept];
  };
}
