/**
 * What every SSH backend owes `connect`, as one set of scenarios run against each: the system
 * ssh, plink and the built-in client, over a real sshd started here. Bytes exact both ways,
 * half-close, the end of the session's command ends the connection, and a remote failure
 * comes back as the same message and exit status whichever backend carried it. What only one
 * backend has (ssh's ControlMaster, the built-in client's host key checks) is tested in its
 * own file.
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  runWithOpenStdin,
  sha256,
  startServe,
  tempDir,
  testEnv,
} from "./_cli.ts";
import { requirePeer, startSshd } from "./_sshd.ts";
import { BACKENDS } from "./_backends.ts";
import { sockhopWrapper } from "./_remote.ts";

const dec = new TextDecoder();

for (const backend of BACKENDS) {
  Deno.test(`${backend.name}: the backend contract`, async (t) => {
    if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") || !backend.available()) return;
    await using dir = await tempDir();
    await using sshd = await startSshd();
    const env = testEnv(`${dir}/s`);
    const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
    const flags = await backend.flags(sshd, `${dir}`);
    const url = (name: string) => `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`;
    const args = (name: string, remoteSockhop = wrapper) => [
      "connect",
      url(name),
      ...flags,
      `--remote-sockhop=${remoteSockhop}`,
    ];

    await t.step("64 MiB each way, equal by SHA-256", async () => {
      await using up = await startServe(["sum", "exec:sha256sum"], env);
      const data = randomBytes(64 * 1024 * 1024);
      await Deno.writeFile(`${dir}/down.bin`, data);
      await using down = await startServe(["down", "exec:cat", `${dir}/down.bin`], env);
      const t0 = performance.now();
      const r1 = await runSockhop(args("sum"), { env, stdin: data });
      const upSeconds = (performance.now() - t0) / 1000;
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(dec.decode(r1.stdout), `${await sha256(data)}  -\n`);
      const t1 = performance.now();
      const r2 = await runSockhop(args("down"), { env });
      const downSeconds = (performance.now() - t1) / 1000;
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(await sha256(r2.stdout), await sha256(data));
      console.log(
        `  ${backend.name}: 64 MiB up ${(67.1 / upSeconds).toFixed(0)} MB/s, down ${
          (67.1 / downSeconds).toFixed(0)
        } MB/s`,
      );
      await up.stop();
      await down.stop();
    });

    await t.step("half-close: stdin's EOF does not cut the reply", async () => {
      await using late = await startServe([
        "late",
        "exec:sh",
        "-c",
        "cat >/dev/null; sleep 0.5; echo reply",
      ], env);
      const r = await runSockhop(args("late"), { env, stdin: randomBytes(100000) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(dec.decode(r.stdout), "reply\n");
      await late.stop();
    });

    await t.step("ends when the session's command does, stdin still open", async () => {
      await using bye = await startServe(["bye", "exec:echo", "bye"], env);
      const r = await runWithOpenStdin(args("bye"), env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(dec.decode(r.stdout), "bye\n");
      assert.ok(r.ms < 5000, `ended after ${r.ms} ms`);
      await bye.stop();
    });

    await t.step("unknown session, missing remote sockhop: messages and exit codes", async () => {
      await using alpha = await startServe(["alpha", "exec:cat"], env);
      const t0 = performance.now();
      const r = await runSockhop(args("beta"), { env });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'sockhop: Remote: No session "beta"; sessions here: alpha');
      const missing = await runSockhop(args("alpha", "/nonexistent/sockhop"), { env });
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /sockhop was not found on the remote host \(tried \/nonexistent\/sockhop\).*--remote-sockhop/,
      );
      assert.ok(performance.now() - t0 < 20000, "errors come within seconds");
      await alpha.stop();
    });
  });
}
