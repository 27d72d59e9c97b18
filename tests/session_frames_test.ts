import assert from "node:assert/strict";
import {
  encodeFrame,
  endExitCode,
  endMessage,
  framedPath,
  readFrames,
  readOneFrame,
} from "../lib/session_frames.ts";

function frame(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `bytes` cut at `cuts`, each piece a fresh copy (as reads give them). */
async function* pieces(bytes: Uint8Array, cuts: number[]) {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) yield bytes.slice(at, cut);
    at = Math.max(at, cut);
  }
}

async function decode(bytes: Uint8Array, cuts: number[]) {
  const data: Uint8Array[] = [];
  const events: string[] = [];
  for await (const f of readFrames(pieces(bytes, cuts))) {
    if (f.kind === "data") data.push(f.bytes.slice());
    else events.push(f.kind === "eof" ? "eof" : JSON.stringify(f.end));
  }
  return { data: concat(data), events };
}

Deno.test("frames: data, EOF and status come back whole however the stream is cut", async () => {
  const payloads = [3, 1, 70000, 5, 0x10000].map((n, i) => new Uint8Array(n).fill(i + 1));
  const stream = concat([
    ...payloads.map((p) => frame("D", p)),
    frame("E", new Uint8Array(0)),
    frame("S", new TextEncoder().encode('{"signal":"SIGKILL"}')),
  ]);
  const want = concat(payloads);
  for (let seed = 1; seed <= 50; seed++) {
    let x = seed;
    const cuts = Array.from(
      { length: seed % 20 },
      () => (x = (x * 48271) % 2147483647) % stream.length,
    )
      .sort((a, b) => a - b);
    const got = await decode(stream, cuts);
    assert.deepEqual(got.data, want, `cuts ${cuts}`);
    assert.deepEqual(got.events, ["eof", '{"signal":"SIGKILL"}']);
  }
  // Every cut of a short stream, a byte at a time included.
  const short = concat([
    frame("D", new Uint8Array([1, 2])),
    frame("S", new TextEncoder().encode('{"exit":3}')),
  ]);
  const all = await decode(short, Array.from({ length: short.length }, (_, i) => i));
  assert.deepEqual([...all.data], [1, 2]);
  assert.deepEqual(all.events, ['{"exit":3}']);
});

Deno.test("frames: no status, a broken stream or not sockhop's framing: lost", async () => {
  const cut = await decode(frame("D", new Uint8Array([9])), []);
  assert.deepEqual(cut.events, ['{"lost":"the connection closed"}']);
  const alien = await decode(new TextEncoder().encode("SSH-2.0-x\r\n"), []);
  assert.deepEqual(alien.events, ['{"lost":"not sockhop\'s framing"}']);
  const odd = await decode(frame("S", new TextEncoder().encode('{"exit":"x"}')), []);
  assert.deepEqual(odd.events, ['{"lost":"a status sockhop does not know"}']);
  async function* failing() {
    yield frame("D", new Uint8Array([1]));
    throw new Error("Connection reset by peer");
  }
  const events = [];
  for await (const f of readFrames(failing())) events.push(f.kind === "status" ? f.end : f.kind);
  assert.deepEqual(events, ["data", { lost: "Connection reset by peer" }]);
});

Deno.test("frames: statuses as exit codes and messages", () => {
  assert.equal(endExitCode({ exit: 0 }), 0);
  assert.equal(endMessage({ exit: 0 }), undefined);
  assert.equal(endExitCode({ exit: 7 }), 7);
  assert.equal(endMessage({ exit: 7 }), "The session's command exited with status 7");
  assert.equal(endExitCode({ signal: "SIGKILL" }), 137);
  assert.equal(endMessage({ signal: "SIGKILL" }), "The session's command was killed by SIGKILL");
  assert.equal(endExitCode({ error: "x" }), 1);
  assert.equal(endExitCode({ lost: "x" }), 1);
  assert.match(
    endMessage({ lost: "the connection closed" })!,
    /^The session ended without a status/,
  );
});

Deno.test("session frames: the companion socket is in .framed2 beside the session socket", () => {
  assert.equal(framedPath("/run/user/7/sockhop/h-pg"), "/run/user/7/sockhop/.framed2/h-pg");
  assert.equal(framedPath("s/h-pg"), "s/.framed2/h-pg");
  assert.equal(framedPath("/h-pg"), "/.framed2/h-pg");
});

Deno.test("readOneFrame: one frame cut at every byte, what follows kept; too long or cut short is none", async () => {
  const frame = encodeFrame(0x49, new TextEncoder().encode('{"pid":1}'));
  const after = new Uint8Array([1, 2, 3]);
  const whole = new Uint8Array([...frame, ...after]);
  async function* bytewise(bytes: Uint8Array) {
    for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
  }
  async function* once(bytes: Uint8Array) {
    yield bytes;
  }
  const split = await readOneFrame(bytewise(whole), 100);
  assert.equal(split?.type, 0x49);
  assert.equal(new TextDecoder().decode(split?.payload), '{"pid":1}');
  const joined = await readOneFrame(once(whole), 100);
  assert.deepEqual([...joined!.rest], [1, 2, 3]);
  assert.equal(await readOneFrame(once(whole), 4), undefined);
  assert.equal(await readOneFrame(once(frame.subarray(0, frame.length - 1)), 100), undefined);
});
