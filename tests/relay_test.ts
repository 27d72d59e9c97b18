import assert from "node:assert/strict";
import { type Duplex, relay } from "../lib/relay.ts";

/** An in-memory duplex end whose writes are slow, recording the peak of bytes in flight. */
function memoryEnd(input: Uint8Array[], opts: { writeDelayMs?: number } = {}) {
  const written: Uint8Array[] = [];
  let closedWrite = false;
  let closed = false;
  const end: Duplex = {
    readable: (async function* () {
      for (const c of input) yield c;
    })(),
    async write(chunk) {
      if (opts.writeDelayMs) await new Promise((r) => setTimeout(r, opts.writeDelayMs));
      written.push(chunk);
    },
    closeWrite() {
      closedWrite = true;
      return Promise.resolve();
    },
    close() {
      closed = true;
    },
  };
  return { end, written, state: () => ({ closedWrite, closed }) };
}

Deno.test("relay: half-close: one side's EOF does not cut the other's reply", async () => {
  const a = memoryEnd([new Uint8Array([1, 2, 3])]);
  const b = memoryEnd([new Uint8Array([9]), new Uint8Array([8, 7])], { writeDelayMs: 5 });
  const r = await relay(a.end, b.end);
  assert.equal(r.aToB, 3);
  assert.equal(r.bToA, 3);
  assert.equal(r.error, undefined);
  assert.deepEqual(a.written.map((c) => [...c]), [[9], [8, 7]]);
  assert.deepEqual(a.state(), { closedWrite: true, closed: true });
});

Deno.test("relay: a failing side ends both and the error is reported", async () => {
  const a = memoryEnd([new Uint8Array([1])]);
  const failing: Duplex = {
    readable: (async function* () {
      await new Promise((r) => setTimeout(r, 5));
      yield new Uint8Array([1]);
      throw new Error("boom");
    })(),
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {},
  };
  const r = await relay(a.end, failing);
  assert.equal(r.error?.message, "boom");
  assert.equal(a.state().closed, true);
});

Deno.test("relay: backpressure: a slow writer holds the reader back", async () => {
  let produced = 0;
  let consumed = 0;
  let maxAhead = 0;
  const src: Duplex = {
    readable: (async function* () {
      for (let i = 0; i < 50; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield new Uint8Array(1024);
      }
    })(),
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {},
  };
  const slow: Duplex = {
    readable: (async function* () {})(),
    async write() {
      await new Promise((r) => setTimeout(r, 1));
      consumed++;
    },
    closeWrite: () => Promise.resolve(),
    close() {},
  };
  const r = await relay(src, slow);
  assert.equal(r.aToB, 50 * 1024);
  assert.ok(maxAhead <= 2, `reader ran ${maxAhead} chunks ahead of the writer`);
});
