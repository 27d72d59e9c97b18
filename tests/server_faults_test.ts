/**
 * The built-in server under hostile input and faults, with real processes: many channels on
 * one connection, running out of descriptors, malformed password files, FIFOs given as files,
 * out-of-range numbers, and an SSH banner that arrives in pieces on --bind-tcp.
 */

import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { sniff } from "../lib/tcp_upgrade.ts";
import {
  runSockhop,
  runWithOpenStdin,
  type ServeProcess,
  startServe,
  tempDir,
  testEnv,
  until,
  within,
} from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { authorizeClientKey, opensshWords, servePort, startSshServe, USER } from "./_serve_ssh.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

/** A temp dir with a socket dir, a config dir and a client key in authorized_keys. */
async function setup() {
  const dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = await authorizeClientKey(dir, `${dir}/ak`);
  return {
    dir: `${dir}`,
    env,
    key,
    ak: `${dir}/ak`,
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

function sshWords(key: string, port: number): string[] {
  // Key exchange included: a server that never answers fails the test, not hangs it.
  return opensshWords(key, { options: ["ConnectTimeout=10"], port, user: USER });
}

async function run(cmd: string, args: string[], stdin?: Uint8Array, env?: Record<string, string>) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).spawn();
  const w = child.stdin.getWriter();
  const writing = (async () => {
    if (stdin) await w.write(stdin).catch(() => {});
    await w.close().catch(() => {});
  })();
  // Killed after 30 s: a client stuck on a server gone wrong fails the test, not hangs it.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
  const [out] = await Promise.all([child.output(), writing]);
  clearTimeout(timer);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The processes whose parent is `pid`. */
function children(pid: number): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) n++;
    } catch {
      // Gone between the listing and the read.
    }
  }
  return n;
}

/** An ssh2 client logged in with `key`. */
async function connectClient(port: number, key: string): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
    client.connect({
      host: "127.0.0.1",
      port,
      username: USER,
      privateKey: Deno.readTextFileSync(key),
    });
  });
  client.on("error", () => {});
  return client;
}

/** Open `exec _proxy NAME` and wait for the session's first line; rejects when refused. */
function openProxy(client: ssh2.Client, name: string): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => {
    client.exec(`sockhop _proxy ${name}`, (err, stream) => {
      if (err) return reject(err);
      stream.once("data", (chunk: Uint8Array) => {
        if (dec.decode(chunk).startsWith("SOCKHOP/1 OK")) resolve(stream);
        else reject(new Error(dec.decode(chunk)));
      });
      stream.stderr.resume();
    });
  });
}

Deno.test("server faults: sessions per connection capped (--max-sessions), refused with a reason, slots freed on close", async () => {
  await using s = await setup();
  await using server = await startSshServe(s.ak, [
    "echo",
    "exec:cat",
  ], s.env);
  const pid = server.child.pid;
  const client = await connectClient(servePort(server), s.key);
  try {
    const open: ssh2.ClientChannel[] = [];
    for (let i = 0; i < 10; i++) open.push(await openProxy(client, "echo"));
    // A session's command starts once serve has read the connection's first frame, just after
    // the marker went out.
    await until("ten sessions, ten processes", () => children(pid) === 10);
    await assert.rejects(openProxy(client, "echo"), (err: Error & { reason?: number }) => {
      assert.equal(err.reason, 4, "SSH_OPEN_RESOURCE_SHORTAGE");
      assert.match(err.message, /too many channels open on this connection \(at most 10\)/);
      return true;
    });
    // A thousand more at once: every one refused, no process started for any.
    const burst = await Promise.allSettled(
      Array.from({ length: 1000 }, () => openProxy(client, "echo")),
    );
    assert.equal(burst.filter((r) => r.status === "rejected").length, 1000);
    assert.equal(children(pid), 10);
    assert.match(
      server.log(),
      /refused a session channel: 10 channels open already \(--max-sessions\)/,
    );
    // Closed channels give their slots back.
    for (const ch of open.splice(0, 3)) ch.close();
    await until("three sessions ended", () => children(pid) === 7);
    for (let i = 0; i < 3; i++) open.push(await openProxy(client, "echo"));
    const last = open[open.length - 1]!;
    const echoed = new Promise<string>((r) =>
      last.once("data", (c: Uint8Array) => r(dec.decode(c)))
    );
    last.write("still works");
    assert.equal(await echoed, "still works");
    await assert.rejects(openProxy(client, "echo"), /too many channels open/);
    await until("ten again", () => children(pid) === 10);
    for (const ch of open) ch.close();
    await until("every session ended", () => children(pid) === 0);
  } finally {
    client.end();
  }
  // The cap is a flag.
  await using small = await startSshServe(s.ak, [
    "--max-sessions=2",
    "echo2",
    "exec:cat",
  ], s.env);
  const c2 = await connectClient(servePort(small), s.key);
  try {
    await openProxy(c2, "echo2");
    await openProxy(c2, "echo2");
    await assert.rejects(openProxy(c2, "echo2"), /at most 2/);
  } finally {
    c2.end();
  }
});

/** paramiko opens twelve channels, each refused (closed by it, or left open), then a good one. */
const REFUSED_CHANNELS = `
import sys, paramiko
host, port, user, key, mode = sys.argv[1:6]
t = paramiko.Transport((host, int(port)))
t.start_client(timeout=20)
t.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(key))
# A channel left open after its pty was refused may still run a command: it counts, as in sshd.
kinds = ["shell", "pty", "subsystem", "exec"] if mode == "close" else ["shell", "subsystem", "exec"]
refused = set()
for i in range(12):
    kind = kinds[i % len(kinds)]
    ch = t.open_session(timeout=20)
    try:
        if kind == "shell":
            ch.invoke_shell()
        elif kind == "pty":
            ch.get_pty()
        elif kind == "subsystem":
            ch.invoke_subsystem("sftp")
        else:
            ch.exec_command("rm -rf /nothing")
        print(kind + ": accepted")
    except paramiko.SSHException:
        refused.add(kind)
    if mode == "close":
        ch.close()
print("refused: " + ",".join(sorted(refused)))
ch = t.open_session(timeout=20)
ch.exec_command("sockhop _proxy echo")
ch.sendall(b"after twelve refusals")
ch.shutdown_write()
out = b""
while True:
    b = ch.recv(65536)
    if not b:
        break
    out += b
print(repr(out))
print("exit %d" % ch.recv_exit_status())
t.close()
`;

Deno.test("server faults: refused shell, pty, subsystem and exec channels hold no slot of --max-sessions (paramiko)", async () => {
  if (
    !requirePeer(
      "paramiko",
      "/usr/lib/python3/dist-packages/paramiko/__init__.py",
      "python3-paramiko",
    )
  ) return;
  await using s = await setup();
  await using server = await startSshServe(s.ak, ["echo", "exec:cat"], s.env);
  await Deno.writeTextFile(`${s.dir}/refused.py`, REFUSED_CHANNELS);
  for (const mode of ["close", "leave open"]) {
    const r = await run("/usr/bin/python3", [
      `${s.dir}/refused.py`,
      "127.0.0.1",
      String(servePort(server)),
      USER,
      s.key,
      mode,
    ]);
    assert.equal(r.code, 0, `${mode}: ${r.stdout}\n${r.stderr}\n${server.log()}`);
    assert.equal(
      r.stdout,
      [
        `refused: ${mode === "close" ? "exec,pty,shell,subsystem" : "exec,shell,subsystem"}`,
        "b'SOCKHOP/1 OK\\nafter twelve refusals'",
        "exit 0",
        "",
      ].join("\n"),
    );
  }
  assert.doesNotMatch(server.log(), /--max-sessions/);
});

Deno.test("server faults: out of descriptors, both listeners recover once some are free", async () => {
  if (
    !requirePeer("prlimit", "prlimit", "util-linux") || !requirePeer("python3", "/usr/bin/python3")
  ) {
    return;
  }
  await using s = await setup();
  await using server = await startSshServe(s.ak, [
    "--login-grace-time=120",
    "echo",
    "exec:cat",
  ], s.env);
  const pid = server.child.pid;
  const port = servePort(server);
  const limit = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), "--nofile=64:64"],
  }).output();
  assert.equal(limit.code, 0, dec.decode(limit.stderr));
  // Idle connections that never log in, ten per loopback address (the per-source cap), until
  // the server has no descriptor left. Held by a Python process until its stdin closes.
  const holder = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      `
import socket, sys
held = []
for i in range(80):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i // 10), 0))
    s.connect(("127.0.0.1", ${port}))
    held.append(s)
print("held", flush=True)
sys.stdin.read()
`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const holderOut = holder.stdout.getReader();
  try {
    assert.match(dec.decode((await holderOut.read()).value), /held/);
    await until("the server is out of descriptors", () => /cannot accept: /.test(server.log()));
    // A client of the session itself while there is no descriptor to accept it with: it waits
    // in the backlog (serve used to exit: "internal error: Too many open files").
    const socket = `${s.dir}/s/${Deno.hostname()}-echo`;
    const local = await Deno.connect({ transport: "unix", path: socket });
    await local.write(enc.encode("through the session socket"));
    await new Promise((r) => setTimeout(r, 500));
    const alive = await Promise.race([server.child.status, new Promise((r) => setTimeout(r, 0))]);
    assert.equal(alive, undefined, `serve is still running:\n${server.log()}`);
    // Descriptors come back: the waiting client is served, and so is a new SSH login.
    await holder.stdin.close();
    await holder.status;
    const buf = new Uint8Array(100);
    const n = await within(60_000, "the waiting client is served", local.read(buf), server.log);
    assert.equal(dec.decode(buf.subarray(0, n ?? 0)), "through the session socket");
    local.close();
    const r = await run(
      "ssh",
      [...sshWords(s.key, port), "sockhop", "_proxy", "echo"],
      enc.encode("ssh again"),
    );
    assert.equal(r.stdout, "SOCKHOP/1 OK\nssh again", r.stderr + server.log());
    assert.match(server.log(), /accepting again/);
  } finally {
    await holder.stdin.close().catch(() => {});
    holderOut.releaseLock();
    await holder.stdout.cancel().catch(() => {});
    await holder.status;
  }
});

/**
 * A TCP relay to `port` that sends the client's first 5 bytes one at a time, 50 ms apart: an
 * SSH banner arriving in pieces, as over a slow link.
 */
function splittingRelay(port: number): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      conns.push(client);
      (async () => {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
        conns.push(upstream);
        const first = new Uint8Array(4096);
        const n = await client.read(first);
        if (n === null) return;
        for (let i = 0; i < Math.min(n, 5); i++) {
          await upstream.write(first.subarray(i, i + 1));
          await new Promise((r) => setTimeout(r, 50));
        }
        if (n > 5) await upstream.write(first.subarray(5, n));
        await Promise.all([
          client.readable.pipeTo(upstream.writable).catch(() => {}),
          upstream.readable.pipeTo(client.writable).catch(() => {}),
        ]);
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Closed by its pipe already.
        }
      }
    },
  };
}

Deno.test("server faults: --bind-tcp waits for 4 bytes before calling a connection raw", async () => {
  assert.equal(sniff(enc.encode("S"), false), undefined);
  assert.equal(sniff(enc.encode("SSH"), false), undefined);
  assert.equal(sniff(enc.encode("SSH-"), false), "ssh");
  assert.equal(sniff(enc.encode("SSX"), false), "raw");
  assert.equal(sniff(enc.encode("GET /"), false), "raw");
  assert.equal(sniff(enc.encode("SS"), true), "raw");
  assert.equal(sniff(new Uint8Array(0), true), "raw");
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using s = await setup();
  await using server = await startServe([
    "--bind-tcp=127.0.0.1:0",
    `--authorized-keys=${s.ak}`,
    "echo",
    "exec:cat",
  ], s.env);
  const relay = splittingRelay(servePort(server, "tcp"));
  try {
    const r = await run(
      "ssh",
      [...sshWords(s.key, relay.port), "sockhop", "_proxy", "echo"],
      enc.encode("in pieces"),
    );
    assert.equal(r.stdout, "SOCKHOP/1 OK\nin pieces", r.stderr);
    // Raw still goes raw, in pieces too.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    await conn.write(enc.encode("SSX raw bytes"));
    const buf = new Uint8Array(100);
    let got = "";
    while (got.length < 13) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += dec.decode(buf.subarray(0, n));
    }
    assert.equal(got, "SSX raw bytes");
    conn.close();
  } finally {
    relay.close();
  }
});

Deno.test("server faults: bad password files are refused at start, naming the line or the fix", async () => {
  await using s = await setup();
  const pw = `${s.dir}/passwords`;
  const args = ["serve", "--bind-ssh=127.0.0.1:0", `--authorized-keys=${s.ak}`];
  // Killed after 15 s: a server that started anyway would never end on its own.
  const missing = await runWithOpenStdin(
    [...args, `--password-hashes=${pw}`, "x", "exec:cat"],
    s.env,
    15000,
  );
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /Password file \S+passwords does not exist: create it with sockhop passwd --password-hashes=\S+passwords/,
  );
  const set = await runSockhop(["passwd", `--password-hashes=${pw}`], {
    env: s.env,
    stdin: enc.encode("a good password\n"),
  });
  assert.equal(set.code, 0, set.stderr);
  const good = await Deno.readTextFile(pw);
  const salt = "c2FsdHNhbHRzYWx0c2FsdA==";
  const bad = [
    ["root:scrypt$16384$8$1$c2FsdHNhbHQ=$=", /line 2: the salt is not 16 bytes of base64/],
    [`root:scrypt$16384$8$1$${salt}$=`, /line 2: the digest is not 32 bytes of base64/],
    [`root:scrypt$3$8$1$${salt}$${btoa("x".repeat(32))}`, /line 2: N=3 is not a power of two/],
    [`root:scrypt$1048576$8$1$${salt}$${btoa("x".repeat(32))}`, /line 2: .*needs 1024 MiB/],
  ] as const;
  for (const [line, want] of bad) {
    await Deno.writeTextFile(pw, `${good}${line}\n`);
    const r = await runWithOpenStdin(
      [...args, `--password-hashes=${pw}`, "x", "exec:cat"],
      s.env,
      15000,
    );
    assert.equal(r.code, 1, line);
    assert.match(r.stderr, want);
    assert.match(r.stderr, /sockhop passwd, or remove that line/);
  }
  assert.deepEqual([...Deno.readDirSync(`${s.dir}/s`)].map((e) => e.name), [], "nothing left");
});

Deno.test("server faults: a FIFO given as a file is refused at start, without blocking", async () => {
  await using s = await setup();
  const fifo = `${s.dir}/fifo`;
  assert.equal((await new Deno.Command("mkfifo", { args: ["-m", "600", fifo] }).output()).code, 0);
  const base = ["serve", "--bind-ssh=127.0.0.1:0"];
  const cases = [
    [
      [`--password-hashes=${fifo}`, `--authorized-keys=${s.ak}`],
      /--password-hashes \S+fifo is a FIFO/,
    ],
    [[`--authorized-keys=${fifo}`], /--authorized-keys \S+fifo is a FIFO/],
    [[`--ssh-host-key=${fifo}`, `--authorized-keys=${s.ak}`], /--ssh-host-key \S+fifo is a FIFO/],
  ] as const;
  for (const [flags, want] of cases) {
    // Killed after 15 s: without the check, reading the FIFO blocked for ever.
    const r = await runWithOpenStdin([...base, ...flags, "x", "exec:cat"], s.env, 15000);
    assert.equal(r.code, 1, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});

Deno.test("server faults: every number option is bounded, with the range in the error", async () => {
  await using s = await setup();
  const base = ["serve", "--bind-ssh=127.0.0.1:0", `--authorized-keys=${s.ak}`];
  const cases = [
    [
      "--login-grace-time=3000000",
      /--login-grace-time=3000000: give a whole number from 1 to 3600/,
    ],
    ["--login-grace-time=0", /from 1 to 3600/],
    ["--login-grace-time=1.5", /from 1 to 3600/],
    ["--login-grace-time=", /from 1 to 3600/],
    ["--max-sessions=0", /--max-sessions=0: give a whole number from 1 to 1000/],
    ["--max-sessions=1e3", /from 1 to 1000/],
    ["--max-password-checks=65", /--max-password-checks=65: give a whole number from 1 to 64/],
    ["--max-password-checks=-1", /from 1 to 64/],
  ] as const;
  for (const [flag, want] of cases) {
    const r = await runWithOpenStdin([...base, flag, "x", "exec:cat"], s.env, 15000);
    assert.equal(r.code, 2, flag);
    assert.match(r.stderr, want);
    assert.match(r.stderr, /Run 'sockhop serve --help' for usage/);
  }
  const help = await runSockhop(["serve", "--help"], { env: s.env });
  for (const flag of ["--max-sessions=N", "--max-password-checks=N", "--login-grace-time=SEC"]) {
    assert.ok(dec.decode(help.stdout).includes(flag), flag);
  }
});

Deno.test("server faults: --password-file on serve and passwd still works, warning of --password-hashes", async () => {
  if (!requirePeer("sshpass")) return;
  await using s = await setup();
  const pw = `${s.dir}/passwords`;
  const warning =
    /warning: --password-file on (serve|passwd) is deprecated: use --password-hashes=\S+passwords/g;
  const set = await runSockhop(["passwd", `--password-file=${pw}`], {
    env: s.env,
    stdin: enc.encode("the right password\n"),
  });
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stderr.match(warning)?.length, 1, set.stderr);
  assert.match(await Deno.readTextFile(pw), new RegExp(`^${USER}:scrypt\\$`));
  const both = await runSockhop(["passwd", `--password-file=${pw}`, `--password-hashes=${pw}`], {
    env: s.env,
    stdin: enc.encode("the right password\n"),
  });
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /give --password-hashes only/);
  for (const flag of ["--password-file", "--password-hashes"]) {
    await using server = await startSshServe(s.ak, [
      `${flag}=${pw}`,
      "echo",
      "exec:cat",
    ], s.env);
    const r = await passwordLogin(s, server, "the right password");
    assert.equal(r.stdout, "SOCKHOP/1 OK\nhi", `${flag}: ${r.stderr}`);
    const warned = server.log().match(warning)?.length ?? 0;
    assert.equal(warned, flag === "--password-file" ? 1 : 0, `${flag}: ${server.log()}`);
  }
});

Deno.test("server faults: a password file that goes bad while serving lets nobody in, and says so", async () => {
  if (!requirePeer("sshpass")) return;
  await using s = await setup();
  const pw = `${s.dir}/passwords`;
  const set = await runSockhop(["passwd", `--password-hashes=${pw}`], {
    env: s.env,
    stdin: enc.encode("the right password\n"),
  });
  assert.equal(set.code, 0, set.stderr);
  await using server = await startSshServe(s.ak, [
    `--password-hashes=${pw}`,
    "echo",
    "exec:cat",
  ], s.env);
  const login = (password: string) => passwordLogin(s, server, password);
  const ok = await login("the right password");
  assert.equal(ok.stdout, "SOCKHOP/1 OK\nhi", ok.stderr);
  await Deno.writeTextFile(pw, `${USER}:scrypt$16384$8$1$c2FsdHNhbHQ=$=\n`);
  for (const guess of ["anything", "the right password", ""]) {
    const r = await login(guess);
    assert.equal(r.code, 5, `sshpass: refused (${guess}): ${r.stdout}`);
  }
  assert.match(server.log(), /line 1: the salt is not 16 bytes.*password logins refused/);
});

/** ssh with a password only (through sshpass), to the session `echo`, sending "hi". */
function passwordLogin(
  s: { key: string; env: Record<string, string> },
  server: ServeProcess,
  password: string,
) {
  const words = sshWords(s.key, servePort(server))
    .map((a) => a === "BatchMode=yes" ? "BatchMode=no" : a)
    .filter((a, i, all) => a !== "-i" && all[i - 1] !== "-i");
  return run(
    "sshpass",
    ["-e", "ssh", "-o", "PubkeyAuthentication=no", ...words, "sockhop", "_proxy", "echo"],
    enc.encode("hi"),
    { ...s.env, SSHPASS: password },
  );
}
