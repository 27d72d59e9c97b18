/**
 * tools/smoke.sh, the release workflow's check of each platform's binary, run here against the
 * sockhop under test (SOCKHOP_BIN's artifact, or main.ts through a wrapper), so the script the
 * other platforms depend on is known to work before a release needs it.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { VERSION } from "../lib/version.ts";
import { SOCKHOP, sockhopArgv, tempDir } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";

const SMOKE = fileURLToPath(new URL("../tools/smoke.sh", import.meta.url));

Deno.test("smoke: tools/smoke.sh passes against sockhop, and fails on a wrong version", async () => {
  if (!requirePeer("bash") || !requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir("sockhop-smoke-");
  let bin = SOCKHOP;
  if (sockhopArgv().length > 1) {
    bin = `${dir}/sockhop`;
    const words = sockhopArgv().map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
    await Deno.writeTextFile(bin, `#!/bin/sh\nexec ${words} "$@"\n`, { mode: 0o755 });
  }
  const run = (version: string) =>
    new Deno.Command("bash", { args: [SMOKE, bin, version], stdout: "piped", stderr: "piped" })
      .output();
  const good = await run(VERSION);
  const said = new TextDecoder().decode(good.stderr);
  assert.equal(good.code, 0, said);
  assert.match(said, /connect --ssh=native: ok/);
  assert.match(said, /all passed/);
  const wrong = await run("0.0.0-not-this");
  assert.equal(wrong.code, 1);
  assert.match(new TextDecoder().decode(wrong.stderr), /the release is 0\.0\.0-not-this/);
});
