/**
 * connect over the openssh backend, against a real sshd started by the test: what only ssh does
 * (login noise, its exit statuses, --exit-ssh). The scenarios every backend shares are in
 * backend_contract_test.ts.
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  sha256,
  sockhopArgv,
  startServe,
  stopChild,
  tempDir,
  testEnv,
  until,
} from "./_cli.ts";
import { requirePeer, startSshd } from "./_sshd.ts";
import { sockhopWrapper, sshOption } from "./_remote.ts";

const havePeers = () =>
  requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") &&
  requirePeer("ssh", "ssh", "openssh-client");

/** A test world: sshd, a socket dir, the remote wrapper, and the connect arguments. */
async function world(extraConfig: string[] = []) {
  const dir = await tempDir();
  const sshd = await startSshd({ extraConfig });
  const socketDir = `${dir}/s`;
  const env = testEnv(socketDir);
  const wrapper = await sockhopWrapper(dir, socketDir);
  const args = (name: string, ...more: string[]) => [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`,
    `--ssh=${sshOption(sshd.sshWords())}`,
    `--remote-sockhop=${wrapper}`,
    ...more,
  ];
  return {
    dir,
    sshd,
    env,
    args,
    async [Symbol.asyncDispose]() {
      await sshd.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("openssh: login noise before the command is discarded, bytes exact", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  const noisy = `${dir}/noisy.sh`;
  await Deno.writeTextFile(
    noisy,
    `#!/bin/sh\necho "Welcome to the test host"\nprintf 'SOCKHOP/1 fake-without-newline'\necho\necho "more noise"\nexec sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    { mode: 0o755 },
  );
  await Deno.chmod(noisy, 0o755);
  await using w = await world([`ForceCommand ${noisy}`]);
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const data = randomBytes(4 * 1024 * 1024);
  const r = await runSockhop(w.args("echo"), { env: w.env, stdin: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256(r.stdout), await sha256(data));
  const dbg = await runSockhop(w.args("echo", "--debug=ssh"), {
    env: w.env,
    stdin: new Uint8Array(0),
  });
  assert.match(dbg.stderr, /Welcome to the test host/);
  await s.stop();
});

Deno.test("openssh: ssh missing, ssh failing (255), with distinct messages", async () => {
  if (!havePeers()) return;
  await using w = await world();
  const noSsh = await runSockhop(["connect", "ssh://127.0.0.1/x", "--ssh=/nonexistent/ssh"], {
    env: w.env,
  });
  assert.equal(noSsh.code, 1);
  assert.match(noSsh.stderr, /\/nonexistent\/ssh not found: install it/);

  const closed = await runSockhop(
    ["connect", `ssh://127.0.0.1:1/x`, `--ssh=${sshOption(w.sshd.sshWords())}`],
    { env: w.env },
  );
  assert.equal(closed.code, 1);
  assert.match(
    closed.stderr,
    /ssh failed \(exit 255\): ssh: connect to host 127\.0\.0\.1 port 1: Connection refused/,
  );

  const badKey = await runSockhop(
    [
      "connect",
      `ssh://nobody-xyz@127.0.0.1:${w.sshd.port}/x`,
      `--ssh=${sshOption(w.sshd.sshWords())}`,
    ],
    { env: w.env },
  );
  assert.equal(badKey.code, 1);
  assert.match(badKey.stderr, /ssh failed \(exit 255\): .*Permission denied/);

  await Deno.writeTextFile(
    w.sshd.knownHosts,
    `[127.0.0.1]:${w.sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`,
  );
  const changed = await runSockhop(w.args("x"), { env: w.env });
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /ssh failed \(exit 255\): Host key verification failed/);
});

Deno.test("openssh: --exit-ssh=yes ends ssh on SIGTERM, no leaves it running", async () => {
  if (!havePeers()) return;
  await using w = await world();
  await using s = await startServe(["slow", "exec:sleep", "30"], w.env);
  for (const mode of ["yes", "no"]) {
    const [cmd, ...rest] = sockhopArgv();
    const child = new Deno.Command(cmd!, {
      args: [...rest, ...w.args("slow", `--exit-ssh=${mode}`, "--debug=ssh")],
      env: w.env,
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const reading = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) log += r.value;
    })();
    await until("marker received", () => /marker received/.test(log)).catch((err) => {
      child.kill("SIGKILL");
      throw new Error(`${err.message}\n${log}`);
    });
    const pid = Number(/ssh pid (\d+)/.exec(log)![1]);
    const status = await stopChild(child, "SIGTERM");
    await reading;
    await child.stdin.close().catch(() => {});
    assert.equal(status.code, 143);
    const alive = _alive(pid);
    if (mode === "yes") assert.equal(alive, false, "exit-ssh=yes ends ssh");
    else {
      assert.equal(alive, true, "exit-ssh=no leaves ssh running");
      Deno.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && _alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    }
  }
  await s.stop();
});

function _alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
