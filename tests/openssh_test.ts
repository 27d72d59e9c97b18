/** connect over the openssh backend, against a real sshd started by the test. */

import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  runWithOpenStdin,
  sha256,
  sockhopArgv,
  startServe,
  tempDir,
  testEnv,
} from "./_cli.ts";
import { requirePeer, startSshd } from "./_sshd.ts";
import { sockhopWrapper, sshOption } from "./_remote.ts";

const dec = new TextDecoder();
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

Deno.test("openssh: 64 MiB each way, equal by SHA-256", async () => {
  if (!havePeers()) return;
  await using w = await world();
  await using up = await startServe(["sum", "exec:sha256sum"], w.env);
  const data = randomBytes(64 * 1024 * 1024);
  await Deno.writeFile(`${w.dir}/down.bin`, data);
  await using down = await startServe(["down", "exec:cat", `${w.dir}/down.bin`], w.env);

  const t0 = performance.now();
  const r1 = await runSockhop(w.args("sum"), { env: w.env, stdin: data });
  const upSeconds = (performance.now() - t0) / 1000;
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(dec.decode(r1.stdout), `${await sha256(data)}  -\n`);

  const t1 = performance.now();
  const r2 = await runSockhop(w.args("down"), { env: w.env });
  const downSeconds = (performance.now() - t1) / 1000;
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(await sha256(r2.stdout), await sha256(data));
  console.log(
    `  64 MiB up ${(67.1 / upSeconds).toFixed(0)} MB/s, down ${
      (67.1 / downSeconds).toFixed(0)
    } MB/s`,
  );
  await up.stop();
  await down.stop();
});

Deno.test("openssh: half-close: stdin's EOF does not cut the reply", async () => {
  if (!havePeers()) return;
  await using w = await world();
  await using s = await startServe([
    "late",
    "exec:sh",
    "-c",
    "cat >/dev/null; sleep 0.5; echo reply",
  ], w.env);
  const r = await runSockhop(w.args("late"), { env: w.env, stdin: randomBytes(100000) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "reply\n");
  await s.stop();
});

Deno.test("openssh: ends when the session's command does, stdin still open", async () => {
  if (!havePeers()) return;
  await using w = await world();
  await using s = await startServe(["bye", "exec:echo", "bye"], w.env);
  const r = await runWithOpenStdin(w.args("bye"), w.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "bye\n");
  assert.ok(r.ms < 5000, `ended after ${r.ms} ms`);
  await s.stop();
});

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

Deno.test("openssh: unknown session and missing remote sockhop: messages and exit codes", async () => {
  if (!havePeers()) return;
  await using w = await world();
  await using s = await startServe(["alpha", "exec:cat"], w.env);
  const t0 = performance.now();
  const r = await runSockhop(w.args("beta"), { env: w.env });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'sockhop: Remote: No session "beta"; sessions here: alpha');
  const missing = await runSockhop(
    [
      ...w.args("alpha").filter((a) => !a.startsWith("--remote-sockhop")),
      "--remote-sockhop=/nonexistent/sockhop",
    ],
    { env: w.env },
  );
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /sockhop was not found on the remote host \(tried \/nonexistent\/sockhop\).*--remote-sockhop/,
  );
  assert.ok(performance.now() - t0 < 20000, "errors come within seconds");
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
    while (!/marker received/.test(log)) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(/ssh pid (\d+)/.exec(log)![1]);
    child.kill("SIGTERM");
    const status = await child.status;
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
