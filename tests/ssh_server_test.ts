/** The built-in SSH server against real clients: OpenSSH ssh, sshpass, plink, ssh-audit. */

import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { randomBytes, runSockhop, sha256, startServe, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer } from "./_sshd.ts";
import {
  authorizeClientKey,
  connectToSocket,
  hashPasswordFile,
  opensshWords,
  servePort,
  USER,
} from "./_serve_ssh.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: Uint8Array; env?: Record<string, string> } = {},
) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
  }).spawn();
  const w = child.stdin.getWriter();
  const writing = (async () => {
    if (opts.stdin) await w.write(opts.stdin).catch(() => {});
    await w.close().catch(() => {});
  })();
  const [out] = await Promise.all([child.output(), writing]);
  return { code: out.code, stdout: out.stdout, stderr: dec.decode(out.stderr) };
}

/** A world: socket dir, config dir, a client key authorized, and a server started with ARGS. */
async function world(serveArgs: string[], extra: { passwordFile?: boolean } = {}) {
  const dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = await authorizeClientKey(dir);
  const pwArgs: string[] = [];
  let password = "";
  if (extra.passwordFile) {
    password = await hashPasswordFile(dir, env);
    pwArgs.push(`--password-hashes=${dir}/passwords`);
  }
  const server = await startServe([
    `--authorized-keys=${dir}/authorized_keys`,
    ...pwArgs,
    ...serveArgs,
  ], env).catch(async (err) => {
    // A server that does not start leaves no temp dir behind either.
    await dir[Symbol.asyncDispose]();
    throw err;
  });
  const bound = (kind: "ssh" | "tcp") =>
    serveArgs.some((a) => a.startsWith(`--bind-${kind}=`)) ? String(servePort(server, kind)) : "";
  const fp = /host key ED25519 (SHA256:\S+)/.exec(server.log())![1]!;
  const user = USER;
  const sshWords = (port: string) => opensshWords(key, { port, user });
  /** sockhop's native client straight to SESSION's socket on the server (direct-streamlocal). */
  const toSocket = (session: string) =>
    connectToSocket(bound("ssh"), key, `${dir}/s/${Deno.hostname()}-${session}`, env);
  /** `sockhop connect` with the native client to SESSION through this server. */
  const nativeConnect = (session: string) =>
    runSockhop([
      "connect",
      `ssh://${user}@127.0.0.1:${bound("ssh")}/${session}`,
      "--ssh=native",
      "-F",
      "none",
      "-i",
      key,
      "-o",
      "IdentitiesOnly=yes",
      "--insecure-accept-any-host-key",
    ], { env });
  return {
    dir,
    env,
    key,
    server,
    password,
    fp,
    user,
    sshPort: bound("ssh"),
    tcpPort: bound("tcp"),
    sshWords,
    toSocket,
    nativeConnect,
    async [Symbol.asyncDispose]() {
      await server.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("server: ssh -> exec sockhop _proxy NAME, 64 MiB each way; --bind-tcp upgrade too", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world([
    "--bind-ssh=127.0.0.1:0",
    "--bind-tcp=127.0.0.1:0",
    "sum",
    "exec:sha256sum",
  ]);
  const data = randomBytes(64 * 1024 * 1024);
  for (const port of [w.sshPort, w.tcpPort]) {
    const r = await run("ssh", [...w.sshWords(port), "sockhop", "_proxy", "sum"], { stdin: data });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(r.stdout), `SOCKHOP/1 OK\n${await sha256(data)}  -\n`);
  }
  await Deno.writeFile(`${w.dir}/down.bin`, data);
  await using down = await startServe(["down", "exec:cat", `${w.dir}/down.bin`], w.env);
  const r = await run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "down"]);
  assert.equal(r.code, 1, "the server serves only its own session");
  // Said as a missing session is, so that the client shows why.
  const only =
    /^SOCKHOP\/1 ERR No session "down" on this SSH server: it is sockhop serve sum's own \(--bind-ssh\), and serves that session only\n$/;
  assert.match(dec.decode(r.stdout), only);
  const nat = await w.nativeConnect("down");
  assert.equal(nat.code, 1, nat.stderr);
  assert.match(nat.stderr, /No session "down" on this SSH server: it is sockhop serve sum's own/);
  assert.doesNotMatch(nat.stderr, /refused to run the remote command/);
  await down.stop();
  assert.match(
    w.server.log(),
    /ssh 127\.0\.0\.1:\d+: user=\S+ method=publickey session=sum in=67108864 out=\d+ [\d.]+s ended: /,
  );
});

Deno.test("server: a gateway to every session; raw TCP relayed on loopback; direct-streamlocal", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0"]);
  await using s = await startServe(["down", "exec:echo", "hello from down"], w.env);
  const r = await run("ssh", [...w.sshWords(w.sshPort), "/opt/anything/sockhop", "_proxy", "down"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\nhello from down\n");
  const missing = await run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(
    dec.decode(missing.stdout),
    /^SOCKHOP\/1 ERR No session "nope"; sessions here: down/,
  );
  // sockhop's own native client through the gateway, and its direct-streamlocal.
  const nat = await w.nativeConnect("down");
  assert.equal(nat.code, 0, nat.stderr);
  assert.equal(dec.decode(nat.stdout), "hello from down\n");
  assert.match(nat.stderr, /insecure-accept-any-host-key: accepting/);
  const direct = await w.toSocket("down");
  assert.equal(dec.decode(direct.stdout), "hello from down\n", direct.stderr);
  await s.stop();
});

Deno.test("server: raw TCP on --bind-tcp reaches the session, server-speaks-first after 1 s", async () => {
  await using w = await world(["--bind-tcp=127.0.0.1:0", "greet", "exec:sh", "-c", "echo hi; cat"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(w.tcpPort) });
  const buf = new Uint8Array(100);
  const n = await conn.read(buf); // we send nothing: after a second the session speaks
  assert.equal(dec.decode(buf.subarray(0, n!)), "hi\n");
  await conn.write(enc.encode("ping"));
  const m = await conn.read(buf);
  assert.equal(dec.decode(buf.subarray(0, m!)), "ping");
  conn.close();
});

Deno.test("server: password accounts with sshpass; plink; wrong key and password refused", async () => {
  if (!requirePeer("sshpass") || !requirePeer("plink", "plink", "putty-tools")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"], {
    passwordFile: true,
  });
  const pwWords = w.sshWords(w.sshPort).map((a) => a === "BatchMode=yes" ? "BatchMode=no" : a)
    .filter((a, i, all) => a !== "-i" && all[i - 1] !== "-i");
  /** ssh with `password` only (through sshpass), to the session `echo`. */
  const viaPassword = (password: string, stdin?: Uint8Array) =>
    run("sshpass", [
      "-e",
      "ssh",
      "-o",
      "PubkeyAuthentication=no",
      ...pwWords,
      "sockhop",
      "_proxy",
      "echo",
    ], { ...(stdin ? { stdin } : {}), env: { ...w.env, SSHPASS: password } });
  const ok = await viaPassword(w.password, enc.encode("via password"));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(dec.decode(ok.stdout), "SOCKHOP/1 OK\nvia password");
  const bad = await viaPassword("wrong");
  assert.equal(bad.code, 5, "sshpass: wrong password");

  const pwfile = `${w.dir}/plinkpw`;
  await Deno.writeTextFile(pwfile, w.password, { mode: 0o600 });
  const plink = await run("plink", [
    "-ssh",
    "-batch",
    "-noagent",
    "-P",
    w.sshPort,
    "-l",
    w.user,
    "-hostkey",
    w.fp,
    "-pwfile",
    pwfile,
    "127.0.0.1",
    "sockhop _proxy echo",
  ], { stdin: enc.encode("via plink") });
  assert.equal(plink.code, 0, plink.stderr);
  assert.equal(dec.decode(plink.stdout), "SOCKHOP/1 OK\nvia plink");

  const other = `${w.dir}/other`;
  await keygen(other);
  const wrongKey = await run("ssh", [
    ...w.sshWords(w.sshPort).map((a) => a === w.key ? other : a),
    "sockhop",
    "_proxy",
    "echo",
  ]);
  assert.equal(wrongKey.code, 255);
  assert.match(wrongKey.stderr, /Permission denied/);
  assert.match(w.server.log(), /failed password for "\S+": wrong password/);
  assert.match(w.server.log(), /failed publickey for "\S+": key not in authorized_keys/);
});

Deno.test("server: the seventh attempt disconnects; shell, pty and forwarding refused", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"]);
  const keys: string[] = [];
  for (let i = 0; i < 8; i++) {
    keys.push("-i", `${w.dir}/k${i}`);
    await keygen(`${w.dir}/k${i}`);
  }
  const words = w.sshWords(w.sshPort).filter((a, i, all) => a !== "-i" && all[i - 1] !== "-i");
  const many = await run("ssh", [...keys, ...words, "sockhop", "_proxy", "echo"]);
  assert.equal(many.code, 255);
  assert.match(w.server.log(), /too many authentication failures/);
  assert.equal((w.server.log().match(/failed publickey/g) ?? []).length, 6);

  const shell = await run("ssh", [...w.sshWords(w.sshPort)]);
  assert.notEqual(shell.code, 0);
  const pty = await run("ssh", ["-tt", ...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"], {
    stdin: enc.encode("x"),
  });
  assert.match(w.server.log(), /refused pty/);
  void pty;
  // A direct-tcpip channel (ssh -W) gets as far as the server, which refuses it.
  const fwd = await run("ssh", ["-W", "127.0.0.1:22", ...w.sshWords(w.sshPort)]);
  assert.equal(fwd.code, 255);
  assert.match(w.server.log(), /refused TCP forwarding/);
  const sub = await run("ssh", ["-s", ...w.sshWords(w.sshPort), "sftp"]);
  assert.notEqual(sub.code, 0);
  assert.match(w.server.log(), /refused shell/);
  assert.match(w.server.log(), /refused subsystem/);
});

Deno.test("server: the caps count connections not yet logged in, as MaxStartups does", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"]);
  const port = Number(w.sshPort);
  // Ten silent connections fill the per-source cap: the next login is dropped.
  const silent = await Promise.all(
    Array.from({ length: 10 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  await new Promise((r) => setTimeout(r, 300));
  const dropped = await run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"]);
  assert.equal(dropped.code, 255);
  assert.match(w.server.log(), /dropped: too many unauthenticated connections/);
  for (const c of silent) c.close();
  await new Promise((r) => setTimeout(r, 300));
  // Logged-in connections no longer count: fifteen sessions held at once from one address.
  const held: Deno.ChildProcess[] = [];
  try {
    for (let i = 0; i < 15; i++) {
      const child = new Deno.Command("ssh", {
        args: [...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      held.push(child);
      const reader = child.stdout.getReader();
      const first = await reader.read();
      reader.releaseLock();
      assert.equal(dec.decode(first.value), "SOCKHOP/1 OK\n", `session ${i + 1} of 15`);
    }
  } finally {
    for (const child of held) {
      await child.stdin.close();
      await child.stdout.cancel();
      await child.status;
    }
  }
});

Deno.test("server: no SHA-1 RSA signatures; direct-streamlocal only to the served session", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "db", "exec:echo", "db"]);
  await using other = await startServe(["my-db", "exec:echo", "SECRET"], w.env);
  const rsa = `${w.dir}/rsa`;
  await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa],
  })
    .output();
  await Deno.writeTextFile(`${w.dir}/authorized_keys`, await Deno.readTextFile(`${rsa}.pub`), {
    append: true,
  });
  const words = w.sshWords(w.sshPort).map((a) => a === w.key ? rsa : a);
  const sha2 = await run("ssh", [...words, "sockhop", "_proxy", "db"]);
  assert.equal(dec.decode(sha2.stdout), "SOCKHOP/1 OK\ndb\n", sha2.stderr);
  const sha1 = await run("ssh", [
    "-o",
    "PubkeyAcceptedAlgorithms=ssh-rsa",
    ...words,
    "sockhop",
    "_proxy",
    "db",
  ]);
  // ssh does not even try: server-sig-algs has no ssh-rsa. ssh2_server_fixes_test.ts has a
  // client that signs with SHA-1 anyway.
  assert.equal(sha1.code, 255);
  const bypass = await w.toSocket("my-db");
  assert.doesNotMatch(dec.decode(bypass.stdout), /SECRET/);
  assert.match(w.server.log(), /refused direct-streamlocal/);
  await other.stop();
});

Deno.test("server: clients that do not log in, banner or not, are closed after the grace time", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world([
    "--bind-ssh=127.0.0.1:0",
    "--login-grace-time=1",
    "echo",
    "exec:cat",
  ]);
  const port = Number(w.sshPort);
  // Ten from one address fill its slots: one silent, nine that send a banner and then wait.
  const idle = await Promise.all(
    Array.from({ length: 10 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  for (const c of idle.slice(1)) await c.write(new TextEncoder().encode("SSH-2.0-slow\r\n"));
  const t0 = Date.now();
  const buf = new Uint8Array(4096);
  for (const c of idle) {
    // The server's banner and key exchange, then EOF when it drops the connection.
    while (await c.read(buf).catch(() => null) !== null) { /* until closed */ }
  }
  assert.ok(Date.now() - t0 < 5000, `closed within the grace time (${Date.now() - t0} ms)`);
  assert.match(w.server.log(), /dropped: no login within 1 s/);
  for (let i = 0; i < 30 && !/ended: no login within 1 s/.test(w.server.log()); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(w.server.log(), /ended: no login within 1 s/);
  // The slots are free again, though those clients never closed their side.
  const r = await run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"]);
  assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\n", r.stderr);
  for (const c of idle) c.close();
});

Deno.test("server: a channel open or global request before login ends the connection", async () => {
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"]);
  for (const early of ["session", "tcpipForward"] as const) {
    const client = new ssh2.Client();
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      client.on("close", () => resolve(Date.now() - t0));
    });
    client.on("error", () => {});
    client.on("handshake", () => {
      // Straight after key exchange, before any authentication.
      const proto = (client as unknown as {
        _protocol: {
          session(c: number, w: number, p: number): void;
          tcpipForward(a: string, p: number, r: boolean): void;
        };
      })._protocol;
      if (early === "session") proto.session(0, 2 ** 21, 2 ** 15);
      else proto.tcpipForward("127.0.0.1", 0, true);
    });
    client.connect({
      host: "127.0.0.1",
      port: Number(w.sshPort),
      username: w.user,
      // Never answers: the connection stays unauthenticated.
      authHandler: () => {},
    });
    const ms = await closed;
    assert.ok(ms < 5000, `${early}: closed after ${ms} ms`);
  }
  assert.match(w.server.log(), /CHANNEL_OPEN before login/);
  assert.match(w.server.log(), /GLOBAL_REQUEST before login/);
});

Deno.test("server: garbage, truncated and oversized packets never crash it or disturb a transfer", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"]);
  const data = randomBytes(32 * 1024 * 1024);
  const transfer = run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"], {
    stdin: data,
  });
  const attacks: Uint8Array[] = [
    randomBytes(70000),
    enc.encode("SSH-2.0-evil\r\n"),
    new Uint8Array([...enc.encode("SSH-2.0-evil\r\n"), 0xff, 0xff, 0xff, 0xf0, 1, 2, 3]),
    new Uint8Array([...enc.encode("SSH-2.0-evil\r\n"), 0, 0, 0, 20, 4, 20]),
    new Uint8Array([...enc.encode("SSH-2.0-evil\r\n"), ...randomBytes(100000)]),
    enc.encode("GET / HTTP/1.1\r\n\r\n"),
    enc.encode("SSH-".repeat(5000)),
  ];
  for (let round = 0; round < 3; round++) {
    await Promise.all(attacks.map(async (bytes) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: Number(w.sshPort) });
      await c.write(bytes).catch(() => 0);
      await new Promise((r) => setTimeout(r, 50));
      c.close();
    }));
  }
  const r = await transfer;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256(r.stdout.subarray(13)), await sha256(data));
  const after = await run("ssh", [...w.sshWords(w.sshPort), "sockhop", "_proxy", "echo"], {
    stdin: enc.encode("still up"),
  });
  assert.equal(dec.decode(after.stdout), "SOCKHOP/1 OK\nstill up");
});

Deno.test("server: strict key exchange and ssh-audit with no failure", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client") || !requirePeer("ssh-audit")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "echo", "exec:cat"]);
  const v = await run("ssh", [
    "-vvv",
    ...w.sshWords(w.sshPort).map((a) => a === "LogLevel=ERROR" ? "LogLevel=DEBUG3" : a),
    "sockhop",
    "_proxy",
    "echo",
  ]);
  assert.match(v.stderr, /will use strict KEX ordering/);
  assert.match(v.stderr, /Remote protocol version 2\.0, remote software version sockhop_\d/);
  const audit = await run("ssh-audit", ["-n", "-p", w.sshPort, "127.0.0.1"]);
  const text = dec.decode(audit.stdout);
  assert.match(text, /sockhop/);
  assert.doesNotMatch(text, /\[fail\]/, text);
});

Deno.test("server: loose host key permissions and --auth=none off loopback are refused", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  await keygen(`${dir}/hk`);
  await Deno.chmod(`${dir}/hk`, 0o644);
  const loose = await runSockhop([
    "serve",
    "--bind-ssh=127.0.0.1:0",
    `--ssh-host-key=${dir}/hk`,
    "x",
    "exec:cat",
  ], { env });
  assert.equal(loose.code, 1);
  assert.match(loose.stderr, /readable by others \(mode 644\): chmod 600/);
  const none = await runSockhop(["serve", "--bind-ssh=0.0.0.0:0", "--auth=none", "x", "exec:cat"], {
    env,
  });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--auth=none is refused on a non-loopback address/);
  // Who may log in must not be writable by others, as sshd's StrictModes has it.
  await Deno.writeTextFile(`${dir}/ak`, await Deno.readTextFile(`${dir}/hk.pub`), {
    mode: 0o666,
  });
  await Deno.chmod(`${dir}/ak`, 0o666);
  const writable = await runSockhop([
    "serve",
    "--bind-ssh=127.0.0.1:0",
    `--authorized-keys=${dir}/ak`,
    "x",
    "exec:cat",
  ], { env });
  assert.equal(writable.code, 1);
  assert.match(writable.stderr, /ak is writable by others \(mode 666\): chmod 600/);
  const socks = [...Deno.readDirSync(`${dir}/s`)];
  assert.deepEqual(socks.map((e) => e.name), [], "nothing left behind");
});

Deno.test("server: ssh -L to a session's socket carries its bytes; a wrong path is refused with the reason", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["--bind-ssh=127.0.0.1:0", "db", "exec:echo", "db-bytes"]);
  const session = `${w.dir}/s/${Deno.hostname()}-db`;
  const tunnel = async (remote: string, said?: RegExp) => {
    const local = `${w.dir}/local-${crypto.randomUUID()}.sock`;
    const ssh = new Deno.Command("ssh", {
      // At LogLevel INFO, ssh shows why a channel open failed.
      args: [
        ...w.sshWords(w.sshPort).map((a) => a === "LogLevel=ERROR" ? "LogLevel=INFO" : a),
        "-N",
        "-L",
        `${local}:${remote}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const deadline = Date.now() + 30000;
    while (!(await Deno.lstat(local).catch(() => undefined))?.isSocket) {
      assert.ok(Date.now() < deadline, "ssh -L never made its socket");
      await new Promise((r) => setTimeout(r, 50));
    }
    let stderr = "";
    const reading = (async () => {
      for await (const chunk of ssh.stderr) stderr += dec.decode(chunk, { stream: true });
    })();
    const conn = await Deno.connect({ transport: "unix", path: local });
    const got = await new Response(conn.readable).text();
    // ssh says why a forward failed once the channel open is answered: waited for, bounded;
    // then it is stopped.
    while (said && !said.test(stderr) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ssh.kill("SIGTERM");
    await ssh.status;
    await reading;
    return { got, stderr };
  };
  const ok = await tunnel(session);
  assert.equal(ok.got, "db-bytes\n", ok.stderr);
  const wrong = await tunnel(`${session}-typo`, /open failed/);
  assert.equal(wrong.got, "");
  assert.match(
    wrong.stderr,
    /open failed: connect failed: Not one of this user's session sockets: \S+-db-typo \(sockhop list on the server shows the sessions' paths\)/,
  );
});
