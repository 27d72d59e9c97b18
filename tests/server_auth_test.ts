import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { authenticate, type AuthState, MAX_AUTH_TRIES } from "../lib/server_auth.ts";
import { silentLogger } from "../lib/logger.ts";
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
  authenticate(query.c, cfg, state, "127.0.0.1", silentLogger);
  assert.deepEqual(query.answers, ["accept"], "the query is answered (ssh2 sends PK_OK)");
  assert.equal(state.method, "-", "but nothing is granted");

  const forged = ctx({ key, signature: otherPriv.sign(blob), blob, hashAlgo: undefined });
  authenticate(forged.c, cfg, state, "127.0.0.1", silentLogger);
  assert.match(forged.answers[0]!, /^reject/);
  assert.equal(state.failures, 1);

  const real = ctx({ key, signature: priv.sign(blob), blob, hashAlgo: undefined });
  authenticate(real.c, cfg, state, "127.0.0.1", silentLogger);
  assert.deepEqual(real.answers, ["accept"]);
  assert.equal(state.method, "publickey");

  const wrongUser = ctx({ username: "root", key, signature: priv.sign(blob), blob });
  authenticate(
    wrongUser.c,
    cfg,
    { method: "-", user: "-", failures: 0 },
    "127.0.0.1",
    silentLogger,
  );
  assert.match(wrongUser.answers[0]!, /^reject/, "only the server's own user");
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
    const p = ssh2.utils.parseKey(pair.private) as ssh2.ParsedKey;
    const blob = Buffer.from("x");
    const t = ctx({
      key: { algo: "ssh-ed25519", data: p.getPublicSSH() },
      signature: p.sign(blob),
      blob,
    });
    authenticate(t.c, cfg, { method: "-", user: "-", failures: 0 }, ip, silentLogger);
    assert.match(t.answers[0]!, /^reject/);
  }
  const p = ssh2.utils.parseKey(a.private) as ssh2.ParsedKey;
  const blob = Buffer.from("x");
  const fromOk = ctx({
    key: { algo: "ssh-ed25519", data: p.getPublicSSH() },
    signature: p.sign(blob),
    blob,
  });
  authenticate(fromOk.c, cfg, { method: "-", user: "-", failures: 0 }, "10.0.0.7", silentLogger);
  assert.deepEqual(fromOk.answers, ["accept"]);

  const state: AuthState = { method: "-", user: "-", failures: 0 };
  let disconnect = false;
  for (let i = 0; i < MAX_AUTH_TRIES; i++) {
    const t = ctx({ method: "password", password: "nope" });
    disconnect = authenticate(
      t.c,
      { ...cfg, passwordFile: `${dir}/none` },
      state,
      "127.0.0.1",
      silentLogger,
    );
  }
  assert.equal(disconnect, true, "the sixth failure ends the connection");
});
