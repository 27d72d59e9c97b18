import assert from "node:assert/strict";
import { BACKOFF_CAP_MS, backoffMs } from "../lib/backoff.ts";

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
