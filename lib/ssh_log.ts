/**
 * sockhop ssh's diagnostics as ssh writes them: `debug1:` to `debug3:` lines by LogLevel
 * (-v, -vv, -vvv), INFO messages unless -q, all to stderr or the -E file. Behind the Logger
 * the built-in client already takes: category "ssh" is debug1, "ssh2" (the protocol) debug3.
 */

import type { Logger } from "./logger.ts";
import { safeText } from "./safe_text.ts";

/** LogLevel numbers, as ssh_config_values.ts reads them. */
export const LEVEL = {
  QUIET: 0,
  FATAL: 1,
  ERROR: 2,
  INFO: 3,
  VERBOSE: 4,
  DEBUG1: 5,
  DEBUG2: 6,
  DEBUG3: 7,
};

export interface SshLog extends Logger {
  readonly level: number;
  debugN(n: 1 | 2 | 3, message: string): void;
  /** An error line, shown unless LogLevel is QUIET. */
  error(message: string): void;
  /** Lines end with CR LF while the terminal is raw. */
  setRaw(raw: boolean): void;
}

/** A log at `level`, writing whole lines with `write`. */
export function sshLog(level: number, write: (text: string) => void): SshLog {
  let eol = "\n";
  const line = (text: string) => write(`${safeText(text, 4000, true)}${eol}`);
  const at = (min: number, text: string) => {
    if (level >= min) line(text);
  };
  return {
    level,
    debugN: (n, m) => at(LEVEL.DEBUG1 + n - 1, `debug${n}: ${m}`),
    debug: (category, m) =>
      at(
        category === "ssh2" ? LEVEL.DEBUG3 : LEVEL.DEBUG1,
        `debug${category === "ssh2" ? 3 : 1}: ${m}`,
      ),
    debugOn: (category) => level >= (category === "ssh2" ? LEVEL.DEBUG3 : LEVEL.DEBUG1),
    info: (m) => at(LEVEL.INFO, m),
    warn: (m) => at(LEVEL.ERROR, `Warning: ${m}`),
    error: (m) => at(LEVEL.FATAL, m),
    setRaw(raw) {
      eol = raw ? "\r\n" : "\n";
    },
  };
}

/** Where the lines go: stderr, or appended to the -E file (made 0600 if new). */
export function logWriter(file: string | undefined): (text: string) => void {
  const encoder = new TextEncoder();
  if (file === undefined) return (text) => _writeAllSync(Deno.stderr, encoder.encode(text));
  let f: Deno.FsFile | undefined;
  return (text) => {
    f ??= Deno.openSync(file, { append: true, create: true, mode: 0o600 });
    _writeAllSync(f, encoder.encode(text));
  };
}

function _writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
