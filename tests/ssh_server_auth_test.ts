import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { authenticate, type AuthState, MAX_AUTH_TRIES } from "../lib/ssh_server_auth.ts";
import { silentLogger } from "../lib/logger.ts";
import { randomBytes, scryptSync } from "node:crypto";
import { createPasswordChecker, hashPassword, type ScryptHash } from "../lib/password_hashes.ts";
import { generateHostKeyPair } from "../lib/host_keys.ts";
import { tempDir } from "./_cli.ts";

/** A stand-in for ssh2's AuthContext recording what the server answered. */
function ctx(fields: Record<string, unknown>) {
  const answers: string[] = [];
  const c = {
    username: "alice",
    method: "publickey",
    accept: () => answers.push("accept"),
    reject: (methods?: string[], partial?: boolean) =>
      answers.push(`reject ${methods?.join(",") ?? ""} ${partial ?? ""}`.trim()),
    ...fields,
  };
  return { c: c as unknown as ssh2.AuthContext, answers };
}

/** One attempt on a connection with nothing tried yet: what the server answered. */
async function freshAttempt(
  fields: Record<string, unknown>,
  cfg: Parameters<typeof authenticate>[1],
  ip = "127.0.0.1",
  logger: Parameters<typeof authenticate>[4] = silentLogger,
): Promise<string[]> {
  const t = ctx(fields);
  await authenticate(t.c, cfg, { method: "-", user: "-", failures: 0 }, ip, logger);
  return t.answers;
}

/** A publickey attempt with `pair`'s ed25519 key, signed. */
function signedBy(pair: { private: string }) {
  const p = ssh2.utils.parseKey(pair.private) as ssh2.ParsedKey;
  const blob = Buffer.from("x");
  return { key: { algo: "ssh-ed25519", data: p.getPublicSSH() }, signature: p.sign(blob), blob };
}

Deno.test("server auth: a key without a signature only gets PK_OK; a bad signature is refused", async () => {
  await using dir = await tempDir();
  const good = generateHostKeyPair("ed25519");
  const other = generateHostKeyPair("ed25519");
  await Deno.writeTextFile(`${dir}/ak`, good.public + "\n");
  const pub = ssh2.utils.parseKey(good.public) as ssh2.ParsedKey;
  const priv = ssh2.utils.parseKey(good.private) as ssh2.ParsedKey;
  const otherPriv = ssh2.utils.parseKey(other.private) as ssh2.ParsedKey;
  const cfg = { user: "alice", authorizedKeys: `${dir}/ak`, none: false };
  const key = { algo: "ssh-ed25519", data: pub.getPublicSSH() };
  const blob = Buffer.from("session-id and request");

  const state: AuthState = { method: "-", user: "-", failures: 0 };
  const query = ctx({ key, signature: undefined, blob: undefined });
  await authenticate(query.c, cfg, state, "127.0.0.1", silentLogger);
  assert.deepEqual(query.answers, ["accept"], "the query is answered (ssh2 sends PK_OK)");
  assert.equal(state.method, "-", "but nothing is granted");

  const forged = ctx({ key, signature: otherPriv.sign(blob), blob, hashAlgo: undefined });
  await authenticate(forged.c, cfg, state, "127.0.0.1", silentLogger);
  assert.match(forged.answers[0]!, /^reject/);
  assert.equal(state.failures, 1);

  const real = ctx({ key, signature: priv.sign(blob), blob, hashAlgo: undefined });
  await authenticate(real.c, cfg, state, "127.0.0.1", silentLogger);
  assert.deepEqual(real.answers, ["accept"]);
  assert.equal(state.method, "publickey");

  const wrongUser = await freshAttempt(
    { username: "root", key, signature: priv.sign(blob), blob },
    cfg,
  );
  assert.match(wrongUser[0]!, /^reject/, "only the server's own user");
});

Deno.test("server auth: from= is honoured, options we cannot honour make a key unusable, 6 tries", async () => {
  await using dir = await tempDir();
  const a = generateHostKeyPair("ed25519");
  const b = generateHostKeyPair("ed25519");
  await Deno.writeTextFile(
    `${dir}/ak`,
    `from="10.0.0.*" ${a.public}\ncommand="/bin/date" ${b.public}\n`,
  );
  const cfg = { user: "alice", authorizedKeys: `${dir}/ak`, none: false };
  for (const [pair, ip] of [[a, "127.0.0.1"], [b, "127.0.0.1"]] as const) {
    assert.match((await freshAttempt(signedBy(pair), cfg, ip))[0]!, /^reject/);
  }
  assert.deepEqual(await freshAttempt(signedBy(a), cfg, "10.0.0.7"), ["accept"]);

  const state: AuthState = { method: "-", user: "-", failures: 0 };
  let disconnect: string | undefined;
  const passwords = createPasswordChecker({ maxConcurrent: 2, maxQueued: 10 });
  for (let i = 0; i < MAX_AUTH_TRIES; i++) {
    const t = ctx({ method: "password", password: "nope" });
    disconnect = await authenticate(
      t.c,
      { ...cfg, passwordHashes: `${dir}/none`, passwords },
      state,
      "127.0.0.1",
      silentLogger,
    );
  }
  assert.equal(disconnect, "too many authentication failures", "the sixth ends the connection");
});

/** A logger that keeps what it is told. */
function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      debug() {},
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(`warning: ${m}`),
      debugOn: () => false,
    },
  };
}

Deno.test("server auth: an unknown user, or one without a password, costs the same hash as a wrong password", async () => {
  await using dir = await tempDir();
  // alice's hash with other parameters than the default: the dummy must copy them.
  const salt = randomBytes(16);
  const digest = scryptSync("alice's password", salt, 32, {
    N: 32768,
    r: 8,
    p: 1,
    maxmem: 2 ** 26,
  });
  const line = `alice:scrypt$32768$8$1$${salt.toString("base64")}$${digest.toString("base64")}`;
  await Deno.writeTextFile(`${dir}/pw`, `${line}\nbob:${await hashPassword("bob's password")}\n`);
  const real = createPasswordChecker({ maxConcurrent: 2, maxQueued: 10 });
  const hashed: string[] = [];
  const passwords = {
    load: real.load,
    verify(hash: ScryptHash, password: string, signal?: AbortSignal) {
      hashed.push(`N=${hash.N} r=${hash.r} p=${hash.p}`);
      return real.verify(hash, password, signal);
    },
  };
  const cfg = { user: "alice", passwordHashes: `${dir}/pw`, passwords, none: false };
  const attempt = async (username: string, password: string, c = cfg) => {
    const t = ctx({ username, method: "password", password });
    const state: AuthState = { method: "-", user: "-", failures: 0 };
    await authenticate(t.c, c, state, "127.0.0.1", silentLogger);
    return t.answers[0]!.split(" ")[0];
  };
  assert.equal(await attempt("mallory", "guess"), "reject");
  assert.equal(await attempt("bob", "bob's password"), "reject", "only the server's user");
  assert.equal(await attempt("alice", "guess"), "reject");
  assert.equal(await attempt("alice", "alice's password"), "accept");
  assert.deepEqual(hashed, Array(4).fill("N=32768 r=8 p=1"), "one hash each, alike");

  // The server's user with no line: a hash all the same, with the default parameters.
  hashed.length = 0;
  await Deno.writeTextFile(`${dir}/pw2`, `bob:${await hashPassword("bob's password")}\n`);
  assert.equal(await attempt("alice", "guess", { ...cfg, passwordHashes: `${dir}/pw2` }), "reject");
  assert.deepEqual(hashed, ["N=16384 r=8 p=1"]);
});

Deno.test("server auth: a password file gone bad after start refuses every password, and says so", async () => {
  await using dir = await tempDir();
  const path = `${dir}/pw`;
  await Deno.writeTextFile(path, `alice:${await hashPassword("the password")}\n`);
  const passwords = createPasswordChecker({ maxConcurrent: 2, maxQueued: 10 });
  const cfg = { user: "alice", passwordHashes: path, passwords, none: false };
  const { lines, logger } = recordingLogger();
  const attempt = async (password: string) => {
    const answers = await freshAttempt({ method: "password", password }, cfg, "127.0.0.1", logger);
    return answers[0]!.split(" ")[0];
  };
  assert.equal(await attempt("the password"), "accept");
  // The hash that let anyone in: an empty digest.
  await Deno.writeTextFile(path, "alice:scrypt$16384$8$1$c2FsdHNhbHQ=$=\n");
  assert.equal(await attempt("the password"), "reject");
  assert.equal(await attempt(""), "reject");
  assert.match(
    lines.join("\n"),
    /warning: \S+pw line 1: the salt is not 16 bytes.*password logins refused/,
  );
  await Deno.remove(path);
  assert.equal(await attempt("the password"), "reject");
  assert.match(lines.join("\n"), /does not exist: create it with sockhop passwd/);
});

Deno.test("server auth: authorized_keys and the password file made writable by others after start are refused at the next attempt", async () => {
  if (Deno.build.os === "windows") return;
  await using dir = await tempDir();
  const pair = generateHostKeyPair("ed25519");
  await Deno.writeTextFile(`${dir}/ak`, pair.public + "\n", { mode: 0o600 });
  await Deno.chmod(`${dir}/ak`, 0o600);
  const cfg = { user: "alice", authorizedKeys: `${dir}/ak`, none: false };
  const attempt = async () => (await freshAttempt(signedBy(pair), cfg))[0];
  assert.equal(await attempt(), "accept");
  await Deno.chmod(`${dir}/ak`, 0o666);
  assert.match((await attempt())!, /^reject/, "a key file others may write grants nothing");
  await Deno.chmod(`${dir}/ak`, 0o600);
  assert.equal(await attempt(), "accept");

  const hash = await hashPassword("correct horse");
  await Deno.writeTextFile(`${dir}/pw`, `alice:${hash}\n`, { mode: 0o600 });
  await Deno.chmod(`${dir}/pw`, 0o600);
  const pwCfg = {
    user: "alice",
    passwordHashes: `${dir}/pw`,
    passwords: createPasswordChecker({ maxConcurrent: 1, maxQueued: 4 }),
    none: false,
  };
  const login = async () =>
    (await freshAttempt({ method: "password", password: "correct horse" }, pwCfg))[0];
  assert.equal(await login(), "accept");
  await Deno.chmod(`${dir}/pw`, 0o620);
  assert.match((await login())!, /^reject/, "a password file others may write grants nothing");
});
