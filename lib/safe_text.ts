/**
 * Text from elsewhere (a remote error line, a session name, a config or connection file) made
 * safe to print: no control characters or escape sequences reach the terminal, and a quote
 * of untrusted input stays short.
 */

/** How much of an untrusted value an error message quotes. */
export const QUOTE_MAX = 200;

// C0 controls but tab and newline, DEL, C1 controls; ESC sequences go whole (CSI, OSC, ...)
// so what is left of them does not read as text either.
// deno-lint-ignore no-control-regex
const _ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])/g;
// deno-lint-ignore no-control-regex
const _CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` without escape sequences and control characters (tab and newline kept unless
 * `oneLine`, which turns them into spaces), cut to `max` characters with the rest counted.
 */
export function safeText(text: string, max = Infinity, oneLine = false): string {
  let clean = text.replace(_ESCAPE_SEQUENCE, "").replace(_CONTROL, "");
  if (oneLine) clean = clean.replace(/[\t\n]+/g, " ");
  if (clean.length <= max) return clean;
  return `${clean.slice(0, max)}... (${clean.length - max} more characters)`;
}

/** An untrusted value quoted in a message: JSON-quoted, cleaned and cut to QUOTE_MAX. */
export function quote(value: string, max = QUOTE_MAX): string {
  return JSON.stringify(safeText(value, max, true));
}
