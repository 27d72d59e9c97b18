/**
 * Output read as lines: a child's or a channel's stderr arrives in pieces that need not end at
 * a line's end, so a line cut across two reads is put together before anyone sees it.
 */

import type { Readable } from "node:stream";

/**
 * How much of one line is kept: its last 4 KiB. The text comes from a peer (a remote stderr, a
 * service's), and a peer that never sends a newline would otherwise grow the pending line
 * without end, each read copying it again (24 MiB with no newline once took 45 s of CPU and
 * 400 MB, still going). The end of a line is what says what went wrong: the start goes.
 */
export const LINE_KEEP = 4096;

/** Marks a line whose start was cut off. */
const CUT = "...";

/**
 * Pass each line of `readable`'s text to `onLine` (without its `\n` or `\r\n`), and the last,
 * unterminated one when the stream ends. `pending()` is what has come of a line not yet ended.
 * A line longer than LINE_KEEP is passed (and kept pending) as its last LINE_KEEP characters
 * after "...": memory and work stay bounded by the reads, whatever the peer sends.
 */
export function eachLine(
  readable: Readable,
  onLine: (line: string) => void,
): { pending(): string } {
  let partial = "";
  let cut = false;
  const whole = (line: string) => {
    const text = line.replace(/\r$/, "");
    return cut || text.length > LINE_KEEP ? CUT + text.slice(-LINE_KEEP) : text;
  };
  readable.setEncoding("utf8");
  readable.on("data", (text: string) => {
    const lines = text.split("\n");
    const rest = lines.pop() ?? "";
    for (const line of lines) {
      onLine(whole(partial + line));
      partial = "";
      cut = false;
    }
    partial += rest;
    if (partial.length > LINE_KEEP) {
      partial = partial.slice(-LINE_KEEP);
      cut = true;
    }
  });
  readable.on("end", () => {
    const last = partial;
    partial = "";
    if (last) onLine(whole(last));
    cut = false;
  });
  return { pending: () => (partial && cut ? CUT : "") + partial };
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
