/**
 * The order the built-in client offers keys in, OpenSSH's (pubkey_prepare): the rule on its
 * own, then against a real ssh-agent and a real sshd (its default MaxAuthTries, 6), next to
 * what ssh does with the same agent.
 */

import assert from "node:assert/strict";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { keyOrder, publicLineBlob } from "../lib/native_key_order.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("key order: named keys the agent holds first (agent order), other agent keys, then files", () => {
  const blob = (n: number) => new Uint8Array([0, 0, 0, 1, n]);
  const agent = [1, 2, 3, 4].map((n) => ({ blob: blob(n), comment: `k${n}` }));
  const files = [
    { file: "f4", blob: blob(4) },
    { file: "f9", blob: blob(9) },
    { file: "f2", blob: blob(2) },
    { file: "fx", blob: undefined },
  ];
  const names = (only: boolean) =>
    keyOrder(files, agent, only).map((s) =>
      s.kind === "file" ? s.file : `agent:${s.key.comment}${s.file ? `=${s.file}` : ""}`
    );
  assert.deepEqual(names(false), [
    "agent:k2=f2",
    "agent:k4=f4",
    "agent:k1",
    "agent:k3",
    "f9",
    "fx",
  ]);
  assert.deepEqual(names(true), ["agent:k2=f2", "agent:k4=f4", "f9", "fx"]);
});

Deno.test("key order: a public key line is read by its own type", () => {
  const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKd1hS0MWxc5+8mGtbjbzYFAzSyeHiFpGRXuJsQzmoXx c";
  assert.equal(publicLineBlob(line)?.length, 51);
  assert.equal(publicLineBlob("ssh-rsa " + line.split(" ")[1]), undefined);
  assert.equal(publicLineBlob("-----BEGIN OPENSSH PRIVATE KEY-----"), undefined);
});

interface Agent extends AsyncDisposable {
  readonly sock: string;
  add(path: string, passphrase?: string): Promise<void>;
}

async function startAgent(dir: string): Promise<Agent> {
  const sock = `${dir}/agent.sock`;
  const child = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 250; i++) {
    try {
      Deno.statSync(sock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    sock,
    async add(path, passphrase) {
      const askpass = `${dir}/askpass`;
      await Deno.writeTextFile(askpass, `#!/bin/sh\necho '${passphrase ?? ""}'\n`, { mode: 0o700 });
      const out = await new Deno.Command("ssh-add", {
        args: [path],
        env: {
          SSH_AUTH_SOCK: sock,
          SSH_ASKPASS: askpass,
          SSH_ASKPASS_REQUIRE: "force",
          DISPLAY: ":0",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, dec.decode(out.stderr));
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const havePeers = () =>
  requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") &&
  requirePeer("ssh-agent", "ssh-agent", "openssh-client");

/** `connect` to the sshd with the built-in client, the agent at `sock`, and `words`. */
function connectArgs(sshd: Sshd, remote: string, words: string[]): string[] {
  return [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    "-o",
    "BatchMode=yes",
    `--remote-sockhop=${remote}`,
    "--debug=ssh",
    ...words,
  ];
}

/** What ssh itself does with the same agent and words. */
async function sshVerdict(sshd: Sshd, sock: string, words: string[]): Promise<number> {
  const out = await new Deno.Command("ssh", {
    args: [
      "-F",
      "none",
      "-o",
      `UserKnownHostsFile=${sshd.knownHosts}`,
      "-o",
      "BatchMode=yes",
      "-p",
      String(sshd.port),
      ...words,
      `${sshd.user}@127.0.0.1`,
      "true",
    ],
    env: { SSH_AUTH_SOCK: sock },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return out.code;
}

Deno.test("key order: -i KEY held by an agent with 7 other keys: KEY first, no 'Too many authentication failures'", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  await using agent = await startAgent(dir);
  for (let i = 0; i < 7; i++) {
    await keygen(`${dir}/other${i}`);
    await agent.add(`${dir}/other${i}`);
  }
  await agent.add(sshd.clientKey);
  const remote = await markerWrapper(dir, "cat");
  const env = { ...testEnv(`${dir}/s`), SSH_AUTH_SOCK: agent.sock };
  for (
    const words of [["-i", sshd.clientKey], ["-i", sshd.clientKey, "-o", "IdentitiesOnly=yes"]]
  ) {
    assert.equal(await sshVerdict(sshd, agent.sock, words), 0, "ssh logs in");
    const r = await runSockhop(connectArgs(sshd, remote, words), {
      env,
      stdin: enc.encode("hi"),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(r.stdout), "hi");
    assert.match(r.stderr, new RegExp(`trying key ${sshd.clientKey} \\(in the agent\\)`));
    assert.doesNotMatch(r.stderr, /trying agent key/, "the named key is the first one offered");
  }
});

Deno.test("key order: IdentityFile X.pub with IdentitiesOnly, the private key only in the agent", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  await using agent = await startAgent(dir);
  await keygen(`${dir}/other`);
  await agent.add(`${dir}/other`);
  await agent.add(sshd.clientKey);
  // Only the public half on disk, as with a hardware key or a password manager's agent.
  const pub = `${dir}/only.pub`;
  await Deno.copyFile(`${sshd.clientKey}.pub`, pub);
  const remote = await markerWrapper(dir, "cat");
  const words = ["-o", `IdentityFile=${pub}`, "-o", "IdentitiesOnly=yes"];
  assert.equal(await sshVerdict(sshd, agent.sock, words), 0, "ssh logs in");
  const r = await runSockhop(connectArgs(sshd, remote, words), {
    env: { ...testEnv(`${dir}/s`), SSH_AUTH_SOCK: agent.sock },
    stdin: enc.encode("pub"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "pub");
  assert.match(r.stderr, new RegExp(`trying key ${pub} \\(in the agent\\)`));
  assert.doesNotMatch(r.stderr, /trying agent key/, "IdentitiesOnly: no other agent key");
});

Deno.test("key order: an encrypted key the agent has unlocked is used with no passphrase asked", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  await using agent = await startAgent(dir);
  const key = `${dir}/locked`;
  const pub = await keygen(key, "secret words");
  await Deno.writeTextFile(`${sshd.dir}/authorized_keys`, pub + "\n", { append: true });
  await agent.add(key, "secret words");
  // Without the .pub beside it too: the public half comes from the key file's clear header.
  await Deno.remove(`${key}.pub`);
  const remote = await markerWrapper(dir, "cat");
  const words = ["-i", key, "-o", "IdentitiesOnly=yes"];
  assert.equal(await sshVerdict(sshd, agent.sock, words), 0, "ssh logs in");
  const r = await runSockhop(connectArgs(sshd, remote, words), {
    env: { ...testEnv(`${dir}/s`), SSH_AUTH_SOCK: agent.sock },
    stdin: enc.encode("unlocked"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "unlocked");
  assert.doesNotMatch(r.stderr, /passphrase/i);
});
