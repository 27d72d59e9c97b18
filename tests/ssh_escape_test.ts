/** ssh's escape sequences on a pty session's input (lib/ssh_escape.ts). */

import assert from "node:assert/strict";
import { escapeFilter } from "../lib/ssh_escape.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("ssh_escape: ~. after a newline ends the session; elsewhere ~ is a character", () => {
  const tilde = "~".charCodeAt(0);
  const f = escapeFilter(tilde);
  assert.deepEqual(dec(f(enc("echo a~.b\r")).data), "echo a~.b\r");
  const ended = f(enc("~."));
  assert.equal(ended.disconnect, true);
  assert.equal(dec(ended.data), "");
  // At the very start too, and split across chunks.
  const g = escapeFilter(tilde);
  assert.equal(g(enc("~")).disconnect, false);
  assert.equal(g(enc(".")).disconnect, true);
  // ~~ sends one ~; ~x sends both.
  const h = escapeFilter(tilde);
  assert.equal(dec(h(enc("~~x\n~y")).data), "~x\n~y");
  // Another escape character (-e ^A).
  const k = escapeFilter(1);
  assert.equal(k(enc("\n\x01.")).disconnect, true);
});
