/**
 * ssh's escape sequences on a pty session's input, the ones a stuck session needs: after a
 * newline (or at the start), the escape character (`~` unless EscapeChar or -e says otherwise)
 * then `.` ends the session; typed twice, it sends itself once. Any other character after it
 * is sent with it, as ssh does for a sequence it does not know.
 */

/** What one chunk of input comes to: the bytes to send, and whether `~.` was typed. */
export interface Escaped {
  readonly data: Uint8Array;
  readonly disconnect: boolean;
}

/** A filter over the input; `escape` is the character's code. */
export function escapeFilter(escape: number): (chunk: Uint8Array) => Escaped {
  let lineStart = true;
  let pending = false;
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (pending) {
        pending = false;
        if (b === 0x2e) return { data: new Uint8Array(out), disconnect: true };
        if (b !== escape) out.push(escape);
        out.push(b);
        lineStart = b === 0x0d || b === 0x0a;
        continue;
      }
      if (lineStart && b === escape) {
        pending = true;
        continue;
      }
      out.push(b);
      lineStart = b === 0x0d || b === 0x0a;
    }
    return { data: new Uint8Array(out), disconnect: false };
  };
}
