/**
 * The marker line `_proxy` prints before the session's bytes, and the reader that finds it
 * after whatever the remote login printed first (MOTD, shell start-up noise).
 */

import { SockhopError } from "./errors.ts";

export const MARKER_PREFIX = "SOCKHOP/1 ";
export const MARKER_OK = "SOCKHOP/1 OK\n";
/** Noise beyond this before a marker means the remote side is not sockhop. */
export const MAX_NOISE = 4 * 1024 * 1024;

/** The ERR marker line for a message (kept to one line). */
export function markerErr(message: string): string {
  return `${MARKER_PREFIX}ERR ${message.replace(/[\r\n]+/g, " ")}\n`;
}

/**
 * Run `reach`, then print the OK marker on stdout (`_proxy`, `_proxy --mux`). When it fails,
 * print the ERR marker with its message and throw it, a "no-session" SockhopError unless it is
 * one already, so that the exit code is non-zero.
 */
export async function markAfter<T>(reach: () => Promise<T>): Promise<T> {
  const out = new TextEncoder();
  let reached: T;
  try {
    reached = await reach();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await Deno.stdout.write(out.encode(markerErr(message)));
    throw err instanceof SockhopError
      ? err
      : new SockhopError(message, "no-session", { cause: err });
  }
  await Deno.stdout.write(out.encode(MARKER_OK));
  return reached;
}

export type MarkerResult =
  | { readonly kind: "ok"; readonly noise: Uint8Array; readonly rest: Uint8Array }
  | { readonly kind: "err"; readonly noise: Uint8Array; readonly message: string }
  | { readonly kind: "eof"; readonly noise: Uint8Array }
  | { readonly kind: "too-much-noise"; readonly noise: Uint8Array };

const PREFIX = new TextEncoder().encode(MARKER_PREFIX);

/**
 * Read from `chunks` until a marker line starts at the beginning of a line. Consumes only what
 * it needs: bytes after the marker are returned as `rest`, the iterator is left open.
 */
export async function readMarker(
  chunks: AsyncIterator<Uint8Array>,
  maxNoise = MAX_NOISE,
): Promise<MarkerResult> {
  let buf: Uint8Array = new Uint8Array(0);
  let searched = 0;
  for (;;) {
    const found = _findMarker(buf, searched);
    if (found.start >= 0 && found.end >= 0) {
      const line = new TextDecoder().decode(buf.subarray(found.start + PREFIX.length, found.end))
        .replace(/\r$/, "");
      const noise = buf.subarray(0, found.start);
      if (line === "OK") return { kind: "ok", noise, rest: buf.subarray(found.end + 1) };
      if (line === "ERR" || line.startsWith("ERR ")) {
        return { kind: "err", noise, message: line.slice(4) };
      }
      // A line that only looks like a marker is noise: search on after it.
      searched = found.end + 1;
      continue;
    }
    searched = found.start >= 0 ? found.start : Math.max(0, buf.length - PREFIX.length);
    if (buf.length > maxNoise) return { kind: "too-much-noise", noise: buf };
    const r = await chunks.next();
    if (r.done) return { kind: "eof", noise: buf };
    const next = new Uint8Array(buf.length + r.value.length);
    next.set(buf);
    next.set(r.value, buf.length);
    buf = next;
  }
}

/** Index of a marker prefix at a line start at or after `from`, and of the newline ending it. */
function _findMarker(buf: Uint8Array, from: number): { start: number; end: number } {
  for (let i = from; i <= buf.length - PREFIX.length; i++) {
    if (i > 0 && buf[i - 1] !== 0x0a) continue;
    let match = true;
    for (let j = 0; j < PREFIX.length; j++) {
      if (buf[i + j] !== PREFIX[j]) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    return { start: i, end: buf.indexOf(0x0a, i + PREFIX.length) };
  }
  return { start: -1, end: -1 };
}
