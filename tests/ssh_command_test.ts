/**
 * `sockhop ssh` against a real sshd on a free port, driven as its callers drive ssh: exit
 * statuses (held against ssh's own), stdio, git clone and push (GIT_SSH_COMMAND and GIT_SSH),
 * rsync -e, scp -S and sftp -S through a two-line wrapper, ProxyCommand with -W, -J, SendEnv
 * and SetEnv, and a pty session through script(1).
 */

import assert from "node:assert/strict";
import { quoteShellWord } from "../lib/shell_words.ts";
import { outputOrKill, randomBytes, runSockhop, sha256, sockhopArgv, tempDir } from "./_cli.ts";
import { requirePeer, type Sshd, startSshd } from "./_sshd.ts";

const dec = new TextDecoder();

/** An sshd that takes env variables and has sftp, and a config file naming it `target`. */
async function _setup(dir: string): Promise<{ sshd: Sshd; config: string; wrapper: string }> {
  const sshd = await startSshd({
    extraConfig: ["AcceptEnv GIT_PROTOCOL SH_TEST_*", "Subsystem sftp internal-sftp"],
  });
  // The same server under two names: a destination and a jump host.
  await Deno.writeTextFile(sshd.knownHosts, `[localhost]:${sshd.port} ${sshd.hostKeyLine}\n`, {
    append: true,
  });
  const config = `${dir}/ssh_config`;
  await Deno.writeTextFile(
    config,
    [
      "Host target jump",
      "  HostName 127.0.0.1",
      "Host hop2",
      "  HostName localhost",
      "Host *",
      `  Port ${sshd.port}`,
      `  IdentityFile ${sshd.clientKey}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${sshd.knownHosts}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "",
    ].join("\n"),
  );
  // The two-line wrapper scp -S, sftp -S, rsync -e and GIT_SSH take.
  const wrapper = `${dir}/sockhop-ssh`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec ${sockhopArgv().map(quoteShellWord).join(" ")} ssh -F ${config} "$@"\n`,
    { mode: 0o755 },
  );
  return { sshd, config, wrapper };
}

async function _run(
  cmd: string,
  args: string[],
  opts: { stdin?: Uint8Array; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await outputOrKill(child, `${cmd} ${args.join(" ")}`);
  return { code: out.code, stdout: out.stdout, stderr: dec.decode(out.stderr) };
}

Deno.test("sockhop ssh: exit statuses are the remote's, 255 for its own failures, as ssh's", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, config, wrapper } = await _setup(dir);
  try {
    const ssh = ["-F", config];
    const cases: [string, string[]][] = [
      ["exit 0", ["target", "true"]],
      ["exit 3", ["target", "exit 3"]],
      ["exit 255 by the remote", ["target", "exit 255"]],
      ["killed by SIGKILL", ["target", "kill -9 $$"]],
      ["killed by SIGTERM", ["target", "kill -TERM $$"]],
      ["unknown option", ["-Z", "target", "true"]],
      ["missing destination", []],
      ["connection refused", ["-p", "1", "target", "true"]],
      ["-6 to an IPv4 address", ["-6", "target", "true"]],
      ["-4 to an IPv4 address", ["-4", "target", "true"]],
      ["unknown host key", ["-o", "UserKnownHostsFile=/dev/null", "target", "true"]],
      ["login refused", [
        "-o",
        "IdentityFile=/dev/null",
        "-i",
        "/dev/null",
        "-l",
        "nobody",
        "target",
        "true",
      ]],
      ["ControlMaster options never fail", [
        "-o",
        "ControlMaster=auto",
        "-o",
        "ControlPersist=60s",
        "-o",
        `ControlPath=${dir}/cm-%C`,
        "target",
        "true",
      ]],
    ];
    for (const [what, args] of cases) {
      const want = await _run("ssh", [...ssh, ...args]);
      const got = await _run(wrapper, args);
      assert.equal(
        got.code,
        want.code,
        `${what}: ssh ${want.code}, sockhop ${got.code}: ${got.stderr}`,
      );
    }
    // A command that ends at once: its status can come in the same read as the server's
    // answer to the exec request (it was lost, 255, about one time in ten).
    for (let i = 0; i < 20; i++) {
      const quick = await _run(wrapper, ["target", "exit 5"]);
      assert.equal(quick.code, 5, `run ${i}: ${quick.stderr}`);
    }
    // ssh -V's counterpart, and --help.
    assert.equal((await _run(wrapper, ["-V"])).code, 0);
    const helped = await runSockhop(["ssh", "--help"]);
    assert.equal(helped.code, 0);
    assert.match(dec.decode(helped.stdout), /refused \(exit 255\): forwarding/);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: stdio is binary-clean, stdin's EOF reaches the remote, -n, stderr apart", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, wrapper } = await _setup(dir);
  try {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const cat = await _run(wrapper, ["target", "cat"], { stdin: data });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(await sha256(cat.stdout), await sha256(data));
    // Half-close: the remote sees EOF and goes on answering.
    const half = await _run(wrapper, ["target", "cat; echo after-eof"], {
      stdin: new TextEncoder().encode("abc"),
    });
    assert.equal(dec.decode(half.stdout), "abcafter-eof\n");
    // -n: stdin is not read even when there is one.
    const n = await _run(wrapper, ["-n", "target", "cat; echo n-done"], {
      stdin: new TextEncoder().encode("must not arrive"),
    });
    assert.equal(dec.decode(n.stdout), "n-done\n");
    // The remote command is the words joined with single spaces, re-split by the remote shell.
    const words = await _run(wrapper, ["target", "printf", "'%s|'", "a", "b  c"]);
    assert.equal(dec.decode(words.stdout), "a|b|c|");
    // A reader that goes away (`| head -1`) ends it, as ssh: 255, and no hang.
    const gone = await _run("bash", [
      "-c",
      `timeout 60 ${wrapper} target yes | head -1; echo "\${PIPESTATUS[0]}"`,
    ]);
    assert.equal(dec.decode(gone.stdout), "y\n255\n", "not 124: it ended by itself");
    const err = await _run(wrapper, ["target", "echo out; echo err >&2"]);
    assert.equal(dec.decode(err.stdout), "out\n");
    assert.equal(err.stderr, "err\n");
    // -q: a pty session's closing line is not said; -v says debug1: lines.
    const quiet = await _run(wrapper, ["-q", "-tt", "target", "true"]);
    assert.equal(quiet.stderr, "");
    const loud = await _run(wrapper, ["-tt", "target", "true"]);
    assert.match(loud.stderr, /Connection to 127\.0\.0\.1 closed\./);
    const verbose = await _run(wrapper, [
      "-v",
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPath=${dir}/cm`,
      "target",
      "true",
    ]);
    assert.match(verbose.stderr, /^debug1: /m);
    assert.match(verbose.stderr, /no master is used/);
    // -E: the lines go to the file instead.
    const log = `${dir}/log`;
    const logged = await _run(wrapper, ["-v", "-E", log, "target", "true"]);
    assert.equal(logged.stderr, "");
    assert.match(await Deno.readTextFile(log), /^debug1: /m);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: SendEnv, SetEnv, -s subsystem, -W and ProxyCommand, -J", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, config, wrapper } = await _setup(dir);
  try {
    const env = await _run(
      wrapper,
      [
        "-o",
        "SendEnv=SH_TEST_*",
        "-o",
        "SetEnv=SH_TEST_B=set",
        "target",
        "echo $SH_TEST_A $SH_TEST_B",
      ],
      { env: { SH_TEST_A: "sent" } },
    );
    assert.equal(dec.decode(env.stdout), "sent set\n", env.stderr);
    // -W: a stream to the server's own port, whose banner comes first.
    const w = await _run(wrapper, ["-W", `127.0.0.1:${sshd.port}`, "target"], {
      stdin: new Uint8Array(),
    });
    assert.match(dec.decode(w.stdout), /^SSH-2\.0-OpenSSH/);
    // A ProxyCommand of sockhop ssh -W, as xpra builds for a jump host.
    const proxy = await _run(wrapper, [
      "-o",
      `ProxyCommand ${wrapper} -W %h:%p jump`,
      "hop2",
      "echo via-proxy",
    ]);
    assert.equal(dec.decode(proxy.stdout), "via-proxy\n", proxy.stderr);
    const jump = await _run(wrapper, ["-J", "jump", "hop2", "echo via-jump"]);
    assert.equal(dec.decode(jump.stdout), "via-jump\n", jump.stderr);
    assert.match(await sshd.log(), /Accepted publickey/);
    // The sftp subsystem, spoken to by hand: the server's version packet comes back. stdin
    // stays open until it has (sftp-server leaves at EOF without writing what it owes).
    const sub = new Deno.Command(wrapper, {
      args: ["-s", "target", "sftp"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = sub.stdin.getWriter();
    await writer.write(new Uint8Array([0, 0, 0, 5, 1, 0, 0, 0, 3]));
    const reader = sub.stdout.getReader();
    const first = await reader.read();
    await writer.close();
    while (!(await reader.read()).done) { /* to its end */ }
    const status = await sub.status;
    await sub.stderr.cancel();
    assert.equal(status.code, 0);
    assert.equal(first.value?.[4], 2, "SSH_FXP_VERSION");
    assert.equal(config.length > 0, true);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: git clone and push with GIT_SSH_COMMAND and GIT_SSH", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") || !requirePeer("git")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, config, wrapper } = await _setup(dir);
  try {
    const bare = `${dir}/repo.git`;
    assert.equal((await _run("git", ["init", "-q", "--bare", bare])).code, 0);
    const url = `ssh://127.0.0.1:${sshd.port}${bare}`;
    const base = { PATH: Deno.env.get("PATH") ?? "", HOME: dir };
    const command = `${sockhopArgv().map(quoteShellWord).join(" ")} ssh -F ${
      quoteShellWord(config)
    }`;
    const variants: [string, Record<string, string>][] = [
      ["GIT_SSH_COMMAND", { ...base, GIT_SSH_COMMAND: command }],
      ["GIT_SSH", { ...base, GIT_SSH: wrapper }],
    ];
    for (const [name, env] of variants) {
      const work = `${dir}/clone-${name}`;
      const clone = await _run("git", ["clone", "-q", url, work], { env });
      assert.equal(clone.code, 0, `${name} clone: ${clone.stderr}`);
      await Deno.writeTextFile(`${work}/file`, name);
      const git = (args: string[]) => _run("git", ["-C", work, ...args], { env });
      await git(["add", "file"]);
      await git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", name]);
      const push = await git(["push", "-q", "origin", `HEAD:refs/heads/${name}`]);
      assert.equal(push.code, 0, `${name} push: ${push.stderr}`);
      const shown = await _run("git", ["--git-dir", bare, "show", `${name}:file`]);
      assert.equal(dec.decode(shown.stdout), name);
    }
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: rsync -e, scp -S and sftp -S through a two-line wrapper", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  if (!requirePeer("rsync") || !requirePeer("scp", "scp", "openssh-client")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, wrapper } = await _setup(dir);
  try {
    const data = randomBytes(200_000);
    await Deno.writeFile(`${dir}/src`, data);
    const want = await sha256(data);
    const rsync = await _run("rsync", [
      "-a",
      "-e",
      wrapper,
      `${dir}/src`,
      `target:${dir}/by-rsync`,
    ]);
    assert.equal(rsync.code, 0, rsync.stderr);
    assert.equal(await sha256(await Deno.readFile(`${dir}/by-rsync`)), want);
    const scp = await _run("scp", ["-S", wrapper, `${dir}/src`, `target:${dir}/by-scp`]);
    assert.equal(scp.code, 0, scp.stderr);
    assert.equal(await sha256(await Deno.readFile(`${dir}/by-scp`)), want);
    const sftp = await _run("sftp", ["-S", wrapper, "-b", "-", "target"], {
      stdin: new TextEncoder().encode(`get ${dir}/src ${dir}/by-sftp\n`),
    });
    assert.equal(sftp.code, 0, sftp.stderr);
    assert.equal(await sha256(await Deno.readFile(`${dir}/by-sftp`)), want);
    assert.equal(sshd.port > 0, true);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: a pty session through script(1): raw terminal, size, restored after", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  if (!requirePeer("script", "script", "bsdutils")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, wrapper } = await _setup(dir);
  try {
    // Inside script's pty: the size set here is the remote's; the modes after are those before.
    const inner = [
      "stty rows 33 cols 101",
      "stty -g > before",
      `${wrapper} -t target 'tty; stty size; exit 7'; echo "status=$?"`,
      "stty -g > after",
      `${wrapper} -tt target 'kill -9 $$'; echo "killed=$?"`,
      "stty -g > after-kill",
      // Ended by a signal here while the terminal is raw: it is given back all the same.
      `${wrapper} -t target 'sleep 30' </dev/tty & sleep 2; kill -TERM $!; wait $!; echo "term=$?"`,
      "stty -g > after-term",
    ].join("; ");
    const r = await _run("script", ["-qec", inner, "/dev/null"], {
      cwd: dir,
      stdin: new Uint8Array(),
    });
    const text = dec.decode(r.stdout);
    assert.match(text, /\/dev\/pts\/\d+/);
    assert.match(text, /33 101/);
    assert.match(text, /status=7/);
    assert.match(text, /killed=255/);
    const before = await Deno.readTextFile(`${dir}/before`);
    assert.equal(await Deno.readTextFile(`${dir}/after`), before);
    assert.equal(await Deno.readTextFile(`${dir}/after-kill`), before);
    assert.match(text, /term=255/);
    assert.equal(await Deno.readTextFile(`${dir}/after-term`), before);
    // A change of size while the session runs reaches the remote (SIGWINCH).
    const resize = [
      "stty rows 20 cols 70",
      `${wrapper} -t target 'stty size; sleep 3; stty size' </dev/tty & sleep 1.5`,
      "stty rows 40 cols 120",
      "wait",
    ].join("; ");
    const resized = await _run("script", ["-qec", resize, "/dev/null"], {
      stdin: new Uint8Array(),
    });
    // ...and each line as the remote pty wrote it: CR LF, not CR CR LF (output unprocessed).
    assert.match(dec.decode(resized.stdout), /20 70\r\n40 120\r\n/);
    // An interactive login shell, typed into.
    const typed = new TextEncoder().encode("echo $((6*7))\nexit 4\n");
    const shell = await _run("script", ["-qec", `${wrapper} target`, "/dev/null"], {
      stdin: typed,
    });
    assert.match(dec.decode(shell.stdout), /\b42\b/);
    assert.equal(shell.code, 4);
    // ~. after a newline ends a stuck session, as in ssh (exit 255, the remote left running).
    const escaped = await _run("script", ["-qec", `${wrapper} target`, "/dev/null"], {
      stdin: new TextEncoder().encode("sleep 60\r~."),
    });
    assert.equal(escaped.code, 255);
    assert.match(dec.decode(escaped.stdout), /Connection to 127\.0\.0\.1 closed\./);
    // -tt with no terminal (Ansible's way) still gets a pty; without -tt there is none.
    const forced = await _run(wrapper, ["-tt", "target", "tty"]);
    assert.match(dec.decode(forced.stdout), /\/dev\/pts\//);
    const none = await _run(wrapper, ["-t", "target", "tty"]);
    assert.match(dec.decode(none.stdout), /not a tty/);
    assert.equal(sshd.port > 0, true);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: ansible -m ping with ansible_ssh_executable (-C, ControlMaster, -tt, sftp -S)", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  if (!requirePeer("ansible", "ansible", "ansible-core")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, wrapper } = await _setup(dir);
  try {
    await Deno.writeTextFile(
      `${dir}/inventory`,
      `target ansible_ssh_executable=${wrapper} ansible_python_interpreter=/usr/bin/python3 ` +
        `ansible_ssh_transfer_method=sftp "ansible_sftp_extra_args=-S ${wrapper}"\n`,
    );
    const r = await _run("ansible", ["all", "-i", `${dir}/inventory`, "-m", "ping"], {
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: dir,
        ANSIBLE_HOME: `${dir}/ansible`,
        ANSIBLE_LOCAL_TEMP: `${dir}/ansible/tmp`,
        ANSIBLE_REMOTE_TEMP: `${dir}/remote-tmp`,
        ANSIBLE_NOCOLOR: "1",
      },
    });
    const said = `${dec.decode(r.stdout)}${r.stderr}`;
    assert.equal(r.code, 0, said);
    assert.match(said, /"ping": "pong"/);
    assert.doesNotMatch(said, /WARNING/, "no transfer mechanism failed");
    // An unreachable host is what Ansible reads from exit status 255.
    await Deno.writeTextFile(
      `${dir}/inventory`,
      `target ansible_port=1 ansible_ssh_executable=${wrapper}\n`,
    );
    const down = await _run("ansible", ["all", "-i", `${dir}/inventory`, "-m", "ping"], {
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: dir, ANSIBLE_HOME: `${dir}/ansible` },
    });
    assert.match(dec.decode(down.stdout), /UNREACHABLE/);
    assert.equal(sshd.port > 0, true);
  } finally {
    await sshd.stop();
  }
});

Deno.test("sockhop ssh: -A forwards the agent; without it the remote has none", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  if (!requirePeer("ssh-agent", "ssh-agent", "openssh-client")) return;
  await using dir = await tempDir("sockhop-sshcmd-");
  const { sshd, wrapper } = await _setup(dir);
  const sock = `${dir}/agent.sock`;
  const agent = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 100 && !(await Deno.stat(sock).then(() => true, () => false)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const env = { PATH: Deno.env.get("PATH") ?? "", HOME: dir, SSH_AUTH_SOCK: sock };
    const added = await _run("ssh-add", ["-q", sshd.clientKey], { env });
    assert.equal(added.code, 0, added.stderr);
    const forwarded = await _run(wrapper, ["-A", "target", "ssh-add -l"], { env });
    assert.equal(forwarded.code, 0, forwarded.stderr);
    assert.match(dec.decode(forwarded.stdout), /sockhop-test \(ED25519\)/);
    const not = await _run(wrapper, ["target", "ssh-add -l"], { env });
    assert.equal(not.code, 2, "no agent without -A");
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
    await sshd.stop();
  }
});
