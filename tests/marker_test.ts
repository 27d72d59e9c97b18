import assert from "node:assert/strict";
import { MARKER_OK, markerErr, readMarker } from "../lib/marker.ts";

const enc = new TextEncoder();

async function* chunks(parts: (string | Uint8Array)[]) {
  for (const p of parts) yield typeof p === "string" ? enc.encode(p) : p;
}

Deno.test("marker: found after noise, split across chunks, rest kept", async () => {
  const it = chunks(["Welcome!\nlast login", " yesterday\nSOCK", "HOP/1 O", "K\nDATA", "MORE"]);
  const r = await readMarker(it);
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.equal(new TextDecoder().decode(r.noise), "Welcome!\nlast login yesterday\n");
  assert.equal(new TextDecoder().decode(r.rest), "DATA");
  assert.equal(new TextDecoder().decode((await it.next()).value as Uint8Array), "MORE");
});

Deno.test("marker: only at a line start; ERR carries its message", async () => {
  const r = await readMarker(chunks(["echo SOCKHOP/1 OK\n", markerErr('No session\n"x"')]));
  assert.deepEqual(r.kind === "err" ? r.message : r.kind, 'No session "x"');
  assert.equal((await readMarker(chunks([MARKER_OK]))).kind, "ok");
  assert.equal((await readMarker(chunks(["SOCKHOP/1 OK\r\n"]))).kind, "ok");
});

Deno.test("marker: EOF and too much noise", async () => {
  assert.equal((await readMarker(chunks(["bash: sockhop: not found\n"]))).kind, "eof");
  const big = new Uint8Array(1024).fill(0x41);
  const r = await readMarker(chunks(Array(10).fill(big)), 4096);
  assert.equal(r.kind, "too-much-noise");
});

Deno.test("marker: a line that only looks like a marker is noise", async () => {
  const r = await readMarker(chunks(["SOCKHOP/1 fake\nSOCKHOP/1 OKAY\n", "SOCKHOP/1 OK\nx"]));
  assert.equal(r.kind, "ok");
  if (r.kind === "ok") assert.equal(new TextDecoder().decode(r.rest), "x");
});
