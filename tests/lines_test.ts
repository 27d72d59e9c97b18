/** Output read as lines, however the reads cut it. */

import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { eachLine, LINE_KEEP, tailLines } from "../lib/lines.ts";

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

Deno.test("lines: 24 MiB with no newline keeps only the end of the line, and then a line still comes whole", async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  const reader = eachLine(stream, (l) => lines.push(l));
  const chunk = "x".repeat(64 * 1024);
  let largest = 0;
  for (let i = 0; i < 24 * 16; i++) {
    stream.write(chunk);
    await new Promise((r) => setTimeout(r, 0));
    largest = Math.max(largest, reader.pending().length);
  }
  assert.ok(largest <= LINE_KEEP + 3, `a pending line grew to ${largest} characters`);
  stream.write("the end of it\r\nnext\n");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(lines.length, 2);
  assert.ok(lines[0]!.startsWith("...x"));
  assert.ok(lines[0]!.endsWith("xthe end of it"));
  assert.equal(lines[0]!.length, LINE_KEEP + 3);
  assert.equal(lines[1], "next");
  assert.equal(reader.pending(), "");
  const done = ended(stream);
  stream.end();
  stream.resume();
  await done;
});
