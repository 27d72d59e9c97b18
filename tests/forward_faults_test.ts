/**
 * forward against a real sshd, through each backend: it fails at start when it cannot serve
 * (host down, login refused, no session), carries 30 tunnels at once over one SSH
 * connection, and comes back by itself after sshd restarts or a connection freezes.
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  runWithOpenStdin,
  sha256,
  startServe,
  tempDir,
  testEnv,
  within,
} from "./_cli.ts";
import { exchange, exchangeAll, startForward } from "./_forward.ts";
import { freePort, keygen, requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { sockhopWrapper, sshOption } from "./_remote.ts";
import { startSshServe, USER } from "./_serve_ssh.ts";
import { type Backend, BACKENDS } from "./_backends.ts";

/** A forward's world: sshd, a session "echo" (cat) and the remote sockhop. */
async function rig(backend: Backend) {
  const dir = await tempDir();
  const sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const serve = await startServe(["echo", "exec:cat"], env);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const flags = await backend.flags(sshd, `${dir}`);
  return {
    dir,
    sshd,
    env,
    args: (name: string, more: string[] = [], port = sshd.port) => [
      "forward",
      `ssh://${sshd.user}@127.0.0.1:${port}/${name}`,
      ...flags,
      ...more,
      `--remote-sockhop=${wrapper}`,
      "--listen=tcp:127.0.0.1:0",
    ],
    async [Symbol.asyncDispose]() {
      await serve.stop();
      await sshd.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

function skip(backend: Backend): boolean {
  return !requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") || !backend.available();
}

async function logins(sshd: Sshd): Promise<number> {
  return (await sshd.log()).match(/Accepted publickey/g)?.length ?? 0;
}

const ONE_MIB = 1024 * 1024;

for (const backend of BACKENDS) {
  Deno.test(`forward (${backend.name}): fails at start, with the cause`, async (t) => {
    if (skip(backend)) return;
    await using r = await rig(backend);
    await t.step("host down: exit 1", async () => {
      const res = await runWithOpenStdin(r.args("echo", [], freePort()), r.env, 30000);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /refused|Cannot connect|failed/i);
      assert.doesNotMatch(res.stderr, /forwarding/);
    });
    await t.step("no such session: exit 1, naming it", async () => {
      const res = await runWithOpenStdin(r.args("nosuch"), r.env, 60000);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /No session "nosuch"/);
      assert.doesNotMatch(res.stderr, /forwarding/);
    });
    if (backend.name !== "native") {
      await t.step("a host key not known: exit 1, not retried", async () => {
        // ssh: no known_hosts (the first value of an option wins); plink: no --host-key.
        const unknown = r.args("echo").map((a) =>
          a.startsWith("--ssh=") && backend.name === "openssh"
            ? `--ssh=${
              sshOption([
                "ssh",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                ...r.sshd.sshWords().slice(1),
              ])
            }`
            : a
        ).filter((a) => !a.startsWith("--host-key="));
        const res = await runWithOpenStdin(unknown, r.env, 30000);
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, /Host key verification failed|host key is not cached/i);
        const fwd = await startForward([...unknown.slice(1), "--retry"], r.env);
        const t0 = Date.now();
        while (!/not reconnecting: /.test(fwd.log()) && Date.now() - t0 < 30000) {
          await new Promise((res) => setTimeout(res, 100));
        }
        assert.match(fwd.log(), /not reconnecting: .*send SIGHUP/);
        assert.doesNotMatch(fwd.log(), /reconnecting \(attempt/);
        assert.equal(await fwd.stop("SIGINT"), 130);
      });
    }
    await t.step("a key the server does not accept: exit 1, not retried", async () => {
      // Our key, swapped for one sshd does not know.
      await keygen(`${r.dir}/other`);
      await Deno.rename(`${r.dir}/other`, r.sshd.clientKey);
      if (backend.name === "plink") {
        // plink's key is the .ppk converted from the key: convert the new one.
        const ppk = `${r.dir}/client.ppk`;
        await new Deno.Command("puttygen", {
          args: [r.sshd.clientKey, "-O", "private", "-o", ppk],
          stderr: "null",
        }).output();
      }
      const before = await logins(r.sshd);
      const res = await runWithOpenStdin(r.args("echo"), r.env, 30000);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /Permission denied|refused|No supported authentication|key/i);
      assert.equal(await logins(r.sshd), before);
      // --retry listens, and stops trying at once: the login needs the user.
      const fwd = await startForward([...r.args("echo").slice(1), "--retry"], r.env);
      const t0 = Date.now();
      while (!/not reconnecting: /.test(fwd.log()) && Date.now() - t0 < 30000) {
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.match(fwd.log(), /not reconnecting: .*send SIGHUP/);
      await new Promise((res) => setTimeout(res, 1000));
      assert.equal(fwd.log().match(/not reconnecting/g)?.length, 1, "tried once");
      assert.doesNotMatch(fwd.log(), /reconnecting \(attempt/);
      assert.equal(await fwd.stop("SIGINT"), 130);
    });
  });

  Deno.test(`forward (${backend.name}): 30 tunnels at once, 1 MiB each, over one SSH connection`, async () => {
    if (skip(backend)) return;
    await using r = await rig(backend);
    const fwd = await startForward(r.args("echo").slice(1), r.env);
    const payloads = Array.from({ length: 30 }, () => randomBytes(ONE_MIB));
    const replies = await exchangeAll(fwd.where, payloads, fwd.log);
    for (let i = 0; i < payloads.length; i++) {
      assert.equal(await sha256(replies[i]!), await sha256(payloads[i]!), `tunnel ${i}`);
    }
    assert.equal(await logins(r.sshd), 1, "one SSH connection for every tunnel");
    assert.equal(await fwd.stop("SIGINT"), 130);
  });
}

/** `promise`, or a failure naming `what` after `ms`: a bound on a wait, not a measurement. */
async function echoed(where: string, what: string, ms: number) {
  const data = randomBytes(64 * 1024);
  const reply = await within(ms, what, exchange(where, data));
  assert.equal(await sha256(reply), await sha256(data), what);
}

for (const backend of BACKENDS) {
  Deno.test(`forward (${backend.name}): sshd restarted while idle, the next client is served`, async () => {
    if (skip(backend)) return;
    await using r = await rig(backend);
    const fwd = await startForward(r.args("echo").slice(1), r.env);
    await echoed(fwd.where, "before the restart", 60000);
    await r.sshd.restart();
    const t0 = Date.now();
    await echoed(fwd.where, "after the restart", 60000);
    console.log(`served ${Date.now() - t0} ms after sshd came back`);
    assert.match(fwd.log(), /reconnecting \(attempt 1, next in \d+\.\d s, /);
    assert.equal(await fwd.stop("SIGINT"), 130);
  });
}

// plink has no keepalive option to shorten: its ping is forward's default (45 s), the same
// mechanism as openssh's here.
for (const backend of BACKENDS.filter((b) => b.name !== "plink")) {
  Deno.test(`forward (${backend.name}): a frozen connection is found dead and replaced`, async () => {
    if (skip(backend)) return;
    await using r = await rig(backend);
    const fwd = await startForward(
      r.args("echo", ["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=3"]).slice(1),
      r.env,
    );
    await echoed(fwd.where, "before the freeze", 60000);
    const frozen = r.sshd.connectionPids();
    assert.ok(frozen.length > 0, "sshd has a connection process");
    for (const pid of frozen) Deno.kill(pid, "SIGSTOP");
    try {
      const t0 = Date.now();
      await echoed(fwd.where, "while the first connection is frozen", 75000);
      console.log(`served ${Date.now() - t0} ms after the freeze`);
      assert.equal(await logins(r.sshd), 2, "served through a new connection");
    } finally {
      for (const pid of frozen) Deno.kill(pid, "SIGCONT");
    }
    assert.equal(await fwd.stop("SIGINT"), 130);
  });
}

Deno.test("forward through sockhop's own SSH server: the session checked, 30 tunnels on one channel", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = `${dir}/key`;
  await Deno.writeTextFile(`${dir}/authorized_keys`, `${await keygen(key)}\n`);
  await using server = await startSshServe(`${dir}/authorized_keys`, ["echo", "exec:cat"], env);
  const words = [
    `ssh://${USER}@127.0.0.1:${server.port}/echo`,
    "--ssh=native",
    "-F",
    "none",
    "-i",
    key,
    "--insecure-accept-any-host-key",
    "--listen=tcp:127.0.0.1:0",
  ];
  const missing = await runWithOpenStdin(
    ["forward", ...words.map((w) => w.replace(/\/echo$/, "/nosuch"))],
    env,
    30000,
  );
  assert.equal(missing.code, 1, missing.stderr);
  // A server for one session refuses any other at once, saying why.
  assert.match(
    missing.stderr,
    /No session "nosuch" on this SSH server: it is sockhop serve echo's own \(--bind-ssh\)/,
  );
  const fwd = await startForward(words, env);
  const payloads = Array.from({ length: 30 }, () => randomBytes(ONE_MIB));
  const replies = await exchangeAll(fwd.where, payloads, fwd.log);
  for (let i = 0; i < payloads.length; i++) {
    assert.equal(await sha256(replies[i]!), await sha256(payloads[i]!), `tunnel ${i}`);
  }
  assert.equal(await fwd.stop("SIGINT"), 130);
  // Each connection is logged when it ends: the refused forward's, and this one's.
  const ended = () => server.log().match(/: user=\S+ method=publickey session=/g)?.length ?? 0;
  for (let i = 0; i < 100 && ended() < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(ended(), 2, server.log());
});

for (const backend of BACKENDS.filter((b) => b.name !== "plink")) {
  Deno.test(`forward (${backend.name}): a remote sockhop without _proxy --mux gets one channel per tunnel`, async () => {
    if (skip(backend)) return;
    await using r = await rig(backend);
    // An older sockhop: _proxy knows no --mux (parseArgs' words, exit 2).
    const old = `${r.dir}/old-sockhop`;
    const current = /--remote-sockhop=(.*)/.exec(r.args("echo").join("\n"))![1]!;
    await Deno.writeTextFile(
      old,
      `#!/bin/sh\nif [ "$2" = --mux ]; then echo "sockhop: Unknown option '--mux'" >&2; exit 2; fi\nexec '${current}' "$@"\n`,
      { mode: 0o755 },
    );
    const args = r.args("echo").slice(1).map((a) =>
      a.startsWith("--remote-sockhop=") ? `--remote-sockhop=${old}` : a
    );
    const fwd = await startForward(args, r.env);
    assert.match(fwd.log(), /cannot carry every tunnel in one channel .*--mux.*: one per tunnel/);
    await echoed(fwd.where, "through a channel of its own", 60000);
    await echoed(fwd.where, "and another", 60000);
    assert.equal(await fwd.stop("SIGINT"), 130);
  });
}
