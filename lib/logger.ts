/** A logger passed into lib/ code, so that only main.ts decides where messages go. */

import { safeText } from "./safe_text.ts";

export interface Logger {
  /** Shown when `--debug=<category>` (or `all`) is on. */
  debug(category: string, message: string): void;
  info(message: string): void;
  warn(message: string): void;
  debugOn(category: string): boolean;
}

export interface LogOptions {
  /** Start each line with the time, ISO 8601 (a log file, or stderr that is not a terminal). */
  readonly timestamps?: boolean;
  /** Where lines go (default: stderr). */
  readonly write?: (bytes: Uint8Array) => void;
}

/**
 * A logger that writes to stderr (or `options.write`), with the debug categories turned on.
 * Every message is made safe where it is written (safeText): much of what is logged came from
 * elsewhere (a server's banner, a remote's stderr, what a client sent that a service echoed on
 * its stderr), and an escape sequence in it would set the window title or clear the screen.
 */
export function stderrLogger(
  debugCategories: readonly string[],
  prefix = "sockhop",
  options: LogOptions = {},
): Logger {
  const on = new Set(debugCategories);
  const sink = options.write ?? ((bytes: Uint8Array) => Deno.stderr.writeSync(bytes));
  const write = (text: string) => {
    const stamp = options.timestamps ? `${new Date().toISOString()} ` : "";
    sink(new TextEncoder().encode(stamp + safeText(text) + "\n"));
  };
  const debugOn = (c: string) => on.has(c) || on.has("all");
  return {
    debug(category, message) {
      if (debugOn(category)) write(`${prefix} [${category}] ${message}`);
    },
    info(message) {
      write(`${prefix}: ${message}`);
    },
    warn(message) {
      write(`${prefix}: warning: ${message}`);
    },
    debugOn,
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  debugOn: () => false,
};
