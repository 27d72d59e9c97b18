import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { generateHostKeyPair, loadHostKeys } from "../lib/host_keys.ts";
import { tempDir } from "./_cli.ts";

Deno.test("host keys: every generated ed25519 pair loads back (ssh2 drops leading zeros)", () => {
  // About one raw ssh2 key in 256 is broken: 1000 pairs catch that almost always.
  for (let i = 0; i < 1000; i++) {
    const pair = generateHostKeyPair("ed25519");
    const key = ssh2.utils.parseKey(pair.private);
    assert.ok(!(key instanceof Error), `pair ${i}: ${key instanceof Error ? key.message : ""}`);
  }
});

Deno.test("host keys: generated on first use with mode 0600, then reused", async () => {
  await using dir = await tempDir();
  const [first] = loadHostKeys([], `${dir}/sockhop`, false);
  assert.equal((await Deno.stat(`${dir}/sockhop/ssh_host_ed25519_key`)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(`${dir}/sockhop`)).mode! & 0o777, 0o700);
  const [again] = loadHostKeys([], `${dir}/sockhop`, false);
  assert.equal(again!.fingerprint, first!.fingerprint);
  assert.match(first!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});
