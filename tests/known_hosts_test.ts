import assert from "node:assert/strict";
import {
  acceptsAnswer,
  appendKnownHost,
  checkHostKey,
  decideHostKey,
  hashHostName,
  HostKeyError,
  hostKeyName,
  knownKeyTypes,
  unknownHostQuestion,
} from "../lib/known_hosts.ts";
import { fingerprint } from "../lib/ssh_keys.ts";
import { tempDir } from "./_cli.ts";
import { keygen, requirePeer } from "./_sshd.ts";

const dec = new TextDecoder();

async function key(dir: string, name: string) {
  const line = await keygen(`${dir}/${name}`);
  const [type, b64] = line.split(" ");
  return { line: `${type} ${b64}`, blob: new Uint8Array(Buffer.from(b64!, "base64")) };
}

async function sshKeygen(args: string[]) {
  const out = await new Deno.Command("ssh-keygen", { args, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: dec.decode(out.stdout) };
}

Deno.test("known_hosts: plain, [host]:port, patterns, negation, several files", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const b = await key(`${dir}`, "b");
  const f1 = `${dir}/kh1`;
  const f2 = `${dir}/kh2`;
  await Deno.writeTextFile(f1, `# mine\nalpha,10.0.0.1 ${a.line}\n[beta]:2222 ${a.line}\n`);
  await Deno.writeTextFile(f2, `*.example.com,!bad.example.com ${b.line}\n`);
  const files = [f1, f2];
  assert.deepEqual(checkHostKey({ host: "alpha", port: 22, keyBlob: a.blob, files }), {
    status: "known",
    file: f1,
    line: 2,
  });
  assert.equal(checkHostKey({ host: "beta", port: 2222, keyBlob: a.blob, files }).status, "known");
  assert.equal(checkHostKey({ host: "beta", port: 22, keyBlob: a.blob, files }).status, "unknown");
  assert.equal(
    checkHostKey({ host: "x.example.com", port: 22, keyBlob: b.blob, files }).status,
    "known",
  );
  assert.equal(
    checkHostKey({ host: "bad.example.com", port: 22, keyBlob: b.blob, files }).status,
    "unknown",
  );
  assert.deepEqual(checkHostKey({ host: "alpha", port: 22, keyBlob: b.blob, files }), {
    status: "changed",
    file: f1,
    line: 2,
  });
});

Deno.test("known_hosts: hashed entries written by ssh-keygen -H match", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const f = `${dir}/kh`;
  await Deno.writeTextFile(f, `gamma ${a.line}\n[gamma]:2200 ${a.line}\n`);
  assert.equal((await sshKeygen(["-H", "-f", f])).code, 0);
  assert.match(await Deno.readTextFile(f), /^\|1\|/);
  assert.equal(
    checkHostKey({ host: "gamma", port: 22, keyBlob: a.blob, files: [f] }).status,
    "known",
  );
  assert.equal(
    checkHostKey({ host: "gamma", port: 2200, keyBlob: a.blob, files: [f] }).status,
    "known",
  );
  assert.equal(
    checkHostKey({ host: "delta", port: 22, keyBlob: a.blob, files: [f] }).status,
    "unknown",
  );
});

Deno.test("known_hosts: @revoked refused, @cert-authority not usable", async () => {
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const f = `${dir}/kh`;
  await Deno.writeTextFile(
    f,
    `@revoked * ${a.line}\nhost ${a.line}\n@cert-authority *.corp ${a.line}\n`,
  );
  const r = checkHostKey({ host: "host", port: 22, keyBlob: a.blob, files: [f] });
  assert.deepEqual(r, { status: "revoked", file: f, line: 1 });
  assert.equal(decideHostKey(r, "no", false), "refuse");
  const ca = checkHostKey({
    host: "x.corp",
    port: 22,
    keyBlob: (await key(`${dir}`, "b")).blob,
    files: [`${dir}/none`, f],
  });
  assert.equal(ca.status, "unknown");
  assert.match(
    new HostKeyError(ca, "x.corp", a.blob, f).message,
    /@cert-authority.*--ssh=openssh/,
  );
});

Deno.test("known_hosts: fingerprints equal ssh-keygen -lf", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const printed = (await sshKeygen(["-lf", `${dir}/a.pub`])).stdout.split(" ")[1];
  assert.equal(fingerprint(a.blob), printed);
  assert.ok(
    acceptsAnswer("yes", a.blob) && acceptsAnswer(printed!, a.blob) && !acceptsAnswer("y", a.blob),
  );
  assert.match(
    unknownHostQuestion(hostKeyName("h", 2222), a.blob),
    /^The authenticity of host '\[h\]:2222' can't be established\.\nED25519 key fingerprint is SHA256:/,
  );
});

Deno.test("known_hosts: append keeps every other line; hashed lines are found by ssh-keygen -F", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const f = `${dir}/sub/known_hosts`;
  appendKnownHost({ file: f, name: hostKeyName("new", 2222), keyBlob: a.blob, hash: false });
  assert.equal(Deno.statSync(f).mode! & 0o777, 0o600);
  assert.equal(Deno.statSync(`${dir}/sub`).mode! & 0o777, 0o700);
  const before = "# a comment\nold ssh-ed25519 AAAA\n  # indented, no newline at end";
  await Deno.writeTextFile(f, before);
  appendKnownHost({ file: f, name: hostKeyName("hashed", 22), keyBlob: a.blob, hash: true });
  const text = await Deno.readTextFile(f);
  assert.ok(text.startsWith(before + "\n"), "earlier lines and comments kept byte for byte");
  assert.match(text.split("\n")[3]!, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
  const found = await sshKeygen(["-F", "hashed", "-f", f]);
  assert.equal(found.code, 0);
  assert.match(found.stdout, /Host hashed found: line 4/);
  // An existing file keeps its mode, as with ssh (UserKnownHostsFile=/dev/null is common).
  await Deno.chmod(f, 0o644);
  appendKnownHost({ file: f, name: hostKeyName("third", 22), keyBlob: a.blob, hash: false });
  assert.equal(Deno.statSync(f).mode! & 0o777, 0o644);
});

Deno.test("known_hosts: the StrictHostKeyChecking policy", () => {
  const unknown = { status: "unknown", certAuthorityOnly: false } as const;
  assert.equal(decideHostKey(unknown, "yes", false), "refuse");
  assert.equal(decideHostKey(unknown, "accept-new", false), "append-and-accept");
  assert.equal(decideHostKey(unknown, "no", false), "append-and-accept");
  assert.equal(decideHostKey(unknown, "ask", false), "ask");
  assert.equal(decideHostKey(unknown, "ask", true), "refuse");
  assert.equal(decideHostKey({ status: "changed", file: "f", line: 1 }, "no", false), "refuse");
  assert.equal(decideHostKey({ status: "known", file: "f", line: 1 }, "yes", true), "accept");
});

Deno.test("known_hosts: OpenSSH 9.2's lookups: bare host for other ports, case, alias, other types", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const b = await key(`${dir}`, "b");
  const f = `${dir}/kh`;
  const check = (host: string, port: number, blob: Uint8Array, alias?: string) =>
    checkHostKey({ host, port, keyBlob: blob, files: [f], ...(alias ? { alias } : {}) }).status;
  await Deno.writeTextFile(f, `bare ${a.line}\n[bare]:2222 ${b.line}\n`);
  assert.equal(check("bare", 2200, a.blob), "known", "the bare host, when [host]:port is unknown");
  assert.equal(check("bare", 2222, a.blob), "changed", "not when [host]:port has a key");
  assert.equal(check("bare", 2200, a.blob, "other"), "unknown", "never with an alias");
  await Deno.writeTextFile(f, `${hashHostName("[mixed]:2200")} ${a.line}\nalias ${b.line}\n`);
  assert.equal(check("MiXeD", 2200, a.blob), "known", "the name is lowercased before hashing");
  assert.equal(check("x", 2200, b.blob, "ALIAS"), "known");
  assert.equal(hostKeyName("MiXeD", 2200, "My.Alias"), "my.alias");
  // A key of another type on record is a changed key, as ssh has it.
  await Deno.writeTextFile(f, `h ssh-rsa ${a.line.split(" ")[1]}\nh ${b.line}\n`);
  assert.equal(check("h", 22, a.blob), "changed", "the mismatched ssh-rsa line is no entry");
  assert.equal(knownKeyTypes("H", 22, [f]).join(), "ssh-ed25519");
});
