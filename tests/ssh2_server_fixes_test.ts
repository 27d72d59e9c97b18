/**
 * Each workaround of lib/ssh2_server_fixes.ts against the real client that showed the bug:
 * dbclient, paramiko, asyncssh, Go's x/crypto/ssh and OpenSSH's ssh.
 */

import assert from "node:assert/strict";
import { tempDir, testEnv } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { hashPasswordFile, hostKeyLine, opensshWords, startSshServe, USER } from "./_serve_ssh.ts";
import { type ClientKeys, makeClientKeys, PYTHON, SshClients } from "./_ssh_clients.ts";
import { kexGuessIsRight, SERVER_SIG_ALGS } from "../lib/ssh2_server_fixes.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: Uint8Array; env?: Record<string, string>; limitMs?: number } = {},
) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env, clearEnv: true } : {}),
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, opts.limitMs ?? 30000);
  const w = child.stdin.getWriter();
  const writing = (async () => {
    if (opts.stdin) await w.write(opts.stdin).catch(() => {});
    await w.close().catch(() => {});
  })();
  const [out] = await Promise.all([child.output(), writing]);
  clearTimeout(timer);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), killed };
}

interface World extends AsyncDisposable {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly keys: ClientKeys;
  readonly clients: SshClients;
  /** known_hosts lines for the server. */
  readonly knownHosts: string;
  log(): string;
}

/** A server with the given host key types, every client key authorized, a password, `echo`. */
async function world(hostKeys: ("ed25519" | "rsa")[] = ["ed25519"]): Promise<World> {
  const dir = await tempDir("sockhop-fixes-");
  try {
    const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
    const keys = await makeClientKeys(dir);
    await Deno.writeTextFile(`${dir}/authorized_keys`, keys.publicLines.join("\n") + "\n", {
      mode: 0o600,
    });
    const password = await hashPasswordFile(dir, env);
    const lines: string[] = [];
    for (const type of hostKeys) lines.push(await hostKeyLine(`${dir}/host_${type}`, type));
    const serve = await startSshServe(`${dir}/authorized_keys`, [
      `--password-hashes=${dir}/passwords`,
      ...hostKeys.map((t) => `--ssh-host-key=${dir}/host_${t}`),
      "echo",
      "exec:cat",
    ], env);
    const port = serve.port;
    return {
      dir,
      port,
      user: USER,
      password,
      keys,
      clients: new SshClients(dir, keys),
      knownHosts: lines.map((l) => `[127.0.0.1]:${port} ${l}\n`).join(""),
      log: () => serve.log(),
      async [Symbol.asyncDispose]() {
        await serve.stop();
        await dir[Symbol.asyncDispose]();
      },
    };
  } catch (err) {
    await dir[Symbol.asyncDispose]();
    throw err;
  }
}

/** OpenSSH's ssh words for a world: no user config, its known_hosts, no questions. */
function sshWords(w: World, key: string, ...options: string[]): string[] {
  return opensshWords(key, {
    knownHosts: `${w.dir}/known_hosts`,
    options,
    port: w.port,
    user: w.user,
  });
}

Deno.test("kexGuessIsRight: right only when both first kex and host key are the server's", () => {
  const kexinit = (kex: string, hostKey: string) => {
    const parts = [kex, hostKey, "aes128-ctr"].map((s) => enc.encode(s));
    const out = new Uint8Array(17 + parts.reduce((n, p) => n + 4 + p.length, 0));
    out[0] = 20;
    let pos = 17;
    for (const p of parts) {
      new DataView(out.buffer).setUint32(pos, p.length);
      out.set(p, pos + 4);
      pos += 4 + p.length;
    }
    return out;
  };
  const k = "curve25519-sha256";
  assert.ok(
    kexGuessIsRight(kexinit(`${k},ext-info-c`, "ssh-ed25519,rsa-sha2-512"), k, "ssh-ed25519"),
  );
  assert.ok(!kexGuessIsRight(kexinit(`${k},ext-info-c`, "ssh-ed25519"), k, "rsa-sha2-512"));
  assert.ok(!kexGuessIsRight(kexinit(`ecdh-sha2-nistp256,${k}`, "ssh-ed25519"), k, "ssh-ed25519"));
  assert.ok(!kexGuessIsRight(kexinit(k, "ssh-ed25519").subarray(0, 30), k, "ssh-ed25519"));
});

Deno.test("server fixes: dbclient's first key-exchange guess, right or wrong (RFC 4253 §7.1)", async () => {
  if (!SshClients.available("dbclient")) return;
  // dbclient sends its KEXDH_INIT on a guess: curve25519-sha256 with ssh-ed25519. Right for a
  // server whose first host key is ed25519 (ssh2 dropped that packet: the client waited for the
  // login grace time), wrong for an RSA-only one (the packet must be dropped).
  for (const hostKeys of [["ed25519"], ["rsa"]] as const) {
    await using w = await world([...hostKeys]);
    const r = await w.clients.client("dbclient").run(
      w,
      "ed25519",
      "sockhop _proxy echo",
      enc.encode("guess"),
      20000,
    );
    assert.ok(!r.killed, `${hostKeys}: dbclient hung:\n${r.stderr}\n${w.log()}`);
    assert.equal(r.code, 0, `${hostKeys}: ${r.stderr}`);
    assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\nguess");
  }
});

Deno.test("server fixes: paramiko tries none, a wrong key, then a password on one connection", async () => {
  if (!SshClients.available("paramiko")) return;
  await using w = await world();
  // Each attempt starts with a SERVICE_REQUEST for ssh-userauth; ssh2 disconnected at the second.
  const script = `
import os, sys, paramiko
host, port, user, key, known_hosts = sys.argv[1:6]
t = paramiko.Transport((host, int(port)))
t.start_client(timeout=20)
expected = paramiko.HostKeys(known_hosts).lookup("[%s]:%s" % (host, port))
assert expected and t.get_remote_server_key() in expected.values(), "host key"
try:
    t.auth_none(user)
    print("none: accepted")
except paramiko.BadAuthenticationType as e:
    print("none: refused, allowed " + ",".join(e.allowed_types))
try:
    t.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(key))
    print("wrong key: accepted")
except paramiko.AuthenticationException:
    print("wrong key: refused")
t.auth_password(user, os.environ["TEST_PASSWORD"])
print("password: accepted")
ch = t.open_session()
ch.exec_command("sockhop _proxy echo")
ch.sendall(b"after three attempts")
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
  await Deno.writeTextFile(`${w.dir}/multi.py`, script);
  await Deno.writeTextFile(`${w.dir}/known_hosts`, w.knownHosts);
  const wrong = `${w.dir}/wrong`;
  await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ed25519", "-N", "", "-f", wrong] })
    .output();
  const r = await run(PYTHON, [
    `${w.dir}/multi.py`,
    "127.0.0.1",
    String(w.port),
    w.user,
    wrong,
    `${w.dir}/known_hosts`,
  ], { env: { PATH: "/usr/bin:/bin", HOME: w.dir, TEST_PASSWORD: w.password } });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${w.log()}`);
  assert.equal(
    r.stdout,
    [
      "none: refused, allowed publickey,password",
      "wrong key: refused",
      "password: accepted",
      "b'SOCKHOP/1 OK\\nafter three attempts'",
      "exit 0",
      "",
    ].join("\n"),
  );
});

Deno.test("server fixes: RSA keys with Go's x/crypto and asyncssh (PK_OK names rsa-sha2-*)", async () => {
  const kinds = (["go", "asyncssh"] as const).filter((k) => SshClients.available(k));
  if (!kinds.length) return;
  await using w = await world();
  for (const kind of kinds) {
    const r = await w.clients.client(kind).run(w, "rsa", "sockhop _proxy echo", enc.encode(kind));
    assert.equal(r.code, 0, `${kind}: ${r.stderr}\n${w.log()}`);
    assert.equal(dec.decode(r.stdout), `SOCKHOP/1 OK\n${kind}`);
  }
  assert.doesNotMatch(w.log(), /failed publickey/);
});

Deno.test("server fixes: server-sig-algs names what the server accepts; ssh with only rsa-sha2-512", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world();
  await Deno.writeTextFile(`${w.dir}/known_hosts`, w.knownHosts);
  const rsa = w.keys.openssh.rsa;
  const r = await run("ssh", [
    "-vvv",
    ...sshWords(w, rsa, "PubkeyAcceptedAlgorithms=rsa-sha2-512"),
    "sockhop",
    "_proxy",
    "echo",
  ], { stdin: enc.encode("sha2-512") });
  assert.equal(r.code, 0, `${r.stderr}\n${w.log()}`);
  assert.equal(r.stdout, "SOCKHOP/1 OK\nsha2-512");
  const announced = /server-sig-algs=<([^>]*)>/.exec(r.stderr)?.[1];
  assert.equal(announced, SERVER_SIG_ALGS.join(","));
  assert.match(r.stderr, /Server accepts key: .* RSA SHA256:\S+ explicit/);
});

Deno.test("server fixes: no SHA-1 host signatures (ssh -o HostKeyAlgorithms=ssh-rsa fails)", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using w = await world(["ed25519", "rsa"]);
  await Deno.writeTextFile(`${w.dir}/known_hosts`, w.knownHosts);
  const key = w.keys.openssh.ed25519;
  const sha1 = await run("ssh", [...sshWords(w, key, "HostKeyAlgorithms=ssh-rsa"), "sockhop"]);
  assert.equal(sha1.code, 255);
  assert.match(
    sha1.stderr,
    /no matching host key type found\. Their offer: ssh-ed25519,rsa-sha2-512,rsa-sha2-256/,
  );
  for (const algo of ["rsa-sha2-512", "rsa-sha2-256"]) {
    const r = await run("ssh", [
      ...sshWords(w, key, `HostKeyAlgorithms=${algo}`),
      "sockhop",
      "_proxy",
      "echo",
    ], { stdin: enc.encode(algo) });
    assert.equal(r.code, 0, `${algo}: ${r.stderr}`);
    assert.equal(r.stdout, `SOCKHOP/1 OK\n${algo}`);
  }
});

Deno.test("server fixes: a refused exec or shell without want-reply ends the session (dbclient)", async () => {
  if (!SshClients.available("dbclient")) return;
  await using w = await world();
  const client = w.clients.client("dbclient");
  // dbclient asks for exec and shell with want-reply false: ssh2 gave no way to refuse.
  const exec = await client.run(w, "ed25519", "id", undefined, 20000);
  assert.ok(!exec.killed, `exec: dbclient hung: ${exec.stderr}`);
  assert.equal(exec.code, 127, exec.stderr);
  assert.match(exec.stderr, /Refused by sockhop's SSH server: it runs only sockhop _proxy NAME/);
  assert.equal(dec.decode(exec.stdout), "");
  const shell = await client.run(w, "ed25519", "", undefined, 20000);
  assert.ok(!shell.killed, `shell: dbclient hung: ${shell.stderr}`);
  assert.equal(shell.code, 1, shell.stderr);
  assert.match(w.log(), /refused exec "id"/);
  assert.match(w.log(), /refused shell/);
});

Deno.test("server fixes: an RSA key signing with SHA-1 anyway is refused (paramiko)", async () => {
  if (!SshClients.available("paramiko")) return;
  await using w = await world();
  // A client that signs with ssh-rsa whatever server-sig-algs says (which names no ssh-rsa).
  const script = `
import sys, paramiko
host, port, user, key = sys.argv[1:5]
paramiko.auth_handler.AuthHandler._finalize_pubkey_algorithm = lambda self, key_type: "ssh-rsa"
t = paramiko.Transport((host, int(port)))
t.start_client(timeout=20)
try:
    t.auth_publickey(user, paramiko.RSAKey.from_private_key_file(key))
    print("accepted")
except paramiko.AuthenticationException:
    print("refused")
`;
  await Deno.writeTextFile(`${w.dir}/sha1.py`, script);
  const r = await run(PYTHON, [
    `${w.dir}/sha1.py`,
    "127.0.0.1",
    String(w.port),
    w.user,
    w.keys.openssh.rsa,
  ], { env: { PATH: "/usr/bin:/bin", HOME: w.dir } });
  assert.equal(r.stdout, "refused\n", `${r.stderr}\n${w.log()}`);
  assert.match(w.log(), /ssh-rsa signatures \(SHA-1\) are not accepted/);
});
