/**
 * The native SSH scenario for a sockhop that starts slowly: Deno's linux-arm64 build under
 * qemu, which tools/arm64_suite.sh names in SOCKHOP_BIN and runs this file by name (it is not a
 * *_test.ts: the main suite leaves it out). serve, the built-in client, a real OpenSSH sshd and
 * the remote `_proxy` are all that build.
 */

import assert from "node:assert/strict";
import { runSockhop, sha256, startServe, tempDir, testEnv } from "./_cli.ts";
import { nativeFlags, requirePeer, startSshd } from "./_sshd.ts";
import { sockhopWrapper } from "./_remote.ts";

/** Each start under emulation takes 10 to 60 s. */
const START_MS = 300_000;

Deno.test("arm64: the built-in client through a real sshd to the remote _proxy and a session", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(dir, `${dir}/s`);
  await using _serve = await startServe(["arm", "exec:sort"], env, { startMs: START_MS });
  const lines = Array.from({ length: 20000 }, (_, i) => `line ${(i * 7919) % 20000}`);
  const input = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));
  const want = new TextEncoder().encode(lines.sort().map((l) => `${l}\n`).join(""));
  const r = await runSockhop(
    [
      "connect",
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/arm`,
      ...nativeFlags(sshd),
      `--remote-sockhop=${wrapper}`,
    ],
    { env, stdin: input },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256(r.stdout), await sha256(want));
});
