/**
 * The native backend against a real sshd: agent, keys, passwords, host keys, hops, keepalive.
 * The scenarios every backend shares are in backend_contract_test.ts.
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  sha256,
  sockhopArgv,
  startServe,
  tempDir,
  testEnv,
  until,
} from "./_cli.ts";
import { keygen, requirePeer, type Sshd, startSshd, withTestUser } from "./_sshd.ts";
import { markerWrapper, sockhopWrapper } from "./_remote.ts";
import { exchangeAll, startForward } from "./_forward.ts";

const dec = new TextDecoder();
const haveSshd = () => requirePeer("sshd", "/usr/sbin/sshd", "openssh-server");

/** Native flags for a harness sshd: no user config, its known_hosts, its key. */
function nativeArgs(sshd: Sshd, extra: string[] = []): string[] {
  return [
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-i",
    sshd.clientKey,
    "-o",
    "IdentitiesOnly=yes",
    ...extra,
  ];
}

async function world() {
  const dir = await tempDir();
  const sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const url = (name: string) => `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`;
  return {
    dir,
    sshd,
    env,
    wrapper,
    url,
    args: (
      name: string,
      ...more: string[]
    ) => ["connect", url(name), ...nativeArgs(sshd), `--remote-sockhop=${wrapper}`, ...more],
    async [Symbol.asyncDispose]() {
      await sshd.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("native: direct-streamlocal with no remote sockhop", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  const data = randomBytes(8 * 1024 * 1024);
  await using echo = await startServe(["echo", "exec:cat"], w.env);
  const socketPath = `${w.dir}/s/${Deno.hostname()}-echo`;
  const direct = await runSockhop(
    [
      "connect",
      w.url(""),
      ...nativeArgs(w.sshd),
      `--remote-socket=${socketPath}`,
      "--remote-sockhop=/nonexistent",
    ],
    { env: w.env, stdin: data },
  );
  assert.equal(direct.code, 0, direct.stderr);
  assert.equal(await sha256(direct.stdout), await sha256(data));
  await echo.stop();
});

Deno.test("native: --remote-socket refused by sshd's AllowStreamLocalForwarding names both causes", async () => {
  if (!haveSshd()) return;
  await using dir = await tempDir();
  await using sshd = await startSshd({ extraConfig: ["AllowStreamLocalForwarding no"] });
  // A live socket at that path: the refusal is the policy's, not a missing listener.
  const path = `${dir}/live.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  try {
    const r = await runSockhop(
      [
        "connect",
        `ssh://${sshd.user}@127.0.0.1:${sshd.port}/`,
        ...nativeArgs(sshd),
        `--remote-socket=${path}`,
      ],
      { env: testEnv(`${dir}/s`) },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /: nothing accepts connections at that path/);
    assert.match(r.stderr, new RegExp(`refused a stream to ${path} \\(.*code 2\\)`));
    assert.match(
      r.stderr,
      /either nothing accepts connections at that path .* or the server forbids/,
    );
    assert.match(r.stderr, /AllowStreamLocalForwarding/);
  } finally {
    listener.close();
  }
});

Deno.test("native: with no terminal, an unknown host key is refused with its fingerprint and the ways to trust it", async () => {
  if (!haveSshd() || !requirePeer("setsid", "setsid", "util-linux")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const empty = `${dir}/known_hosts`;
  await Deno.writeTextFile(empty, "");
  const r = await runSockhop(
    [
      "connect",
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
      "--ssh=native",
      "-F",
      "none",
      "-o",
      `UserKnownHostsFile=${empty}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-i",
      sshd.clientKey,
    ],
    // setsid: no controlling terminal to ask on, as under cron or CI.
    { env: testEnv(`${dir}/s`), argv: ["setsid", ...sockhopArgv()] },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.trim(),
    `sockhop: Host key for [127.0.0.1]:${sshd.port} is not known (ED25519 ${sshd.hostKeyFingerprint}): ` +
      `if that is the host's key, trust it with --host-key=${sshd.hostKeyFingerprint}, or ` +
      `-o StrictHostKeyChecking=accept-new to add it to ${empty} (or connect once on a ` +
      `terminal and answer yes)`,
  );
  assert.equal(await Deno.readTextFile(empty), "", "nothing trusted");
});

Deno.test("native: a real ssh-agent holds the key", async () => {
  if (!haveSshd() || !requirePeer("ssh-agent", "ssh-agent", "openssh-client")) return;
  await using w = await world();
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const sock = `${w.dir}/agent.sock`;
  const agent = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 100; i++) {
      try {
        Deno.statSync(sock);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const add = await new Deno.Command("ssh-add", {
      args: [w.sshd.clientKey],
      env: { SSH_AUTH_SOCK: sock },
      stderr: "null",
    }).output();
    assert.equal(add.code, 0);
    const args = [
      "connect",
      w.url("echo"),
      "--ssh=native",
      "-F",
      "none",
      "-o",
      `UserKnownHostsFile=${w.sshd.knownHosts}`,
      "-o",
      "BatchMode=yes",
      `--remote-sockhop=${w.wrapper}`,
      "--debug=ssh",
    ];
    const r = await runSockhop(args, {
      env: { ...w.env, SSH_AUTH_SOCK: sock },
      stdin: new TextEncoder().encode("via agent"),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(r.stdout), "via agent");
    assert.match(r.stderr, /auth: trying the agent/);
    assert.doesNotMatch(r.stderr, /auth: trying key/);
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
  }
  await s.stop();
});

Deno.test("native: an encrypted key answered through SSH_ASKPASS", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const key = `${w.dir}/enc_key`;
  const pub = await keygen(key, "correct horse");
  await Deno.writeTextFile(`${w.sshd.dir}/authorized_keys`, pub + "\n", { append: true });
  const askpass = `${w.dir}/askpass.sh`;
  await Deno.writeTextFile(
    askpass,
    `#!/bin/sh\necho "$1" >> '${w.dir}/asked'\necho 'correct horse'\n`,
    { mode: 0o755 },
  );
  await Deno.chmod(askpass, 0o755);
  const args = [
    "connect",
    w.url("echo"),
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${w.sshd.knownHosts}`,
    "-i",
    key,
    "-o",
    "IdentitiesOnly=yes",
    `--remote-sockhop=${w.wrapper}`,
  ];
  const r = await runSockhop(args, {
    env: { ...w.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" },
    stdin: new TextEncoder().encode("unlocked"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "unlocked");
  assert.match(await Deno.readTextFile(`${w.dir}/asked`), /Enter passphrase for key '.*enc_key'/);

  const noWay = await runSockhop(args, { env: w.env });
  assert.equal(noWay.code, 1);
  // What was tried, why it stopped, and the fix.
  assert.match(
    noWay.stderr,
    /Authentication failed for \S+ \(tried none; the server allows publickey\): cannot ask "Enter passphrase for key '.*enc_key'" \(no terminal and no SSH_ASKPASS program\): load the key into ssh-agent \(ssh-add KEY\), or run on a terminal/,
  );

  // BatchMode in a config file: no question, even with SSH_ASKPASS there to answer it.
  await Deno.remove(`${w.dir}/asked`);
  await Deno.writeTextFile(`${w.dir}/batch_config`, "Host *\n  BatchMode yes\n");
  const batch = await runSockhop(
    args.map((a) => a === "none" ? `${w.dir}/batch_config` : a),
    { env: { ...w.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" } },
  );
  assert.equal(batch.code, 1, batch.stderr);
  assert.equal(await Deno.readTextFile(`${w.dir}/asked`).catch(() => ""), "", "nothing asked");
  await s.stop();
});

Deno.test("native: known_hosts: accept-new writes, changed refused, hashed matches, comments kept", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const kh = `${w.dir}/kh`;
  const base = (
    more: string[],
  ) => [
    "connect",
    w.url("echo"),
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${kh}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-i",
    w.sshd.clientKey,
    "-o",
    "IdentitiesOnly=yes",
    `--remote-sockhop=${w.wrapper}`,
    ...more,
  ];
  const hello = new TextEncoder().encode("hi");

  await Deno.writeTextFile(kh, "# my hosts\n");
  const strict = await runSockhop(base(["-o", "StrictHostKeyChecking=yes"]), {
    env: w.env,
    stdin: hello,
  });
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /Host key for \[127\.0\.0\.1\]:\d+ is not known \(ED25519 SHA256:/);

  const batch = await runSockhop(base(["-o", "BatchMode=yes"]), { env: w.env, stdin: hello });
  assert.equal(batch.code, 1, "ask under BatchMode refuses");

  const acceptNew = await runSockhop(
    base(["-o", "StrictHostKeyChecking=accept-new", "-o", "HashKnownHosts=yes"]),
    { env: w.env, stdin: hello },
  );
  assert.equal(acceptNew.code, 0, acceptNew.stderr);
  const text = await Deno.readTextFile(kh);
  assert.ok(text.startsWith("# my hosts\n|1|"), text);
  const again = await runSockhop(base(["-o", "StrictHostKeyChecking=yes"]), {
    env: w.env,
    stdin: hello,
  });
  assert.equal(again.code, 0, `the hashed entry matches: ${again.stderr}`);

  const other = await keygen(`${w.dir}/other`);
  await Deno.writeTextFile(
    kh,
    `# my hosts\n[127.0.0.1]:${w.sshd.port} ${other.split(" ").slice(0, 2).join(" ")}\n`,
  );
  const changed = await runSockhop(base(["-o", "StrictHostKeyChecking=no"]), {
    env: w.env,
    stdin: hello,
  });
  assert.equal(changed.code, 1);
  assert.match(
    changed.stderr,
    new RegExp(
      `Host key for \\[127\\.0\\.0\\.1\\]:${w.sshd.port} has changed .* in ${kh} line 2\\. If the change is expected, remove that line`,
    ),
  );
  await s.stop();
});

Deno.test("native: keyboard-interactive and password for a throwaway user", async () => {
  if (!haveSshd()) return;
  await withTestUser(async (user) => {
    await using dir = await tempDir();
    await Deno.chmod(`${dir}`, 0o755);
    const env = testEnv(`${dir}/s`);
    const wrapper = await markerWrapper(`${dir}`, "sha256sum");
    const data = randomBytes(100000);
    const want = `${await sha256(data)}  -\n`;
    const pw = `${dir}/pw`;
    await Deno.writeTextFile(pw, user.password + "\n", { mode: 0o600 });
    for (
      const [what, opts] of [["password", { passwordAuth: true }], ["keyboard-interactive", {
        kbdInteractive: true,
      }]] as const
    ) {
      await using sshd = await startSshd(opts);
      const args = [
        "connect",
        `ssh://${user.name}@127.0.0.1:${sshd.port}/x`,
        "--ssh=native",
        "-F",
        "none",
        "-o",
        `UserKnownHostsFile=${sshd.knownHosts}`,
        "-o",
        "IdentityAgent=none",
        "-o",
        "BatchMode=no",
        `--remote-sockhop=${wrapper}`,
        "--debug=ssh",
      ];
      const r = await runSockhop([...args, `--password-file=${pw}`], { env, stdin: data });
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(dec.decode(r.stdout), want);
      assert.match(
        r.stderr,
        new RegExp(
          `auth: trying ${what === "password" ? "the given password" : "keyboard-interactive"}`,
        ),
      );
      await Deno.writeTextFile(`${dir}/bad`, "wrong\n");
      const bad = await runSockhop([...args, `--password-file=${dir}/bad`], {
        env: { ...env, SSH_ASKPASS_REQUIRE: "never" },
      });
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /Authentication failed for \S+ \(tried none.*the server allows .*\): the password was refused: check the user name and the password \(--password-file\)/,
      );
    }
  });
});

Deno.test("native: a two-hop ProxyJump through a second sshd, and -J", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using jump = await startSshd();
  await Deno.writeTextFile(
    `${jump.dir}/authorized_keys`,
    await Deno.readTextFile(`${w.sshd.clientKey}.pub`),
  );
  const known = `${w.dir}/known_both`;
  await Deno.writeTextFile(
    known,
    (await Deno.readTextFile(w.sshd.knownHosts)) + (await Deno.readTextFile(jump.knownHosts)),
  );
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const config = `${w.dir}/config`;
  await Deno.writeTextFile(
    config,
    `Host target\n  HostName 127.0.0.1\n  Port ${w.sshd.port}\n  ProxyJump hop\nHost hop\n  HostName 127.0.0.1\n  Port ${jump.port}\nHost *\n  UserKnownHostsFile ${known}\n  GlobalKnownHostsFile /dev/null\n  IdentityFile ${w.sshd.clientKey}\n  IdentitiesOnly yes\n  BatchMode yes\n  User ${w.sshd.user}\n`,
  );
  const data = randomBytes(2 * 1024 * 1024);
  const viaConfig = await runSockhop([
    "connect",
    "ssh://target/echo",
    "--ssh=native",
    "-F",
    config,
    `--remote-sockhop=${w.wrapper}`,
    "--debug=ssh",
  ], { env: w.env, stdin: data });
  assert.equal(viaConfig.code, 0, viaConfig.stderr);
  assert.equal(await sha256(viaConfig.stdout), await sha256(data));
  assert.match(viaConfig.stderr, /jump host 1: .*:\d+/);
  const viaJ = await runSockhop([
    "connect",
    "ssh://target/echo",
    "--ssh=native",
    "-F",
    config,
    // -J wins over the config's ProxyJump (ssh refuses an -o ProxyJump before it).
    "-J",
    `127.0.0.1:${jump.port}`,
    `--remote-sockhop=${w.wrapper}`,
  ], { env: w.env, stdin: data });
  assert.equal(viaJ.code, 0, viaJ.stderr);
  assert.equal(await sha256(viaJ.stdout), await sha256(data));
  assert.equal(((await jump.log()).match(/Accepted publickey/g) ?? []).length, 2);
  await s.stop();
});

Deno.test("native: a peer that stops answering is detected by keepalive", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["slow", "exec:sleep", "60"], w.env);
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [
      ...rest,
      ...w.args(
        "slow",
        "-o",
        "ServerAliveInterval=1",
        "-o",
        "ServerAliveCountMax=2",
        "--debug=ssh",
      ),
    ],
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
  await until("channel 1: exec opened", () => /channel 1: exec opened/.test(log)).catch((err) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}\n${log}`);
  });
  // Freeze the per-connection sshd processes: the peer stops answering, the socket stays open.
  const frozen = _sshdChildren(w.sshd.dir);
  for (const pid of frozen) {
    try {
      Deno.kill(pid, "SIGSTOP");
    } catch (err) {
      // One that ended between the listing and now (sshd's privsep helpers come and go).
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const t0 = performance.now();
  const status = await child.status;
  const seconds = (performance.now() - t0) / 1000;
  await reading;
  await child.stdin.close().catch(() => {});
  for (const pid of frozen) {
    try {
      Deno.kill(pid, "SIGCONT");
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  assert.equal(status.code, 1, log);
  assert.match(log, /stopped answering: no reply to 2 keepalives 1 s apart/);
  assert.ok(seconds < 15, `detected in ${seconds.toFixed(1)} s`);
  await s.stop();
});

Deno.test("native: --print-config parses back; auto picks openssh for a ProxyCommand", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const config = `${dir}/config`;
  await Deno.writeTextFile(
    config,
    "Host box\n  HostName 10.1.2.3\n  Port 2222\n  User alice\n  IdentityFile ~/.ssh/id_box\n  ServerAliveInterval 5\nHost viaproxy\n  ProxyCommand nc %h %p\n",
  );
  const printed = await runSockhop(["connect", "ssh://box/x", "-F", config, "--print-config"], {
    env,
  });
  assert.equal(printed.code, 0, printed.stderr);
  const text = dec.decode(printed.stdout);
  // As ssh -G prints it: identity files as written.
  assert.match(text, /^host box\nuser alice\nhostname 10\.1\.2\.3\nport 2222\n/);
  assert.match(text, /^identityfile ~\/\.ssh\/id_box$/m);
  await Deno.writeTextFile(`${dir}/printed`, text);
  const again = await runSockhop([
    "connect",
    "ssh://box/x",
    "-F",
    `${dir}/printed`,
    "--print-config",
  ], { env });
  assert.equal(dec.decode(again.stdout), text, "what it prints parses back to the same");

  const auto = await runSockhop([
    "connect",
    "ssh://viaproxy/x",
    "-F",
    config,
    "--debug=ssh",
    "--ssh=auto",
  ], { env: { ...env, PATH: "/nonexistent" } });
  assert.match(
    auto.stderr,
    /--ssh=auto: using openssh, because of ProxyCommand nc %h %p \(.*config line 8;/,
  );
});

function _sshdChildren(marker: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmdline.startsWith("sshd:") && !cmdline.includes(marker)) pids.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return pids;
}

Deno.test("native: forward carries every tunnel as a channel of one SSH connection", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["echo", "exec:cat"], w.env);
  const fwd = await startForward(
    [
      w.url("echo"),
      "--listen=tcp:127.0.0.1:0",
      ...nativeArgs(w.sshd),
      `--remote-sockhop=${w.wrapper}`,
    ],
    w.env,
  );
  const payloads = Array.from({ length: 20 }, () => randomBytes(8 * 1024 * 1024));
  const replies = await exchangeAll(fwd.where, payloads, fwd.log);
  for (let i = 0; i < payloads.length; i++) {
    assert.equal(await sha256(replies[i]!), await sha256(payloads[i]!), `tunnel ${i}`);
  }
  assert.equal(
    ((await w.sshd.log()).match(/Accepted publickey/g) ?? []).length,
    1,
    "one handshake",
  );
  assert.equal(await fwd.stop("SIGINT"), 130);
  await s.stop();
});

Deno.test("native: --host-key pins the server's key, known_hosts aside", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["hello", "exec:echo", "ready"], w.env);
  await Deno.writeTextFile(`${w.dir}/empty`, "");
  const args = (pin: string) =>
    w.args("hello", `--host-key=${pin}`).map((a) =>
      a === `UserKnownHostsFile=${w.sshd.knownHosts}` ? `UserKnownHostsFile=${w.dir}/empty` : a
    );
  const right = await runSockhop(args(w.sshd.hostKeyFingerprint), { env: w.env });
  assert.equal(right.code, 0, right.stderr);
  assert.equal(dec.decode(right.stdout), "ready\n");
  const wrongPin = `SHA256:${"A".repeat(43)}`;
  const wrong = await runSockhop(args(wrongPin), { env: w.env });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`not the pinned ${wrongPin}: check the fingerprint`));
  assert.equal(await Deno.readTextFile(`${w.dir}/empty`), "", "known_hosts untouched");
  await s.stop();
});

Deno.test("native: an askpass that answers nothing never trusts an unknown host key", async () => {
  if (!haveSshd()) return;
  await using w = await world();
  await using s = await startServe(["hello", "exec:echo", "ready"], w.env);
  await Deno.writeTextFile(`${w.dir}/kh`, "");
  const args = w.args("hello", "-o", "StrictHostKeyChecking=ask")
    .map((a) =>
      a === `UserKnownHostsFile=${w.sshd.knownHosts}` ? `UserKnownHostsFile=${w.dir}/kh` : a
    )
    .map((a) => a === "BatchMode=yes" ? "BatchMode=no" : a);
  const r = await runSockhop(args, {
    env: { ...w.env, SSH_ASKPASS: "/bin/true", SSH_ASKPASS_REQUIRE: "force" },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(dec.decode(r.stdout), "");
  assert.equal(await Deno.readTextFile(`${w.dir}/kh`), "", "nothing added to known_hosts");
  await s.stop();
});

Deno.test("native: ConnectTimeout covers a server that accepts and never speaks", async () => {
  await using dir = await tempDir();
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  const port = (silent.addr as Deno.NetAddr).port;
  const t0 = Date.now();
  const r = await runSockhop([
    "connect",
    `ssh://nobody@127.0.0.1:${port}/x`,
    "--ssh=native",
    "-F",
    "none",
    "-o",
    "ConnectTimeout=1",
    "-o",
    `UserKnownHostsFile=${dir}/kh`,
  ], { env: testEnv(`${dir}/s`) });
  const ms = Date.now() - t0;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /timed out during banner exchange \(ConnectTimeout 1 s\)/);
  assert.ok(ms < 5000, `gave up after ${ms} ms`);
  for (const c of held) c.close();
  silent.close();
  await accepting;
});

Deno.test("native: --print-config shows -i and -J as ssh -G does", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir}/k1`, "");
  const r = await runSockhop([
    "connect",
    "ssh://box/x",
    "-F",
    "none",
    "-i",
    `${dir}/k1`,
    "-i",
    `${dir}/missing`,
    "-J",
    "hop1,hop2:2222",
    "--print-config",
  ], { env: testEnv(`${dir}/s`) });
  assert.equal(r.code, 0, r.stderr);
  // A key file that is not there is dropped with a warning, as ssh -G drops it.
  assert.deepEqual(dec.decode(r.stdout).match(/^identityfile .*$/gm), [`identityfile ${dir}/k1`]);
  assert.match(r.stderr, /Identity file .*missing not accessible/);
  assert.match(dec.decode(r.stdout), /^proxyjump hop1,hop2:2222$/m);
});
