/**
 * Faults on the byte path, with real processes: a session's command killed, serve killed, the
 * local ssh killed, a reader that stops, services that exit at once, too many children. When a
 * part ends abnormally, every other part ends within seconds, non-zero, naming what ended;
 * when it ends normally, every byte arrives.
 */

import assert from "node:assert/strict";
import { basename } from "node:path";
import {
  outputOrKill,
  runSockhop,
  SOCKHOP,
  spawnPiped,
  startServe,
  tempDir,
  testEnv,
  until,
  within,
} from "./_cli.ts";
import { keygen, nativeFlags, requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { sockhopWrapper, sshOption } from "./_remote.ts";
import {
  authorizeClientKey,
  NATIVE_ANY_HOST_KEY,
  opensshWords,
  startSshServe,
  USER,
} from "./_serve_ssh.ts";

/** How sockhop shows in a command line: main.ts, or the artifact SOCKHOP_BIN names. */
const PROGRAM = basename(SOCKHOP);

const dec = new TextDecoder();
const enc = new TextEncoder();
const haveSsh = () =>
  requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") &&
  requirePeer("ssh", "ssh", "openssh-client");

/** A sockhop process whose stdout the test reads (or leaves unread), and its stderr. */
function spawnSockhop(
  args: string[],
  env: Record<string, string>,
  opts: { read?: boolean } = {},
) {
  const child = spawnPiped(args, env);
  let bytes = 0;
  let err = "";
  const reader = child.stdout.getReader();
  const reading = opts.read === false ? Promise.resolve() : (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      bytes += r.value.length;
    }
  })();
  const errDone = (async () => {
    for await (const c of child.stderr) err += dec.decode(c, { stream: true });
  })();
  return {
    child,
    bytes: () => bytes,
    stderr: () => err,
    /** The reader goes away: sockhop's next write to stdout fails. */
    stopReading: () => reader.cancel(),
    /** Exit code and stderr; SIGKILLed (and failed) if not ended within `ms`. */
    async ended(ms = 10000) {
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const status = await child.status;
      clearTimeout(timer);
      await reader.cancel().catch(() => {});
      await reading;
      await errDone;
      await child.stdin.close().catch(() => {});
      return { code: status.code, signal: status.signal, stderr: err, bytes };
    },
  };
}

/** Whether a process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Running processes whose command line holds `text`, with their parent. */
function processesWith(text: string): { pid: number; ppid: number; cmd: string }[] {
  const found = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (!cmd.includes(text) || !alive(Number(e.name))) continue;
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      found.push({ pid: Number(e.name), ppid, cmd });
    } catch {
      // gone
    }
  }
  return found;
}

function childrenOf(ppid: number): { pid: number; cmd: string }[] {
  const found = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== ppid) continue;
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      found.push({ pid: Number(e.name), cmd });
    } catch {
      // gone
    }
  }
  return found;
}

/** A service that writes for ever, its pid in `pidFile` (sh execs cat: the same pid). */
function endless(pidFile: string): string[] {
  return ["exec:sh", "-c", `echo $$ > '${pidFile}'; exec cat /dev/zero`];
}

async function readPid(pidFile: string): Promise<number> {
  let text = "";
  await until(`${pidFile} written`, async () => {
    text = await Deno.readTextFile(pidFile).catch(() => "");
    return text.endsWith("\n");
  });
  return Number(text.trim());
}

/** sshd, a socket dir, the remote sockhop wrapper; connect arguments for each backend. */
async function sshWorld() {
  const dir = await tempDir("sf-");
  const sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(dir, `${dir}/s`);
  const url = (name: string) => `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`;
  return {
    dir,
    sshd,
    env,
    wrapper,
    openssh: (name: string) => [
      "connect",
      url(name),
      `--ssh=${sshOption(sshd.sshWords())}`,
      `--remote-sockhop=${wrapper}`,
    ],
    native: (
      name: string,
    ) => ["connect", url(name), ...nativeArgs(sshd), `--remote-sockhop=${wrapper}`],
    plink: (name: string) => [
      "connect",
      url(name),
      `--ssh=plink -batch -i ${dir}/client.ppk -hostkey ${sshd.hostKeyFingerprint}`,
      `--remote-sockhop=${wrapper}`,
    ],
    async [Symbol.asyncDispose]() {
      await sshd.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

function nativeArgs(sshd: Sshd): string[] {
  return [...nativeFlags(sshd), "-o", "BatchMode=yes"];
}

/** The built-in server for `serveArgs`, with a client key authorized; ssh's words for it. */
async function builtinServer(dir: string, env: Record<string, string>, serveArgs: string[]) {
  const key = await authorizeClientKey(dir);
  const server = await startSshServe(`${dir}/authorized_keys`, serveArgs, {
    ...env,
    XDG_CONFIG_HOME: `${dir}/config`,
  });
  const words = ["ssh", ...opensshWords(key, { port: server.port })];
  return { server, port: String(server.port), user: USER, words, key };
}

async function run(cmd: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  const writing = (async () => {
    if (stdin) await w.write(stdin).catch(() => {});
    await w.close().catch(() => {});
  })();
  const [out] = await Promise.all([outputOrKill(child, cmd.join(" ")), writing]);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Run `n` jobs, `width` at a time. */
async function inBatches<T>(n: number, width: number, job: (i: number) => Promise<T>) {
  const results: T[] = [];
  for (let i = 0; i < n; i += width) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + width); j++) batch.push(job(j));
    results.push(...await Promise.all(batch));
  }
  return results;
}

Deno.test("faults: 100 connects to exec:true, serve survives (session socket, companion, built-in server)", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  const { server, user, words } = await builtinServer(dir, env, ["quick", "exec:true"]);
  await using _ = server;
  const host = Deno.hostname();
  // A raw client (as socat) that sends at once, and sockhop's own, through the companion.
  for (const path of [`${dir}/s/${host}-quick`, `${dir}/s/.framed2/${host}-quick`]) {
    for (let i = 0; i < 100; i++) {
      const conn = await Deno.connect({ transport: "unix", path });
      await conn.write(enc.encode("x\n")).catch(() => {});
      await conn.closeWrite().catch(() => {});
      const buf = new Uint8Array(1024);
      while (await conn.read(buf).catch(() => null) !== null) { /* until EOF */ }
      conn.close();
    }
  }
  const viaSsh = await inBatches(
    100,
    4,
    () => run([...words, `${user}@127.0.0.1`, "sockhop", "_proxy", "quick"], enc.encode("x\n")),
  );
  for (const r of viaSsh) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "SOCKHOP/1 OK\n");
  }
  for (let i = 0; i < 5; i++) {
    const r = await runSockhop(["connect", "quick"], { env, stdin: enc.encode("x\n") });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(await Promise.race([server.child.status.then(() => "ended"), "running"]), "running");
  assert.doesNotMatch(server.log(), /Uncaught|internal error/);
});

Deno.test("faults: a service that answers and exits: 100 connects each get the reply, exit 0", async () => {
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["oneshot", "exec:sh", "-c", "echo ONESHOT-REPLY"], env);
  const results = await inBatches(
    100,
    4,
    () => runSockhop(["connect", "oneshot"], { env, stdin: enc.encode("x\n") }),
  );
  const bad = results.filter((r) => r.code !== 0 || dec.decode(r.stdout) !== "ONESHOT-REPLY\n");
  assert.deepEqual(
    bad.map((r) => `exit ${r.code}: ${JSON.stringify(dec.decode(r.stdout))} ${r.stderr}`),
    [],
  );
  await s.stop();
});

Deno.test("faults: a service that answers and exits, over sshd and _proxy: 100 replies", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  await using s = await startServe(["oneshot", "exec:sh", "-c", "echo ONESHOT-REPLY"], w.env);
  const ssh = [...w.sshd.sshWords(), "-p", String(w.sshd.port), `${w.sshd.user}@127.0.0.1`];
  const results = await inBatches(
    100,
    4,
    () => run([...ssh, w.wrapper, "_proxy", "oneshot"], enc.encode("x\n")),
  );
  const bad = results.filter((r) => r.code !== 0 || r.stdout !== "SOCKHOP/1 OK\nONESHOT-REPLY\n");
  assert.deepEqual(bad.map((r) => `exit ${r.code}: ${JSON.stringify(r.stdout)} ${r.stderr}`), []);
  // And the whole client, a few times.
  for (let i = 0; i < 5; i++) {
    const r = await runSockhop(w.openssh("oneshot"), { env: w.env, stdin: enc.encode("x\n") });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(r.stdout), "ONESHOT-REPLY\n");
  }
  await s.stop();
});

/** Start `args`, wait for the service's pid and some bytes, kill it: what does connect say? */
async function killMidTransfer(
  args: string[],
  env: Record<string, string>,
  pidFile: string,
  kill: (pid: number, connectPid: number) => void | Promise<void>,
) {
  const p = spawnSockhop(args, env);
  const pid = await readPid(pidFile);
  await until("1 MiB through", () => p.bytes() > 1 << 20);
  await kill(pid, p.child.pid);
  return await p.ended();
}

Deno.test("faults: the session's command killed mid-transfer: every backend exits non-zero, naming SIGKILL", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  const { server, port: builtinPort } = await builtinServer(w.dir, w.env, ["--max-children=1000"]);
  await using _ = server;
  const builtin = (name: string) => [
    "connect",
    `ssh://${w.sshd.user}@127.0.0.1:${builtinPort}/${name}`,
    ...NATIVE_ANY_HOST_KEY,
    "-i",
    `${w.dir}/client`,
  ];
  const backends: [string, (name: string) => string[]][] = [
    ["local", (name) => ["connect", name]],
    ["openssh", w.openssh],
    ["native", w.native],
    ["native to the built-in server", builtin],
  ];
  if (requirePeer("plink", "plink", "putty-tools")) {
    await run(["puttygen", w.sshd.clientKey, "-O", "private", "-o", `${w.dir}/client.ppk`]);
    backends.push(["plink", w.plink]);
  }
  for (const [i, [what, args]] of backends.entries()) {
    const pidFile = `${w.dir}/pid${i}`;
    await using s = await startServe([`k${i}`, ...endless(pidFile)], w.env);
    const r = await killMidTransfer(
      args(`k${i}`),
      w.env,
      pidFile,
      (pid) => Deno.kill(pid, "SIGKILL"),
    );
    assert.equal(r.signal, null, `${what}: connect was still running after 10 s`);
    assert.notEqual(r.code, 0, `${what}: ${r.bytes} bytes, then exit 0`);
    assert.match(r.stderr, /The session's command was killed by SIGKILL/, `${what}: ${r.stderr}`);
    await s.stop();
  }
});

Deno.test("faults: a command's exit status is the session's (exit 3: non-zero, named; exit 0: 0)", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  await using s3 = await startServe(["three", "exec:sh", "-c", "echo out; exit 3"], w.env);
  await using s0 = await startServe(["zero", "exec:sh", "-c", "echo out; exit 0"], w.env);
  for (const args of [(n: string) => ["connect", n], w.openssh, w.native]) {
    const r3 = await runSockhop(args("three"), { env: w.env });
    assert.equal(dec.decode(r3.stdout), "out\n");
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /The session's command exited with status 3/);
    const r0 = await runSockhop(args("zero"), { env: w.env });
    assert.equal(dec.decode(r0.stdout), "out\n");
    assert.equal(r0.code, 0, r0.stderr);
  }
  // _proxy exits with the command's status, as ssh carries it.
  const p = await runSockhop(["_proxy", "three"], { env: w.env });
  assert.equal(p.code, 3);
  assert.equal(dec.decode(p.stdout), "SOCKHOP/1 OK\nout\n");
  await s3.stop();
  await s0.stop();
});

Deno.test("faults: serve killed mid-transfer: local and over ssh, exit non-zero, no status", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  for (const [i, args] of [(n: string) => ["connect", n], w.openssh, w.native].entries()) {
    const pidFile = `${w.dir}/spid${i}`;
    const s = await startServe([`sk${i}`, ...endless(pidFile)], w.env);
    const r = await killMidTransfer(args(`sk${i}`), w.env, pidFile, () => void s.stop("SIGKILL"));
    assert.equal(r.signal, null, "connect was still running after 10 s");
    assert.notEqual(r.code, 0, `${r.bytes} bytes, then exit 0`);
    assert.match(r.stderr, /The session ended without a status/);
    await s.stop();
  }
});

Deno.test("faults: the local ssh killed: connect says so, not a remote status", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  await using s = await startServe(["lk", ...endless(`${w.dir}/pid`)], w.env);
  const r = await killMidTransfer(w.openssh("lk"), w.env, `${w.dir}/pid`, (_, connect) => {
    const ssh = childrenOf(connect).find((c) => /^\S*ssh /.test(c.cmd));
    Deno.kill(ssh!.pid, "SIGKILL");
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ssh was killed by SIGKILL/);
  // Nothing is left on the far side: sshd's end of _proxy's pipes went, so did _proxy.
  const pid = Number(await Deno.readTextFile(`${w.dir}/pid`));
  await until("the session's command ended", () => !alive(pid));
  await until("_proxy ended", () => processesWith("_proxy lk").length === 0);
  await s.stop();
});

Deno.test("faults: a reader that stops: connect ends (EPIPE), nothing left on either side", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  for (
    const [i, [what, args]] of ([["local", (n: string) => ["connect", n]], ["openssh", w.openssh], [
      "native",
      w.native,
    ]] as const).entries()
  ) {
    const name = `rd${i}`;
    const pidFile = `${w.dir}/rpid${i}`;
    await using s = await startServe([name, ...endless(pidFile)], w.env);
    const p = spawnSockhop(args(name), w.env);
    const pid = await readPid(pidFile);
    await until("1 MiB through", () => p.bytes() > 1 << 20);
    await p.stopReading();
    const r = await p.ended();
    assert.equal(r.signal, null, `${what}: connect was still running after 10 s`);
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /Output closed/, what);
    await until(`${what}: the session's command ended`, () => !alive(pid));
    await until(`${what}: _proxy ended`, () => processesWith(`_proxy ${name}`).length === 0);
    // Nothing orphaned (parent 1) either.
    assert.deepEqual(processesWith("_proxy rd").filter((p) => p.ppid === 1), [], what);
    await s.stop();
  }
});

Deno.test("faults: SIGTERM and SIGINT end connect at once, whatever is backed up", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  for (const [i, [signal, code]] of ([["SIGTERM", 143], ["SIGINT", 130]] as const).entries()) {
    for (const [j, args] of [(n: string) => ["connect", n], w.openssh, w.native].entries()) {
      const name = `sg${i}${j}`;
      const pidFile = `${w.dir}/gpid${i}${j}`;
      await using s = await startServe([name, ...endless(pidFile)], w.env);
      // Nobody reads its output: every write of it is pending.
      const p = spawnSockhop(args(name), w.env, { read: false });
      const pid = await readPid(pidFile);
      await new Promise((r) => setTimeout(r, 500));
      p.child.kill(signal);
      const r = await p.ended();
      assert.equal(r.signal, null, `${args(name).join(" ")}: still running 10 s after ${signal}`);
      assert.equal(r.code, code, r.stderr);
      await until("the session's command ended", () => !alive(pid));
      await s.stop();
    }
  }
});

Deno.test("faults: built-in server: a client killed while both ways are backed up ends the command", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  // It writes for ever and never reads its stdin.
  const { server, user, words } = await builtinServer(dir, env, ["bk", ...endless(`${dir}/pid`)]);
  await using _ = server;
  const ssh = new Deno.Command(words[0]!, {
    args: [...words.slice(1), `${user}@127.0.0.1`, "sockhop", "_proxy", "bk"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const pid = await readPid(`${dir}/pid`);
  // Its output is never read, and it sends until nothing more is taken: the channel's
  // windows and every buffer on the way fill up, both ways.
  const w = ssh.stdin.getWriter();
  const sending = (async () => {
    const chunk = new Uint8Array(65536);
    for (;;) await w.write(chunk);
  })().catch(() => {});
  await new Promise((r) => setTimeout(r, 1500));
  ssh.kill("SIGKILL");
  await ssh.status;
  await sending;
  await ssh.stdout.cancel();
  await until("the session's command ended", () => !alive(pid));
  await until(
    "the server logged the connection's end",
    () => /session=bk .*ended/.test(server.log()),
  );
});

Deno.test("faults: --max-children: a connection over the cap is refused with a message, not a hang", async () => {
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["--max-children=2", "cap", "exec:cat"], env);
  const held = [spawnSockhop(["connect", "cap"], env), spawnSockhop(["connect", "cap"], env)];
  const w0 = held[0]!.child.stdin.getWriter();
  const w1 = held[1]!.child.stdin.getWriter();
  await w0.write(enc.encode("a"));
  await w1.write(enc.encode("b"));
  await until("both connected", () => held.every((h) => h.bytes() === 1));
  const t0 = Date.now();
  const over = await runSockhop(["connect", "cap"], { env, stdin: enc.encode("c") });
  assert.ok(Date.now() - t0 < 10000);
  assert.equal(over.code, 1);
  assert.match(
    over.stderr,
    /refused the connection: 2 connections are open, its limit \(serve --max-children=2\): try again later/,
  );
  assert.match(
    s.log(),
    /session cap #3: refused: 2 commands running, the most --max-children=2 allows/,
  );
  await w0.close();
  assert.equal((await held[0]!.ended()).code, 0);
  await until("a slot is free", async () => {
    const again = await runSockhop(["connect", "cap"], { env, stdin: enc.encode("d") });
    return again.code === 0 && dec.decode(again.stdout) === "d";
  });
  await w1.close();
  assert.equal((await held[1]!.ended()).code, 0);
  await s.stop();
});

/** paramiko as the SSH server: it runs any exec as "marker, some bytes, close". */
const PARAMIKO_SERVER = `
import socket, sys, threading, paramiko
key = paramiko.Ed25519Key.from_private_key_file(sys.argv[1])
class Server(paramiko.ServerInterface):
    def __init__(self):
        self.exec = threading.Event()
    def get_allowed_auths(self, username):
        return "none"
    def check_auth_none(self, username):
        return paramiko.AUTH_SUCCESSFUL
    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED
    def check_channel_exec_request(self, channel, command):
        self.exec.set()
        return True
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(5)
print(lsock.getsockname()[1], flush=True)
while True:
    conn, _ = lsock.accept()
    t = paramiko.Transport(conn)
    t.add_server_key(key)
    server = Server()
    t.start_server(server=server)
    chan = t.accept(10)
    if chan is None:
        continue
    server.exec.wait(10)
    # The channel closes with no exit-status nor exit-signal before it.
    chan.sendall(b"SOCKHOP/1 OK\\npartial")
    chan.close()
`;

Deno.test("faults: native: a channel closed without an exit status is a failure, as in OpenSSH (255)", async () => {
  if (
    !requirePeer(
      "paramiko",
      "/usr/lib/python3/dist-packages/paramiko/__init__.py",
      "python3-paramiko",
    )
  ) {
    return;
  }
  await using dir = await tempDir("sf-");
  await keygen(`${dir}/hk`);
  await Deno.writeTextFile(`${dir}/srv.py`, PARAMIKO_SERVER);
  const server = new Deno.Command("/usr/bin/python3", {
    args: [`${dir}/srv.py`, `${dir}/hk`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const port = (await within(30_000, "the paramiko server's port", reader.read())).value!.trim();
    reader.releaseLock();
    const r = await runSockhop([
      "connect",
      `ssh://nobody@127.0.0.1:${port}/x`,
      ...NATIVE_ANY_HOST_KEY,
    ], { env: testEnv(`${dir}/s`) });
    assert.equal(dec.decode(r.stdout), "partial");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /closed the channel without an exit status/);
    const ssh = await run([
      "ssh",
      "-F",
      "/dev/null",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-p",
      port,
      "nobody@127.0.0.1",
      "x",
    ]);
    assert.equal(ssh.code, 255, "OpenSSH's verdict on the same channel");
  } finally {
    server.kill("SIGKILL");
    await server.status;
    await server.stdout.cancel().catch(() => {});
  }
});

Deno.test("faults: the remote _proxy killed: openssh and native exit non-zero", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  for (const [i, args] of [w.openssh, w.native].entries()) {
    const name = `px${i}`;
    const pidFile = `${w.dir}/xpid${i}`;
    await using s = await startServe([name, ...endless(pidFile)], w.env);
    const r = await killMidTransfer(args(name), w.env, pidFile, () => {
      for (const p of processesWith(`${PROGRAM} _proxy ${name}`)) Deno.kill(p.pid, "SIGKILL");
    });
    assert.equal(r.signal, null, "connect was still running after 10 s");
    assert.notEqual(r.code, 0, `${r.bytes} bytes, then exit 0`);
    // sshd sends an exit-signal: the built-in client names it, ssh exits 255 saying nothing.
    assert.match(
      r.stderr,
      /The remote command was killed by SIGKILL|ssh failed \(exit 255\)/,
    );
    await until(
      "the session's command ended",
      () => !alive(Number(Deno.readTextFileSync(pidFile))),
    );
    await s.stop();
  }
});

Deno.test("faults: serve stopped (SIGTERM): its clients are told why and exit non-zero", async () => {
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  // A TCP service that accepts and then says nothing, for ever.
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of tcp) held.push(c);
  })();
  for (const target of [endless(`${dir}/pid`), [`tcp:127.0.0.1:${tcp.addr.port}`]]) {
    const s = await startServe(["st", ...target], env);
    const p = spawnSockhop(["connect", "st"], env);
    if (target.length > 1) await until("bytes through", () => p.bytes() > 0);
    else await until("connected", () => held.length > 0);
    assert.equal(await s.stop("SIGTERM"), 143);
    const r = await p.ended();
    assert.equal(r.signal, null, "connect was still running after 10 s");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Session st was stopped \(its sockhop serve is ending\)/);
  }
  tcp.close();
  await accepting.catch(() => {});
  for (const c of held) c.close();
});

Deno.test("faults: a client gone: what the session's command started ends with it", async () => {
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  // sh waits on a child of its own: ending sh alone would leave the sleep behind.
  await using s = await startServe([
    "grp",
    "exec:sh",
    "-c",
    `sleep 1000 & echo $! > '${dir}/pid'; echo up; wait`,
  ], env);
  const p = spawnSockhop(["connect", "grp"], env);
  const pid = await readPid(`${dir}/pid`);
  await until("connected", () => p.bytes() > 0);
  p.child.kill("SIGKILL");
  await p.ended();
  await until("the command's own child ended", () => !alive(pid));
  await s.stop();
});

Deno.test("faults: over sshd, the connection gone while the session is silent: _proxy and the command end", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  // It reads nothing and says nothing: _proxy never has a byte to write that would fail.
  const kills: [string, (n: string) => string[], (connect: number, proxy: number) => void][] = [
    ["native, connect killed", w.native, (connect) => Deno.kill(connect, "SIGKILL")],
    ["openssh, sshd's process for it killed", w.openssh, (_, proxy) => {
      const stat = Deno.readTextFileSync(`/proc/${proxy}/stat`);
      Deno.kill(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), "SIGKILL");
    }],
  ];
  for (const [i, [what, args, kill]] of kills.entries()) {
    const name = `si${i}`;
    const pidFile = `${w.dir}/ipid${i}`;
    await using s = await startServe([
      name,
      "exec:sh",
      "-c",
      `echo $$ > '${pidFile}'; exec sleep 1000`,
    ], w.env);
    const p = spawnSockhop(args(name), w.env);
    const pid = await readPid(pidFile);
    let proxy = 0;
    await until("_proxy running", () => {
      proxy = processesWith(`${PROGRAM} _proxy ${name}`)[0]?.pid ?? 0;
      return proxy !== 0;
    });
    kill(p.child.pid, proxy);
    const r = await p.ended();
    assert.notEqual(r.code, 0, what);
    await until(`${what}: _proxy ended`, () => !alive(proxy));
    await until(`${what}: the session's command ended`, () => !alive(pid));
    await s.stop();
  }
});

Deno.test("faults: a FIFO as a file the client reads (-F, an Include, known_hosts, -i) is refused, not a hang", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  const fifo = `${w.dir}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  await Deno.writeTextFile(`${w.dir}/include.conf`, `Include ${fifo}\n`);
  const url = `ssh://${w.sshd.user}@127.0.0.1:${w.sshd.port}/x`;
  const cases: [string[], RegExp][] = [
    [["-F", fifo], /Cannot read .*fifo: .*fifo is a FIFO, not a regular file/],
    [["--print-config", "-F", fifo], /fifo is a FIFO, not a regular file/],
    [["-F", `${w.dir}/include.conf`], /Cannot read .*fifo: .*fifo is a FIFO/],
    [["-F", "none", "-o", `UserKnownHostsFile=${fifo}`], /known_hosts file .*fifo is a FIFO/],
    [["-F", "none", "-o", `GlobalKnownHostsFile=${fifo}`], /known_hosts file .*fifo is a FIFO/],
    [[
      "-F",
      "none",
      "-o",
      `UserKnownHostsFile=${w.sshd.knownHosts}`,
      "-i",
      fifo,
      "-o",
      "IdentitiesOnly=yes",
    ], /identity file .*fifo not readable: .*fifo is a FIFO/],
  ];
  for (const [args, message] of cases) {
    const p = spawnSockhop(["connect", url, "--ssh=native", "-o", "BatchMode=yes", ...args], w.env);
    await p.child.stdin.close();
    const r = await p.ended();
    assert.equal(r.signal, null, `${args.join(" ")}: still running after 10 s`);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
});

Deno.test("faults: native: ConnectTimeout and ServerAliveInterval beyond a timer's range mean never, not at once", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  await using s = await startServe(["echo", "exec:cat"], w.env);
  for (const option of ["ConnectTimeout=3000000", "ServerAliveInterval=3000000"]) {
    const r = await runSockhop([...w.native("echo"), "-o", option], {
      env: w.env,
      stdin: enc.encode("still here\n"),
    });
    assert.equal(r.code, 0, `${option}: ${r.stderr}`);
    assert.equal(dec.decode(r.stdout), "still here\n", option);
    assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/, option);
  }
  await s.stop();
});
