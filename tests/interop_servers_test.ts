/**
 * The built-in client against SSH servers written with other libraries (asyncssh, paramiko,
 * Go's x/crypto/ssh, libssh, Twisted Conch): how a session ends. Each sends the exit status 200 ms after its output's
 * EOF; the client must wait for it, as OpenSSH's ssh does, and not close the channel first.
 * And against sshd, a command that exits at once: its status comes in the same read as the
 * exec reply, many connections at a time.
 */

import assert from "node:assert/strict";
import { randomBytes, runSockhop, sha256, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer, startSshd } from "./_sshd.ts";
import { nativeFlags } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { SERVER_KINDS, serverAvailable, startServer } from "./_ssh_servers.ts";
import { ANY_HOST_KEY_OPTIONS, NATIVE_ANY_HOST_KEY } from "./_serve_ssh.ts";

const dec = new TextDecoder();

/**
 * The built-in client's words for a throwaway server: any host key taken, none kept; a fresh
 * key for Conch, which wants one (the others take "none" first).
 */
async function nativeWords(dir: string): Promise<string[]> {
  await keygen(`${dir}/client`);
  return [
    ...NATIVE_ANY_HOST_KEY,
    "-i",
    `${dir}/client`,
    "-o",
    "IdentitiesOnly=yes",
  ];
}

for (const kind of SERVER_KINDS) {
  Deno.test(`interop servers: ${kind}: the exit status that comes after the output is waited for`, async () => {
    if (!serverAvailable(kind)) return;
    await using dir = await tempDir();
    await using server = await startServer(kind, dir);
    const words = await nativeWords(dir);
    const env = testEnv(`${dir}/s`);
    const data = randomBytes(300 * 1024);
    for (let i = 0; i < 3; i++) {
      const ok = await runSockhop(
        ["connect", `ssh://nobody@127.0.0.1:${server.port}/late`, ...words],
        { env, stdin: data },
      );
      assert.equal(ok.code, 0, `${ok.stderr}\n${server.log()}`);
      assert.equal(await sha256(ok.stdout), await sha256(data));
    }
    // Nothing to send: both EOFs at once, the status still 200 ms away.
    const empty = await runSockhop(
      ["connect", `ssh://nobody@127.0.0.1:${server.port}/late`, ...words],
      { env },
    );
    assert.equal(empty.code, 0, `${empty.stderr}\n${server.log()}`);
    assert.equal(empty.stdout.length, 0);
    // The status itself, not only "one came".
    const three = await runSockhop(
      ["connect", `ssh://nobody@127.0.0.1:${server.port}/late3`, ...words],
      { env, stdin: new TextEncoder().encode("x") },
    );
    assert.equal(three.code, 1, three.stderr);
    assert.equal(dec.decode(three.stdout), "x");
    assert.match(three.stderr, /The remote side ended with status 3/);
  });
}

Deno.test("interop servers: sockhop ssh gets the exit status each server sends after its output", async () => {
  const kinds = SERVER_KINDS.filter((k) => serverAvailable(k));
  await using dir = await tempDir();
  await keygen(`${dir}/client`);
  for (const kind of kinds) {
    await using server = await startServer(kind, dir);
    const r = await runSockhop([
      "ssh",
      ...ANY_HOST_KEY_OPTIONS,
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      `${dir}/client`,
      "-p",
      String(server.port),
      "nobody@127.0.0.1",
      "late5",
    ], { env: testEnv(`${dir}/s`), stdin: new TextEncoder().encode("via ssh") });
    assert.equal(r.code, 5, `${kind}: ${r.stderr}\n${server.log()}`);
    assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\nvia ssh", kind);
  }
});

Deno.test("interop servers: go: the status in the same read as the exec reply is not missed", async () => {
  if (!serverAvailable("go")) return;
  await using dir = await tempDir();
  await using server = await startServer("go", dir);
  const words = await nativeWords(dir);
  const env = testEnv(`${dir}/s`);
  for (const [name, want] of [["atonce", 0], ["atonce4", 1], ["atonce", 0]] as const) {
    const r = await runSockhop(
      ["connect", `ssh://nobody@127.0.0.1:${server.port}/${name}`, ...words],
      { env },
    );
    assert.equal(r.code, want, `${name}: ${r.stderr}\n${server.log()}`);
    if (want) assert.match(r.stderr, /The remote side ended with status 4/);
  }
});

Deno.test("interop servers: sshd, a command that exits at once, 36 connects 6 at a time: each gets its status", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const atOnce = await markerWrapper(dir, "true");
  const failing = await markerWrapper(dir, "false");
  const base = [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
    ...nativeFlags(sshd),
    "-o",
    "BatchMode=yes",
  ];
  const failures: string[] = [];
  for (let round = 0; round < 6; round++) {
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        runSockhop([...base, `--remote-sockhop=${i === 5 ? failing : atOnce}`], { env })
      ),
    );
    results.forEach((r, i) => {
      const want = i === 5 ? 1 : 0;
      if (r.code !== want) failures.push(`round ${round} #${i}: exit ${r.code}: ${r.stderr}`);
      if (i === 5 && !/The remote side ended with status 1/.test(r.stderr)) {
        failures.push(`round ${round} #${i}: ${r.stderr}`);
      }
    });
  }
  assert.deepEqual(failures, []);
});
