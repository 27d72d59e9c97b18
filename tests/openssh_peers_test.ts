/**
 * plink, sshpass, jump hosts, ControlMaster and forward over SSH, against real sshds. The
 * scenarios every backend shares are in backend_contract_test.ts.
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  sha256,
  SOCKHOP,
  sockhopArgv,
  startServe,
  tempDir,
  testEnv,
} from "./_cli.ts";
import { requirePeer, startSshd, withTestUser } from "./_sshd.ts";
import { allCommandLines, markerWrapper, sockhopWrapper, sshOption } from "./_remote.ts";
import { exchangeAll, startForward } from "./_forward.ts";

const dec = new TextDecoder();

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("plink: a wrong pinned key is refused by plink, and said so", async () => {
  if (
    !requirePeer("plink", "plink", "putty-tools") ||
    !requirePeer("puttygen", "puttygen", "putty-tools")
  ) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const ppk = `${dir}/client.ppk`;
  const conv = await run("puttygen", [sshd.clientKey, "-O", "private", "-o", ppk]);
  assert.equal(conv.code, 0, conv.stderr);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  await using up = await startServe(["sum", "exec:sha256sum"], env);
  const wrong = await runSockhop(
    [
      "connect",
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/sum`,
      `--ssh=plink -ssh -noagent -i ${ppk}`,
      "--host-key=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      `--remote-sockhop=${wrapper}`,
    ],
    { env },
  );
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /plink failed/);
  await up.stop();
});

Deno.test("passwords: sshpass -e and plink -pwfile; no password in any command line", async () => {
  if (!requirePeer("sshpass") || !requirePeer("plink", "plink", "putty-tools")) return;
  await withTestUser(async (user) => {
    await using dir = await tempDir();
    await Deno.chmod(`${dir}`, 0o755);
    await using sshd = await startSshd({ passwordAuth: true });
    const env = testEnv(`${dir}/s`);
    const wrapper = await markerWrapper(`${dir}`, "sh -c 'sleep 1; exec sha256sum'");
    const data = randomBytes(1024 * 1024);
    const want = `${await sha256(data)}  -\n`;
    const pwFile = `${dir}/pw`;
    await Deno.writeTextFile(pwFile, user.password + "\n", { mode: 0o600 });
    const sshWords = sshOption([
      "ssh",
      "-F",
      "/dev/null",
      "-o",
      `UserKnownHostsFile=${sshd.knownHosts}`,
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "PreferredAuthentications=password",
    ]);
    const cases: [string, string[]][] = [
      ["sshpass, URL password", [
        "connect",
        `ssh://${user.name}:${encodeURIComponent(user.password)}@127.0.0.1:${sshd.port}/x`,
        `--ssh=${sshWords}`,
      ]],
      ["sshpass, --password-file", [
        "connect",
        `ssh://${user.name}@127.0.0.1:${sshd.port}/x`,
        `--ssh=${sshWords}`,
        `--password-file=${pwFile}`,
      ]],
      ["plink -pwfile", [
        "connect",
        `ssh://${user.name}@127.0.0.1:${sshd.port}/x`,
        "--ssh=plink -ssh -noagent",
        `--host-key=${sshd.hostKeyFingerprint}`,
        `--password-file=${pwFile}`,
      ]],
      // Let go rather than ended: its password file must go all the same.
      ["plink -pwfile, --exit-ssh=no", [
        "connect",
        `ssh://${user.name}@127.0.0.1:${sshd.port}/x`,
        "--ssh=plink -ssh -noagent",
        `--host-key=${sshd.hostKeyFingerprint}`,
        `--password-file=${pwFile}`,
        "--exit-ssh=no",
      ]],
    ];
    for (const [what, args] of cases) {
      const before = new Set(
        [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")].map((e) => e.name),
      );
      let seenLeak = "";
      let sawSsh = false;
      let done = false;
      const running = runSockhop([...args, `--remote-sockhop=${wrapper}`], { env, stdin: data })
        .finally(() => done = true);
      while (!done) {
        // The user typed the URL (password included) into sockhop's own command line: that
        // one is theirs; every process sockhop starts must be clean.
        for (const line of allCommandLines().filter((l) => !l.includes(SOCKHOP))) {
          if (line.includes(user.password)) seenLeak = line;
          if (line.includes(`127.0.0.1`) && /sshpass|plink/.test(line)) sawSsh = true;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await running;
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(dec.decode(r.stdout), want, what);
      assert.equal(seenLeak, "", `${what}: the password showed in a command line`);
      assert.ok(sawSsh, `${what}: the scan saw the ssh process`);
      const after = [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")].map((e) => e.name);
      assert.deepEqual(
        after.filter((n) => !before.has(n) && n.startsWith("sockhop-pw")),
        [],
        `${what}: temp files left`,
      );
    }
    const wrong = await runSockhop([
      "connect",
      `ssh://${user.name}:wrong@127.0.0.1:${sshd.port}/x`,
      `--ssh=${sshWords}`,
      `--remote-sockhop=${wrapper}`,
    ], { env });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Wrong password/);
  });
});

Deno.test("passwords: a password without sshpass says how to install it", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { PATH: "/nonexistent" });
  const r = await runSockhop(["connect", "ssh://u:pw@127.0.0.1:1/x", `--ssh=${Deno.execPath()}`], {
    env,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sshpass is not installed: install it \(apt-get install sshpass\)/);
});

Deno.test("jump host: proxy_* URL keys through a second sshd", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using target = await startSshd();
  await using jump = await startSshd();
  // The jump host accepts the target's client key; one known_hosts knows both.
  await Deno.writeTextFile(
    `${jump.dir}/authorized_keys`,
    await Deno.readTextFile(`${target.clientKey}.pub`),
  );
  const known = `${dir}/known_hosts`;
  await Deno.writeTextFile(
    known,
    (await Deno.readTextFile(target.knownHosts)) + (await Deno.readTextFile(jump.knownHosts)),
  );
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const words = target.sshWords().map((w) =>
    w.startsWith("UserKnownHostsFile=") ? `UserKnownHostsFile=${known}` : w
  );
  const data = randomBytes(4 * 1024 * 1024);
  const r = await runSockhop([
    "connect",
    `ssh://${target.user}@127.0.0.1:${target.port}/echo?proxy_host=127.0.0.1&proxy_port=${jump.port}&proxy_username=${jump.user}&proxy_key=${
      encodeURIComponent(target.clientKey)
    }`,
    `--ssh=${sshOption(words)}`,
    `--remote-sockhop=${wrapper}`,
  ], { env, stdin: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256(r.stdout), await sha256(data));
  // A login on the jump host is what a jump makes (the target never needed one there); sshd's
  // closing lines (forwarding, byte counts) vary with how the client hangs up, so they are not
  // asked for. sshd may write after the client is gone: give it time.
  for (let i = 0; i < 50 && !/Accepted publickey/.test(await jump.log()); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(await jump.log(), /Accepted publickey/, "the connection went through the jump host");
  await s.stop();
});

Deno.test("jump host: -o and -i stay with the destination, as with ssh -J (both backends)", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using target = await startSshd();
  await using jump = await startSshd();
  const known = `${dir}/known_hosts`;
  await Deno.writeTextFile(
    known,
    (await Deno.readTextFile(target.knownHosts)) + (await Deno.readTextFile(jump.knownHosts)),
  );
  // The jump host's own settings come from the config; -o and -i name the destination's.
  const cfg = `${dir}/cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "Host gw",
      "  HostName 127.0.0.1",
      `  Port ${jump.port}`,
      `  User ${jump.user}`,
      `  IdentityFile ${jump.clientKey}`,
      "Host *",
      "  IdentitiesOnly yes",
      "  BatchMode yes",
      `  UserKnownHostsFile ${known}`,
      "  StrictHostKeyChecking yes",
      "",
    ].join("\n"),
  );
  const env = testEnv(`${dir}/s`);
  const logins = async (sshd: typeof jump, before: number) =>
    [...(await sshd.log()).slice(before).matchAll(/(?:Accepted \S+ for|Invalid user) \S+/g)]
      .map((m) => m[0]);
  const seen: Record<string, { jump: string[]; target: string[] }> = {};
  for (const ssh of ["openssh", "native"]) {
    const [j0, t0] = [(await jump.log()).length, (await target.log()).length];
    const r = await runSockhop([
      "connect",
      `ssh://127.0.0.1:${target.port}/echo`,
      `--ssh=${ssh}`,
      "-F",
      cfg,
      "-J",
      "gw",
      "-o",
      "User=nosuchuser",
      "-i",
      target.clientKey,
    ], { env });
    assert.equal(r.code, 1, r.stderr);
    // sshd may log after the client is gone: give it time.
    for (let i = 0; i < 50 && !/nosuchuser/.test((await target.log()).slice(t0)); i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    seen[ssh] = { jump: await logins(jump, j0), target: await logins(target, t0) };
  }
  // ssh logs in to the jump host as its configured user; -o User is the destination's.
  assert.deepEqual(seen.openssh!.jump, [`Accepted publickey for ${jump.user}`], "ssh");
  assert.ok(seen.openssh!.target.includes("Invalid user nosuchuser"), "ssh");
  assert.deepEqual(seen.native, seen.openssh);
});

Deno.test("jump host: ssh's summary keeps the cause, not the closing line after it", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using target = await startSshd();
  await using jump = await startSshd();
  // The destination's key is known, the jump host's is not.
  const cfg = `${dir}/cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "Host gw",
      "  HostName 127.0.0.1",
      `  Port ${jump.port}`,
      `  IdentityFile ${jump.clientKey}`,
      "Host *",
      "  IdentitiesOnly yes",
      "  BatchMode yes",
      `  UserKnownHostsFile ${target.knownHosts}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "",
    ].join("\n"),
  );
  const r = await runSockhop([
    "connect",
    `ssh://${target.user}@127.0.0.1:${target.port}/echo`,
    "--ssh=openssh",
    "-F",
    cfg,
    "-J",
    "gw",
    "-i",
    target.clientKey,
  ], { env: testEnv(`${dir}/s`) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^sockhop: ssh failed \(exit 255\): Host key verification failed\./m);
  assert.doesNotMatch(r.stderr, /Connection closed by/);
});

Deno.test("ControlMaster: --exit-ssh=no, a second connect reuses the master, which survives", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const control = `${dir}/cm-%C`;
  const words = [
    ...sshd.sshWords(),
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${control}`,
    "-o",
    "ControlPersist=60",
  ];
  const args = [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/echo`,
    `--ssh=${sshOption(words)}`,
    `--remote-sockhop=${wrapper}`,
    "--exit-ssh=no",
  ];
  const check = () =>
    run("ssh", [
      ...sshd.sshWords().slice(1),
      "-o",
      `ControlPath=${control}`,
      "-O",
      "check",
      "-p",
      String(sshd.port),
      `${sshd.user}@127.0.0.1`,
    ]);
  try {
    for (let i = 0; i < 2; i++) {
      const r = await runSockhop(args, { env, stdin: new TextEncoder().encode(`hello ${i}`) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(dec.decode(r.stdout), `hello ${i}`);
      const c = await check();
      assert.equal(c.code, 0, `the master survives connect ${i}: ${c.stderr}`);
    }
    const accepted = (await sshd.log()).match(/Accepted publickey/g) ?? [];
    assert.equal(accepted.length, 1, "one login: the second connect reused the master");
  } finally {
    await run("ssh", [
      ...sshd.sshWords().slice(1),
      "-o",
      `ControlPath=${control}`,
      "-O",
      "exit",
      "-p",
      String(sshd.port),
      `${sshd.user}@127.0.0.1`,
    ]);
  }
  await s.stop();
});

Deno.test("ControlMaster without ControlPersist: --exit-ssh=no lets its other sessions finish, yes ends them", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const sshArgs = (
    control: string,
  ) => [...sshd.sshWords().slice(1), "-o", `ControlPath=${control}`];
  const outcome = async (exitSsh: "yes" | "no") => {
    const control = `${dir}/cm-${exitSsh}`;
    const words = [...sshd.sshWords(), "-o", "ControlMaster=yes", "-o", `ControlPath=${control}`];
    // The first connect's ssh is the master; it stays in use while stdin is open.
    const first = new Deno.Command(sockhopArgv()[0]!, {
      args: [
        ...sockhopArgv().slice(1),
        "connect",
        `ssh://${sshd.user}@127.0.0.1:${sshd.port}/echo`,
        `--ssh=${sshOption(words)}`,
        `--remote-sockhop=${wrapper}`,
        `--exit-ssh=${exitSsh}`,
      ],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      if (
        (await run("ssh", [
          ...sshArgs(control),
          "-O",
          "check",
          "-p",
          String(sshd.port),
          "127.0.0.1",
        ])).code === 0
      ) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // A second session through the master, still running when the first connect ends.
    const second = run("ssh", [
      ...sshArgs(control),
      "-p",
      String(sshd.port),
      `${sshd.user}@127.0.0.1`,
      "sleep 5; echo done",
    ]);
    await new Promise((r) => setTimeout(r, 500));
    await first.stdin.close();
    const own = await first.output();
    assert.equal(own.code, 0, `--exit-ssh=${exitSsh}: ${dec.decode(own.stderr)}`);
    return await second;
  };
  const kept = await outcome("no");
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(kept.stdout, "done\n");
  const ended = await outcome("yes");
  assert.equal(ended.code, 255, "the master was ended with sockhop");
  await s.stop();
});

Deno.test("forward over openssh: 20 concurrent tunnels, 8 MiB each way, SHA-256 equal", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const fwd = await startForward([
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/echo`,
    "--listen=tcp:127.0.0.1:0",
    `--ssh=${sshOption(sshd.sshWords())}`,
    `--remote-sockhop=${wrapper}`,
  ], env);
  const payloads = Array.from({ length: 20 }, () => randomBytes(8 * 1024 * 1024));
  const replies = await exchangeAll(fwd.where, payloads, fwd.log);
  for (let i = 0; i < payloads.length; i++) {
    assert.equal(replies[i]!.length, payloads[i]!.length, `tunnel ${i} length`);
    assert.equal(await sha256(replies[i]!), await sha256(payloads[i]!), `tunnel ${i}`);
  }
  assert.equal(await fwd.stop("SIGINT"), 130);
  await s.stop();
});
