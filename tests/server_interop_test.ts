/**
 * The interop matrix of the built-in server: each SSH client nobody here wrote (dbclient,
 * paramiko, asyncssh, Go's x/crypto/ssh, OpenSSH, libssh2, libssh, Twisted Conch) × each key
 * type and a password, 8 MiB each way through a session, SHA-256 checked both ways. One server
 * per client kind, the kinds run side by side, the logins of one kind one after the other.
 */

import assert from "node:assert/strict";
import { randomBytes, sha256, tempDir, testEnv } from "./_cli.ts";
import {
  CLIENT_KINDS,
  type ClientKind,
  type ClientRun,
  type Login,
  LOGINS,
  makeClientKeys,
  SshClients,
} from "./_ssh_clients.ts";
import {
  authorizeClientKey,
  hashPasswordFile,
  hostKeyLine,
  startSshServe,
  USER,
} from "./_serve_ssh.ts";
import { serverOffer } from "./_client_peers.ts";
import { keygen, requirePeer } from "./_sshd.ts";
import { knownAlgorithms } from "../lib/ssh_algorithms.ts";

const dec = new TextDecoder();
const MIB = 1024 * 1024;
const MARKER = "SOCKHOP/1 OK\n";

/**
 * Combinations that cannot work, and why: the peer lacks what it would need. Each is still
 * run, and must fail: one that starts working is taken off this list.
 */
const CANNOT: Partial<Record<`${ClientKind} ${Login}`, string>> = {
  "libssh2 rsa":
    "libssh2 1.10 signs with an RSA key only as ssh-rsa (SHA-1), which the server does not " +
    "accept; rsa-sha2 signatures came in libssh2 1.11",
  "libssh rsa": "libssh 0.10.6 picks the RSA signature type as soon as the key exchange ends, " +
    "before its service request; the server (ssh2) can send its server-sig-algs only after the " +
    "client's NEWKEYS (sshd sends it right after its own), so libssh falls back to ssh-rsa " +
    "(SHA-1), which its own defaults then refuse to send",
  "conch rsa": "Twisted Conch 22.4's client signs with an RSA key only as ssh-rsa (SHA-1): it " +
    "keeps the server's server-sig-algs but does not use it; the server accepts no SHA-1",
};

/** Why a run is not a good transfer, or undefined when it is. */
async function verdict(
  r: ClientRun,
  up: Uint8Array,
  downHash: string,
  downLength: number,
): Promise<string | undefined> {
  const tail = (r.stderr.trim().split("\n").pop() ?? "").slice(0, 160);
  if (r.killed) return `hung (killed): ${tail}`;
  if (r.code !== 0) return `exit ${r.code}: ${tail}`;
  const out = r.stdout;
  if (dec.decode(out.subarray(0, MARKER.length)) !== MARKER) {
    return `no marker: ${JSON.stringify(dec.decode(out.subarray(0, 40)))}`;
  }
  const down = out.subarray(MARKER.length, MARKER.length + downLength);
  if (await sha256(down) !== downHash) return `download corrupt (${out.length} bytes)`;
  const line = dec.decode(out.subarray(MARKER.length + downLength));
  if (line !== `${await sha256(up)}  -\n`) return `upload corrupt: ${JSON.stringify(line)}`;
  return undefined;
}

Deno.test("server interop: 8 clients × 5 key types and a password, 8 MiB each way", async () => {
  const kinds = CLIENT_KINDS.filter((k) => SshClients.available(k));
  if (!kinds.length) return;
  await using dir = await tempDir("sockhop-interop-");
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const keys = await makeClientKeys(dir);
  const clients = new SshClients(dir, keys);
  await Deno.writeTextFile(`${dir}/authorized_keys`, keys.publicLines.join("\n") + "\n", {
    mode: 0o600,
  });
  const password = await hashPasswordFile(dir, env);
  // Host keys of both kinds: each client picks what it prefers.
  const hostKeyLines: string[] = [];
  for (const type of ["ed25519", "rsa"] as const) {
    hostKeyLines.push(await hostKeyLine(`${dir}/host_${type}`, type));
  }
  const up = randomBytes(8 * MIB);
  const downData = randomBytes(8 * MIB);
  await Deno.writeFile(`${dir}/down.bin`, downData);
  const downHash = await sha256(downData);
  const user = USER;
  if (kinds.includes("go")) await clients.goClient();

  const results = new Map<string, string | undefined>();
  await Promise.all(kinds.map(async (kind) => {
    // The session sends 8 MiB, then the SHA-256 of what it received.
    await using serve = await startSshServe(`${dir}/authorized_keys`, [
      `--password-hashes=${dir}/passwords`,
      `--ssh-host-key=${dir}/host_ed25519`,
      `--ssh-host-key=${dir}/host_rsa`,
      "--login-grace-time=20",
      `mx-${kind}`,
      "exec:sh",
      "-c",
      'cat "$0"; exec sha256sum',
      `${dir}/down.bin`,
    ], env);
    const port = serve.port;
    const target = {
      port,
      user,
      password,
      knownHosts: hostKeyLines.map((l) => `[127.0.0.1]:${port} ${l}\n`).join(""),
    };
    const client = clients.client(kind);
    for (const login of LOGINS) {
      const before = serve.log().length;
      const r = await client.run(target, login, `sockhop _proxy mx-${kind}`, up, 45000);
      let why = await verdict(r, up, downHash, downData.length);
      // The server's line for that connection names how it logged in: the key, not a fallback.
      const ended = new RegExp(`method=(\\S+) session=mx-${kind} .* ended: `);
      for (let i = 0; i < 50 && !ended.test(serve.log().slice(before)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const method = ended.exec(serve.log().slice(before))?.[1];
      const wanted = login === "password" ? "password" : "publickey";
      if (!why && method !== wanted) why = `logged in with ${method}, not ${wanted}`;
      results.set(`${kind} ${login}`, why);
    }
  }));

  const rows = kinds.map((kind) =>
    `| ${kind} | ${
      LOGINS.map((login) => {
        const why = results.get(`${kind} ${login}`);
        if (CANNOT[`${kind} ${login}`]) return why ? "n/a" : "works (listed n/a)";
        return why ? "FAIL" : "ok";
      }).join(" | ")
    } |`
  );
  console.log(
    [`| client | ${LOGINS.join(" | ")} |`, `|---|${LOGINS.map(() => "---").join("|")}|`, ...rows]
      .join("\n"),
  );
  const problems: string[] = [];
  for (const kind of kinds) {
    for (const login of LOGINS) {
      const key = `${kind} ${login}` as const;
      const why = results.get(key);
      const cannot = CANNOT[key];
      if (cannot && !why) problems.push(`${key}: works now, though listed as not (${cannot})`);
      if (!cannot && why) problems.push(`${key}: ${why}`);
    }
  }
  for (const [key, why] of Object.entries(CANNOT)) {
    if (kinds.includes(key.split(" ")[0] as ClientKind)) console.log(`n/a ${key}: ${why}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test("server interop: the MACs offered are sshd's defaults that ssh2 has, in sshd's order, no SHA-1", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir("sockhop-interop-");
  await keygen(`${dir}/host`);
  const t = await new Deno.Command("/usr/sbin/sshd", {
    args: ["-T", "-f", "/dev/null", "-o", `HostKey=${dir}/host`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(t.code, 0, dec.decode(t.stderr));
  const sshdMacs = /^macs (\S+)$/m.exec(dec.decode(t.stdout))![1]!.split(",");
  // UMAC: ssh2 has none; SHA-1: sockhop offers none, as everywhere else.
  const want = sshdMacs.filter((m) => knownAlgorithms("hmac").includes(m) && !/sha1/.test(m));
  assert.ok(want.some((m) => !m.includes("-etm@")), "sshd offers plain HMACs too");
  await authorizeClientKey(dir);
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  await using serve = await startSshServe(`${dir}/authorized_keys`, ["m", "exec:cat"], env);
  const offer = await serverOffer(serve.port);
  assert.deepEqual(offer.mac, want);
});
