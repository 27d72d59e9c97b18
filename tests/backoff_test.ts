import assert from "node:assert/strict";
import { ACCEPT_RETRY_MS } from "../lib/accept_loop.ts";
import { BACKOFF_CAP_MS, backoffMs, doublingMs } from "../lib/backoff.ts";

Deno.test("backoff: 0.1 s doubling to a 5 min cap, each wait between half and all of it", () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, high)), [100, 200, 400, 800]);
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, low)), [50, 100, 200, 400]);
  assert.equal(backoffMs(30, high), BACKOFF_CAP_MS);
  assert.equal(backoffMs(1000, low), BACKOFF_CAP_MS / 2);
  const drawn = new Set(Array.from({ length: 20 }, () => backoffMs(5)));
  assert.ok(drawn.size > 1, "jittered");
});

Deno.test("backoff: a listener that cannot accept pauses 10 ms, doubling to 1 s, no jitter", () => {
  const pauses = [1, 2, 3, 7, 8, 50].map((n) => doublingMs(n, ...ACCEPT_RETRY_MS));
  assert.deepEqual(pauses, [10, 20, 40, 640, 1000, 1000]);
});
