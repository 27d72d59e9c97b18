/** Output read as lines, however the reads cut it. */

import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { eachLine, tailLines } from "../lib/lines.ts";

function ended(stream: PassThrough): Promise<void> {
  return new Promise((r) => stream.once("end", () => r()));
}

Deno.test("lines: a line cut across two reads comes out whole; CRLF and the last line too", async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  const reader = eachLine(stream, (l) => lines.push(l));
  stream.write("ssh: connect to host db por");
  stream.write("t 22: Connection refused\r\nsecond\n\nlast without newline");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(reader.pending(), "last without newline");
  const done = ended(stream);
  stream.end();
  stream.resume();
  await done;
  assert.deepEqual(lines, [
    "ssh: connect to host db port 22: Connection refused",
    "second",
    "",
    "last without newline",
  ]);
  assert.equal(reader.pending(), "");
});

Deno.test("tail: the last non-blank lines, the one still being written included", async () => {
  const stream = new PassThrough();
  const seen: string[] = [];
  const tail = tailLines(stream, (l) => seen.push(l), 3);
  for (let i = 1; i <= 5; i++) stream.write(`line ${i}\n\n`);
  stream.write("half a li");
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(tail(), ["line 4", "line 5", "half a li"]);
  stream.write("ne\n");
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(tail(), ["line 4", "line 5", "half a line"]);
  assert.equal(seen.length, 11);
});
