/**
 * xpra's own client through the built-in SSH server: a real xpra server on a free display
 * (with its own Xvfb, its sockets in a temp dir), `sockhop serve --bind-ssh` as a gateway,
 * and `xpra id` / `xpra version` with an ssh:// URL, run by OpenSSH's ssh.
 */

import assert from "node:assert/strict";
import {
  runSockhop,
  type ServeProcess,
  sockhopArgv,
  startServe,
  tempDir,
  testEnv,
  within,
} from "./_cli.ts";
import { keygen, requirePeer, startSshd } from "./_sshd.ts";
import { authorizeClientKey, opensshWords, startSshServe, USER } from "./_serve_ssh.ts";
import { quoteShellWord } from "../lib/shell_words.ts";

const dec = new TextDecoder();

/** A process of ours, by pid and command line. */
interface Proc {
  pid: number;
  cmd: string;
}

/** An `xpra start` running in the foreground, with its Xvfb. */
interface XpraServer extends AsyncDisposable {
  readonly display: number;
  readonly socket: string;
  /** Everything it logged so far. */
  log(): string;
  /** Stop xpra and its Xvfb; resolves to what was still left and had to be killed. */
  stop(): Promise<string[]>;
}

/**
 * The environment of every xpra process of a test: its own home, runtime dir and
 * Xauthority, and xpra's built-in defaults only (no /etc/xpra: no mdns, no Xsession, no dbus).
 */
function _xpraEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}/home`,
    XDG_RUNTIME_DIR: `${dir}/run`,
    XDG_CONFIG_HOME: `${dir}/home/.config`,
    XAUTHORITY: `${dir}/Xauthority`,
    XPRA_SYSTEM_CONF_DIRS: `${dir}/conf`,
  };
  const lang = Deno.env.get("LANG");
  if (lang !== undefined) env.LANG = lang;
  return env;
}

/** What makes `xpra start` quick and headless: no sound, dbus, mdns, printing, GL probe. */
const XPRA_QUIET = [
  "--daemon=no",
  "--mdns=no",
  "--notifications=no",
  "--pulseaudio=no",
  "--speaker=off",
  "--microphone=off",
  "--webcam=no",
  "--printing=no",
  "--file-transfer=no",
  "--dbus-proxy=no",
  "--dbus-control=no",
  "--dbus-launch=",
  "--systemd-run=no",
  "--html=off",
  "--opengl=no",
  "--ssh-upgrade=no",
  "--xvfb=Xvfb +extension Composite -screen 0 1024x768x24+32 -nolisten tcp -noreset " +
  "-auth $XAUTHORITY",
];

function _exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** X's own files for display n: its lock file and its socket. */
function _xFiles(n: number): string[] {
  return [`/tmp/.X${n}-lock`, `/tmp/.X11-unix/X${n}`];
}

/** X's files for display n left by a server that is gone (one killed outright leaves them). */
async function _staleXFiles(n: number): Promise<string[]> {
  const [lock] = _xFiles(n);
  const pid = Number((await Deno.readTextFile(lock!).catch(() => "")).trim());
  if (!_exists(lock!) || (pid > 0 && _exists(`/proc/${pid}`))) return [];
  return _xFiles(n).filter(_exists);
}

/** A display number no X server holds now (:200 to :999, at random). */
function _freeDisplay(): number {
  for (let i = 0; i < 200; i++) {
    const n = 200 + Math.floor(Math.random() * 800);
    if (!_xFiles(n).some(_exists)) return n;
  }
  throw new Error("No free X display in :200-:999; remove stale /tmp/.X*-lock files");
}

/** Processes other than this one whose command line mentions `text`. */
function _processesWith(text: string): Proc[] {
  const found: Proc[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ").trim();
      // A zombie has an empty command line: it holds nothing and its parent reaps it.
      if (cmd.includes(text)) found.push({ pid: Number(e.name), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Wait up to `ms` for every process mentioning `text` to end; those left are returned. */
async function _waitGone(text: string, ms: number): Promise<Proc[]> {
  const deadline = Date.now() + ms;
  let left = _processesWith(text);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = _processesWith(text);
  }
  return left;
}

/** Every process below `pid` (children, their children, ...). */
function _descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      parents.set(Number(e.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

function _signal(pid: number, signal: Deno.Signal) {
  try {
    Deno.kill(pid, signal);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Start `xpra start :N` in the foreground, retrying on another display if N was taken. */
async function startXpra(dir: string): Promise<XpraServer> {
  const failures: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await _tryStartXpra(dir, _freeDisplay());
    if (typeof started !== "string") return started;
    failures.push(started);
  }
  throw new Error(`xpra did not start:\n${failures.join("\n---\n")}`);
}

/** The running server, or its log if it exited before it was ready. */
async function _tryStartXpra(dir: string, display: number): Promise<XpraServer | string> {
  const sockDir = `${dir}/s/xpra`;
  const socket = `${sockDir}/${Deno.hostname()}-${display}`;
  const child = new Deno.Command("xpra", {
    args: [
      "start",
      `:${display}`,
      ...XPRA_QUIET,
      `--socket-dir=${sockDir}`,
      `--socket-dirs=${sockDir}`,
      `--log-dir=${dir}/run`,
    ],
    env: _xpraEnv(dir),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const reading = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) log += decoder.decode(chunk, { stream: true });
  }));
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let stopped: Promise<string[]> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (!exited) _signal(child.pid, "SIGTERM");
      const timer = setTimeout(() => exited || _signal(child.pid, "SIGKILL"), 10000);
      await status;
      clearTimeout(timer);
      // Its Xvfb may hold the same pipes: bounded, and ended below as everything else left.
      await within(15_000, "xpra's output ends", reading).catch(() => {});
      // xpra has told its Xvfb to go; give it a moment, then end whatever of ours is left.
      const left = await _waitGone(dir, 5000);
      for (const p of left) _signal(p.pid, "SIGKILL");
      const report = left.map((p) => `process ${p.pid}: ${p.cmd}`);
      if (left.length > 0) await _waitGone(dir, 2000);
      const stale = await _staleXFiles(display);
      for (const f of stale) await Deno.remove(f);
      return [...report, ...stale.map((f) => `file ${f}`)];
    })();
    return stopped;
  };
  const deadline = Date.now() + 20000;
  while (!(/xpra is ready/.test(log) && await _accepts(socket))) {
    if (exited || Date.now() > deadline) {
      const died = exited;
      const why = died ? "exited" : "not ready within 20 s";
      const left = await stop();
      if (!died) throw new Error(`xpra :${display} ${why}:\n${log}\n${left.join("\n")}`);
      return `xpra :${display} ${why}:\n${log}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    display,
    socket,
    log: () => log,
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

/** Whether a unix socket accepts a connection. */
async function _accepts(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Run the xpra client with the test's environment, killed after 20 s. */
async function xpra(dir: string, args: string[]) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20000);
  try {
    const out = await new Deno.Command("xpra", {
      args,
      env: _xpraEnv(dir),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const what = `xpra ${args.join(" ")}: exit ${out.code}`;
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: `${what}\n${dec.decode(out.stderr)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What makes the xpra client quick and quiet under Xvfb. */
const XPRA_CLIENT_QUIET = [
  "--opengl=no",
  "--speaker=off",
  "--microphone=off",
  "--webcam=no",
  "--notifications=no",
  "--tray=no",
  "--printing=no",
  "--file-transfer=no",
];

/** A test's dirs: home, runtime dir, xpra config, sockets, and an empty Xauthority. */
async function _xpraDirs(dir: string) {
  for (const d of ["home", "run", "conf", "s/xpra"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true, mode: 0o700 });
  }
  // xpra uses $XAUTHORITY only if the file exists; else it writes ~/.Xauthority of the real home.
  await Deno.writeTextFile(`${dir}/Xauthority`, "", { mode: 0o600 });
}

/** The uuid of a running xpra server, asked on its own socket. */
async function _uuid(dir: string, server: XpraServer): Promise<string> {
  const direct = await xpra(dir, ["id", `:${server.display}`, `--socket-dirs=${dir}/s/xpra`]);
  assert.equal(direct.code, 0, direct.stderr);
  const uuid = /^uuid=(\w+)$/m.exec(direct.stdout)?.[1];
  assert.ok(uuid, direct.stdout);
  return uuid;
}

/**
 * How many key logins relayed to `display` serve logged (a line each as it ends), once there
 * are `n` or after 5 s.
 */
async function _loggedLogins(serve: ServeProcess, display: number | string, n: number) {
  const logged = new RegExp(
    `user=\\S+ method=publickey session=:${display} in=[1-9]\\d* out=[1-9]\\d* `,
    "g",
  );
  const deadline = Date.now() + 5000;
  while ((serve.log().match(logged) ?? []).length < n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return (serve.log().match(logged) ?? []).length;
}

/**
 * `serve --bind-ssh` as a gateway to every session, xpra's included (found through
 * SOCKHOP_XPRA_DIRS), accepting `${dir}/authorized_keys`. Returns it, its port and the public
 * line of its host key.
 */
async function _gateway(dir: string) {
  // A host key from ssh-keygen, not a generated one (ssh2's ed25519 generator makes an
  // unloadable key once in 256: mscdex/ssh2#1390), so ssh can check it too.
  const hostKey = (await keygen(`${dir}/host_ed25519`)).split(" ").slice(0, 2).join(" ");
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  assert.equal(env.SOCKHOP_XPRA_DIRS, `${dir}/s/xpra`);
  const serve = await startSshServe(`${dir}/authorized_keys`, [
    `--ssh-host-key=${dir}/host_ed25519`,
  ], env);
  return { serve, port: serve.port, hostKey };
}

Deno.test("xpra: xpra's own client reaches a real xpra session through serve --bind-ssh", async () => {
  if (!requirePeer("xpra", "xpra", "xpra")) return;
  if (!requirePeer("Xvfb", "Xvfb", "xvfb")) return;
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sockhop-xpra-");
  await _xpraDirs(dir);
  const key = await authorizeClientKey(dir);

  await using server = await startXpra(dir);
  const uuid = await _uuid(dir, server);
  const gateway = await _gateway(dir);
  await using serve = gateway.serve;
  const { port, hostKey } = gateway;
  await Deno.writeTextFile(`${dir}/known_hosts`, `[127.0.0.1]:${port} ${hostKey}\n`);
  const ssh = [
    "ssh",
    ...opensshWords(key, { knownHosts: `${dir}/known_hosts`, options: ["LogLevel=ERROR"] }),
  ].map(quoteShellWord).join(" ");
  const user = USER;
  const url = `ssh://${user}@127.0.0.1:${port}/${server.display}`;

  const id = await xpra(dir, ["id", url, `--ssh=${ssh}`]);
  assert.equal(id.code, 0, `${id.stderr}\n${serve.log()}`);
  assert.match(id.stdout, new RegExp(`^display=:${server.display}$`, "m"));
  assert.match(id.stdout, new RegExp(`^uuid=${uuid}$`, "m"), "the same session as on its socket");

  const version = await xpra(dir, ["version", url, `--ssh=${ssh}`]);
  assert.equal(version.code, 0, `${version.stderr}\n${serve.log()}`);
  const local = await xpra(dir, ["--version"]);
  const localVersion = /\bv?(\d+\.\d+(?:\.\d+)?)/.exec(local.stdout)?.[1];
  assert.ok(localVersion, local.stdout);
  assert.ok(version.stdout.trim().startsWith(localVersion), `${version.stdout} vs ${localVersion}`);

  // Each xpra connection is logged when it ends: user, method, the display relayed.
  assert.equal(await _loggedLogins(serve, server.display, 2), 2, serve.log());
  await serve.stop();

  const left = await server.stop();
  assert.deepEqual(left, [], `left behind by xpra :${server.display}:\n${server.log()}`);
  assert.deepEqual(_processesWith(dir), [], "nothing of this test still runs");
});

Deno.test("xpra: xpra's default client (paramiko) attaches to a real xpra session through serve --bind-ssh", async () => {
  if (!requirePeer("xpra", "xpra", "xpra")) return;
  if (!requirePeer("Xvfb", "Xvfb", "xvfb")) return;
  if (!requirePeer("xvfb-run", "xvfb-run", "xvfb")) return;
  if (
    !requirePeer(
      "paramiko",
      "/usr/lib/python3/dist-packages/paramiko/__init__.py",
      "python3-paramiko",
    )
  ) return;
  await using dir = await tempDir("sockhop-xpra-");
  await _xpraDirs(dir);
  // paramiko's path in xpra 3.1.3 tries `none`, then the agent, then ~/.ssh/id_rsa and
  // id_dsa: each a new ssh-userauth request (ssh2 disconnected at the second).
  await Deno.mkdir(`${dir}/home/.ssh`, { mode: 0o700 });
  const key = `${dir}/home/.ssh/id_rsa`;
  const keyOut = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", key],
  }).output();
  assert.equal(keyOut.code, 0);
  await Deno.copyFile(`${key}.pub`, `${dir}/authorized_keys`);

  await using server = await startXpra(dir);
  const uuid = await _uuid(dir, server);
  const gateway = await _gateway(dir);
  await using serve = gateway.serve;
  const { port, hostKey } = gateway;
  // xpra 3.1.3's paramiko path looks the host up without its port.
  await Deno.writeTextFile(`${dir}/home/.ssh/known_hosts`, `127.0.0.1 ${hostKey}\n`);
  const user = USER;
  const url = `ssh://${user}@127.0.0.1:${port}/${server.display}`;

  const id = await xpra(dir, ["id", url, "--ssh=paramiko"]);
  assert.equal(id.code, 0, `${id.stderr}\n${serve.log()}`);
  assert.match(id.stdout, new RegExp(`^uuid=${uuid}$`, "m"), "the same session as on its socket");
  // A real attach, under its own Xvfb, with the pixels through SSH (no mmap), until a detach
  // from a third paramiko connection ends it.
  const before = server.log().length;
  const attach = new Deno.Command("xvfb-run", {
    args: [
      "-a",
      "-f",
      `${dir}/xvfb-run.auth`,
      "xpra",
      "attach",
      url,
      "--ssh=paramiko",
      "--mmap=no",
      ...XPRA_CLIENT_QUIET,
    ],
    env: _xpraEnv(dir),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const attached = new RegExp(`Attached to ssh://\\S+:${port}/${server.display}\\b`);
  try {
    const deadline = Date.now() + 30000;
    while (!attached.test(server.log().slice(before)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(server.log().slice(before), /Handshake complete; enabling connection/);
    assert.match(server.log().slice(before), attached);
    const detach = await xpra(dir, ["detach", url, "--ssh=paramiko"]);
    assert.equal(detach.code, 0, `${detach.stderr}\n${serve.log()}`);
  } finally {
    const timer = setTimeout(() => {
      for (const pid of [..._descendants(attach.pid), attach.pid]) _signal(pid, "SIGKILL");
    }, 20000);
    const out = await attach.output();
    clearTimeout(timer);
    const said = `${dec.decode(out.stdout)}${dec.decode(out.stderr)}`;
    assert.equal(out.code, 0, `${said}\n${serve.log()}`);
    // The server disconnects the client for the detach and closes; ssh then ends (0), and
    // xpra's client reports whichever it sees first: the disconnect packet, or a write to an ssh
    // that has ended (xpra's own race: with OpenSSH's ssh in the same place, 5 runs of 12).
    assert.match(
      said,
      /Xpra Session Disconnected: detach request|The SSH process has terminated with exit code 0/,
    );
    assert.match(server.log().slice(before), /Disconnecting client[^\n]*\n[^\n]*detach request/);
  }

  // Three connections, each logged in with the key after `none` was refused: id, attach, detach.
  assert.equal(await _loggedLogins(serve, server.display, 3), 3, serve.log());
  await serve.stop();
  const left = await server.stop();
  assert.deepEqual(left, [], `left behind by xpra :${server.display}:\n${server.log()}`);
  assert.deepEqual(_processesWith(dir), [], "nothing of this test still runs");
});

Deno.test('xpra: xpra\'s own client with --ssh="sockhop ssh ...", direct and through a jump host (ProxyCommand with -W)', async () => {
  if (!requirePeer("xpra", "xpra", "xpra")) return;
  if (!requirePeer("Xvfb", "Xvfb", "xvfb")) return;
  if (!requirePeer("xvfb-run", "xvfb-run", "xvfb")) return;
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir("sockhop-xpra-");
  await _xpraDirs(dir);
  const key = await authorizeClientKey(dir);
  await using server = await startXpra(dir);
  const uuid = await _uuid(dir, server);
  const gateway = await _gateway(dir);
  await using serve = gateway.serve;
  // The jump host: a real sshd, reached with its own key; the destination is the gateway.
  await using jump = await startSshd();
  await Deno.writeTextFile(
    `${dir}/known_hosts`,
    `[127.0.0.1]:${gateway.port} ${gateway.hostKey}\n[127.0.0.1]:${jump.port} ${jump.hostKeyLine}\n`,
  );
  const config = `${dir}/ssh_config`;
  await Deno.writeTextFile(
    config,
    [
      "Host *",
      `  IdentityFile ${key}`,
      `  IdentityFile ${jump.clientKey}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${dir}/known_hosts`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "",
    ].join("\n"),
  );
  const ssh = [...sockhopArgv(), "ssh", "-F", config].map(quoteShellWord).join(" ");
  const direct = `ssh://${USER}@127.0.0.1:${gateway.port}/${server.display}`;
  const id = await xpra(dir, ["id", direct, `--ssh=${ssh}`]);
  assert.equal(id.code, 0, `${id.stderr}\n${serve.log()}`);
  assert.match(id.stdout, new RegExp(`^uuid=${uuid}$`, "m"), "the same session as on its socket");

  // Through the jump host xpra runs `sockhop ssh ... -W %h:%p ... jump` as the ProxyCommand
  // of `sockhop ssh`: an attach, with the pixels through both, until a detach ends it.
  // xpra 3.1.3's jump host syntax (it ignores proxy_host= and the like for an ssh program).
  const via = `${direct}?proxy=${jump.user}@127.0.0.1:${jump.port}`;
  const before = server.log().length;
  const attach = new Deno.Command("xvfb-run", {
    args: [
      "-a",
      "-f",
      `${dir}/xvfb-run.auth`,
      "xpra",
      "attach",
      via,
      `--ssh=${ssh}`,
      "--mmap=no",
      ...XPRA_CLIENT_QUIET,
    ],
    env: _xpraEnv(dir),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Its output, as it comes: the detach waits until the client has set itself up (its last
  // start-up line, 100 ms after the attach), as a detach in the midst of its start-up meets
  // xpra's own races (seen with OpenSSH's ssh in the same place too).
  let said = "";
  const reading = [attach.stdout, attach.stderr].map(async (stream) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) said += chunk;
  });
  try {
    const deadline = Date.now() + 40000;
    const settled = () =>
      /Handshake complete; enabling connection/.test(server.log().slice(before)) &&
      /server does not support xi input devices|server uses: /.test(said);
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(server.log().slice(before), /Handshake complete; enabling connection/);
    assert.match(said, /Attached to /);
    const detach = await xpra(dir, ["detach", via, `--ssh=${ssh}`]);
    assert.equal(detach.code, 0, `${detach.stderr}\n${serve.log()}`);
  } finally {
    const timer = setTimeout(() => {
      for (const pid of [..._descendants(attach.pid), attach.pid]) _signal(pid, "SIGKILL");
    }, 20000);
    const { code } = await attach.status;
    await within(30_000, "xpra attach's output ends", Promise.all(reading), serve.log);
    clearTimeout(timer);
    assert.equal(code, 0, `${said}\n${serve.log()}`);
    assert.match(said, /Xpra Session Disconnected: detach request/);
  }
  // The jump host carried the connections: its sshd logged the key logins.
  assert.match(await jump.log(), /Accepted publickey/);
  await serve.stop();
  const left = await server.stop();
  assert.deepEqual(left, [], `left behind by xpra :${server.display}:\n${server.log()}`);
});

Deno.test("xpra: list shows a real xpra session beside sockhop's, whose services it never touches", async () => {
  if (!requirePeer("xpra", "xpra", "xpra")) return;
  if (!requirePeer("Xvfb", "Xvfb", "xvfb")) return;
  await using dir = await tempDir("sockhop-xpra-");
  await _xpraDirs(dir);
  await using server = await startXpra(dir);
  const env = testEnv(`${dir}/s`);
  await Deno.writeTextFile(`${dir}/count.sh`, `#!/bin/sh\necho run >> '${dir}/runs'\nexec cat\n`);
  await Deno.chmod(`${dir}/count.sh`, 0o755);
  await using _serve = await startServe(["counted", `exec:${dir}/count.sh`], env);
  const r = await runSockhop(["list", "--json"], { env });
  const rows = JSON.parse(dec.decode(r.stdout)) as { name: string; kind: string; state: string }[];
  assert.deepEqual(
    rows.map((e) => [e.kind, e.name, e.state]).sort(),
    [["sockhop", "counted", "LIVE"], ["xpra", String(server.display), "LIVE"]],
  );
  assert.throws(() => Deno.statSync(`${dir}/runs`), Deno.errors.NotFound, "list ran the command");
});
