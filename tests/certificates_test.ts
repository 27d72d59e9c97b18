/**
 * Certificates ssh finds on its own (`KEY-cert.pub` beside -i KEY, a certificate in the
 * agent): --ssh=auto hands the route to ssh, which logs in with them; --ssh=native refuses,
 * naming the certificate. Against a real sshd trusting a CA made here (TrustedUserCAKeys) and
 * a real ssh-agent.
 */

import assert from "node:assert/strict";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { certificateGap } from "../lib/certificates.ts";
import { resolveSshConfig } from "../lib/ssh_config.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const havePeers = () =>
  requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") &&
  requirePeer("ssh-agent", "ssh-agent", "openssh-client");

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null", stderr: "piped" }).output();
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
}

/** An sshd that trusts a fresh CA, and a key (not in authorized_keys) with its certificate. */
async function world(dir: string) {
  await keygen(`${dir}/ca`);
  const sshd = await startSshd({ extraConfig: [`TrustedUserCAKeys ${dir}/ca.pub`] });
  const key = `${dir}/user_key`;
  await keygen(key);
  await run("ssh-keygen", ["-q", "-s", `${dir}/ca`, "-I", "test", "-n", sshd.user, `${key}.pub`]);
  return { sshd, key, cert: `${key}-cert.pub` };
}

function args(sshd: Sshd, remote: string, ssh: string, more: string[]): string[] {
  return [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
    `--ssh=${ssh}`,
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    `--remote-sockhop=${remote}`,
    "--debug=ssh",
    ...more,
  ];
}

Deno.test("certificates: KEY-cert.pub beside -i KEY: auto goes through ssh, native refuses naming it", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  const { sshd, key, cert } = await world(dir);
  try {
    const remote = await markerWrapper(dir, "cat");
    const env = { ...testEnv(`${dir}/s`), SSH_AUTH_SOCK: "" };
    const auto = await runSockhop(args(sshd, remote, "auto", ["-i", key]), {
      env,
      stdin: enc.encode("by certificate"),
    });
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(dec.decode(auto.stdout), "by certificate");
    assert.match(
      auto.stderr,
      new RegExp(`--ssh=auto: using openssh, because of the certificate ${cert} \\(beside ${key}`),
    );
    assert.match(await sshd.log(), /Accepted publickey .* ED25519-CERT/);

    const native = await runSockhop(args(sshd, remote, "native", ["-i", key]), { env });
    assert.equal(native.code, 2, native.stderr);
    assert.match(
      native.stderr,
      new RegExp(`The built-in client cannot honour the certificate ${cert} \\(beside ${key}`),
    );
  } finally {
    await sshd.stop();
  }
});

Deno.test("certificates: a certificate in the agent: auto goes through ssh, native refuses naming it", async () => {
  if (!havePeers()) return;
  await using dir = await tempDir();
  const { sshd, key } = await world(dir);
  const sock = `${dir}/agent.sock`;
  const agent = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 250 && !(await Deno.stat(sock).catch(() => null)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // ssh-add takes the certificate beside the key; then only the agent has either.
    await run("ssh-add", [key], { SSH_AUTH_SOCK: sock });
    await Deno.remove(key);
    await Deno.remove(`${key}-cert.pub`);
    const remote = await markerWrapper(dir, "cat");
    const env = { ...testEnv(`${dir}/s`), SSH_AUTH_SOCK: sock };
    // No key file of the user's: only the agent can log in.
    const noFiles = ["-o", `IdentityFile=${dir}/none`];
    const auto = await runSockhop(args(sshd, remote, "auto", noFiles), {
      env,
      stdin: enc.encode("agent certificate"),
    });
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(dec.decode(auto.stdout), "agent certificate");
    assert.match(
      auto.stderr,
      new RegExp(`using openssh, because of the certificate .* in the agent at ${sock}`),
    );

    const native = await runSockhop(args(sshd, remote, "native", noFiles), { env });
    assert.equal(native.code, 2, native.stderr);
    assert.match(native.stderr, /cannot honour the certificate .* in the agent at /);
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
    await sshd.stop();
  }
});

Deno.test("certificates: none beside the key, none in the agent: no gap", async () => {
  await using dir = await tempDir();
  const config = resolveSshConfig({
    host: "db",
    configFile: "none",
    options: [`IdentityFile=${dir}/k`],
    env: { home: String(dir), localUser: "alice" },
  }).config;
  const env = { get: (k: string) => (k === "SSH_AUTH_SOCK" ? "/agent" : undefined) };
  assert.equal(
    certificateGap(config, [], env, String(dir), () => ["ssh-ed25519 AAAA c"]),
    undefined,
  );
  assert.match(
    certificateGap(config, [], env, String(dir), () => [
      "ssh-ed25519 AAAA c",
      "ssh-ed25519-cert-v01@openssh.com AAAA me@ca",
    ]) ?? "",
    /^the certificate me@ca in the agent at \/agent/,
  );
});
