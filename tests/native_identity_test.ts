/** The built-in client's key files, against a real sshd. */

import assert from "node:assert/strict";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { nativeFlags, requirePeer, startSshd } from "./_sshd.ts";
import { sockhopWrapper } from "./_remote.ts";

Deno.test("identity: a key others may read (0644) is refused as ssh refuses it, naming the file and the chmod", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const key = `${dir}/key`;
  await Deno.copyFile(sshd.clientKey, key);
  const args = [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/nothing-here`,
    "-i",
    key,
    ...nativeFlags(sshd).filter((a) => a !== sshd.clientKey && a !== "-i"),
    "-o",
    "BatchMode=yes",
    `--remote-sockhop=${wrapper}`,
  ];
  for (const mode of [0o644, 0o640, 0o604]) {
    await Deno.chmod(key, mode);
    const r = await runSockhop(args, { env });
    assert.equal(r.code, 1, r.stderr);
    const octal = mode.toString(8).padStart(4, "0");
    assert.match(
      r.stderr,
      new RegExp(
        `UNPROTECTED PRIVATE KEY FILE: permissions ${octal} for ".*/key" are too open.*run chmod 600 ".*/key"`,
      ),
    );
    assert.match(r.stderr, /Authentication failed/);
  }
  // 0600 (and 0400): the same key logs in; the session is then missing, not the login.
  for (const mode of [0o600, 0o400]) {
    await Deno.chmod(key, mode);
    const r = await runSockhop(args, { env });
    assert.doesNotMatch(r.stderr, /UNPROTECTED|Authentication failed/);
    assert.match(r.stderr, /nothing-here/);
  }
});
