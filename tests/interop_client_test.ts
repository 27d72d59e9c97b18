/**
 * The built-in client against SSH servers nobody here wrote: OpenSSH's sshd, dropbear and
 * tinysshd, with every client key type and every cipher each server offers, 8 MiB each way
 * checked by SHA-256; every algorithm the client offers against an sshd offering only that
 * one; and what each of those servers does differently (one session channel, no
 * direct-streamlocal). A combination that cannot work is a step of its own that says why and
 * checks that it indeed fails.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { randomBytes, runSockhop, sha256, tempDir, testEnv } from "./_cli.ts";
import { requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { exchange, startForward } from "./_forward.ts";
import { parseListen } from "../lib/forward.ts";
import {
  type ClientKey,
  clientKeys,
  ecdsaScalar,
  KEY_TYPES,
  type KeyType,
  serverOffer,
  startDropbear,
  startTinysshd,
  unsignableKey,
  withPeerUser,
} from "./_client_peers.ts";
import { nativeTransport } from "../lib/native.ts";
import { loadIdentity } from "../lib/native_identity.ts";
import type { Logger } from "../lib/logger.ts";
import { resolveRoute } from "../lib/route.ts";
import {
  type AlgorithmLists,
  knownAlgorithms,
  resolveAlgorithms,
  runtimeLacks,
} from "../lib/ssh_algorithms.ts";
import type { Transport } from "../lib/transport.ts";

const MiB = 1024 * 1024;
/** The remote end of every transfer: the OK marker, then the stream echoed back. */
const ECHO = "echo 'SOCKHOP/1 OK'; exec cat";

const haveSshd = () => requirePeer("sshd", "/usr/sbin/sshd", "openssh-server");
const haveDropbear = () => requirePeer("dropbear", "dropbear", "dropbear-bin");
const haveTinysshd = () =>
  requirePeer("tinysshd", "/usr/sbin/tinysshd", "tinysshd") && requirePeer("socat");
const haveRoot = () => {
  if (Deno.uid() === 0) return true;
  const message = "dropbear and tinysshd read a real user's home: run the tests as root";
  if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") throw new Error(message);
  console.log(`skipped: ${message}`);
  return false;
};

/** A logger that keeps every line, for assertions on the debug output. */
function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (category, message) => lines.push(`[${category}] ${message}`),
    info: (message) => lines.push(message),
    warn: (message) => lines.push(`warning: ${message}`),
    debugOn: (category) => category === "ssh",
  };
}

interface Target {
  readonly port: number;
  readonly user: string;
  readonly knownHosts: string;
}

function clientTransport(
  target: Target,
  keys: readonly string[],
  logger: Logger,
  options: readonly string[] = [],
  remoteSocket?: string,
): Transport {
  const resolved = resolveRoute(`ssh://${target.user}@127.0.0.1:${target.port}/x`, {
    ssh: "native",
    "config-file": "none",
    option: [
      `UserKnownHostsFile=${target.knownHosts}`,
      "GlobalKnownHostsFile=/dev/null",
      "BatchMode=yes",
      "IdentitiesOnly=yes",
      ...options,
    ],
    identity: [...keys],
    ...(remoteSocket ? { "remote-socket": remoteSocket } : {}),
  }, logger);
  if (!("route" in resolved) || resolved.route.backend !== "native") {
    throw new Error("--ssh=native resolved to another backend");
  }
  return nativeTransport({ ...resolved.route, remoteCommand: ECHO }, logger);
}

/** Send `size` random bytes through an echo and check what comes back, by SHA-256. */
async function echoThrough(transport: Transport, size: number): Promise<void> {
  const session = await transport.open();
  const data = randomBytes(size);
  const writing = (async () => {
    for (let off = 0; off < size; off += 64 * 1024) {
      await session.stream.write(data.subarray(off, Math.min(size, off + 64 * 1024)));
    }
    await session.stream.closeWrite();
  })();
  const hash = new Sha256Stream();
  let received = 0;
  for await (const chunk of session.stream.readable) {
    hash.add(chunk);
    received += chunk.length;
  }
  await writing;
  const status = await session.finish(false);
  session.stream.close();
  assert.equal(received, size, "bytes echoed back");
  assert.equal(await hash.digest(), await sha256(data), "SHA-256 of the echo");
  assert.equal(status, 0, "remote exit status");
}

/** Collects chunks and hashes them at the end (WebCrypto has no incremental digest). */
class Sha256Stream {
  #chunks: Uint8Array[] = [];
  #length = 0;
  add(chunk: Uint8Array) {
    this.#chunks.push(chunk.slice());
    this.#length += chunk.length;
  }
  digest(): Promise<string> {
    const all = new Uint8Array(this.#length);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    return sha256(all);
  }
}

function negotiated(logger: { lines: string[] }): string {
  return logger.lines.find((l) => l.includes("negotiated:")) ?? "(no handshake)";
}

/**
 * One step per client key type and per cipher the server offers: 8 MiB each way. `cannot`
 * lists the key types the server refuses and why; their steps check the refusal.
 */
async function matrix(
  t: Deno.TestContext,
  name: string,
  target: Target,
  keys: Record<KeyType, ClientKey>,
  cannot: Partial<Record<KeyType, string>> = {},
) {
  const offer = await serverOffer(target.port);
  const ours = resolveAlgorithms("cipher", "", "Ciphers");
  for (const cipher of offer.cipher) {
    if (!ours.includes(cipher)) {
      await t.step(`${name} ${cipher}: cannot work: the built-in client does not offer it`, () => {
        assert.ok(!ours.includes(cipher));
      });
      continue;
    }
    for (const type of KEY_TYPES) {
      const why = cannot[type];
      const logger = memoryLogger();
      const transport = clientTransport(target, [keys[type].path], logger, [`Ciphers=${cipher}`]);
      if (why) {
        await t.step(`${name} ${type} key, ${cipher}: cannot work: ${why}`, async () => {
          try {
            await assert.rejects(transport.open(), /Authentication failed/);
          } finally {
            await transport.close();
          }
        });
        continue;
      }
      await t.step(`${name} ${type} key, ${cipher}: 8 MiB each way`, async () => {
        try {
          await echoThrough(transport, 8 * MiB);
        } catch (err) {
          throw new Error(
            `${(err as Error).message}\n${negotiated(logger)}\n${logger.lines.join("\n")}`,
            { cause: err },
          );
        } finally {
          await transport.close();
        }
        assert.match(negotiated(logger), new RegExp(`cipher ${cipher}`));
      });
    }
  }
}

/** The built-in client's words: no config file, only the keys in `knownHosts`, no questions. */
function nativeWords(knownHosts: string): string[] {
  return [
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${knownHosts}`,
    "-o",
    "BatchMode=yes",
  ];
}

async function knownHostsFile(dir: string, lines: string[]): Promise<string> {
  const path = `${dir}/known_hosts`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

async function sshdWithKeys(keys: Record<KeyType, ClientKey>, extraConfig: string[] = []) {
  const sshd = await startSshd({ extraConfig });
  await Deno.writeTextFile(
    `${sshd.dir}/authorized_keys`,
    Object.values(keys).map((k) => k.publicLine).join("\n") + "\n",
    { append: true },
  );
  return sshd;
}

function sshdTarget(sshd: Sshd): Target {
  return { port: sshd.port, user: sshd.user, knownHosts: sshd.knownHosts };
}

Deno.test("interop client: sshd, every key type and cipher, 8 MiB each way", async (t) => {
  if (!haveSshd()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  const sshd = await sshdWithKeys(keys);
  try {
    await matrix(t, "sshd", sshdTarget(sshd), keys);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop client: dropbear, every key type and cipher, 8 MiB each way", async (t) => {
  if (!haveDropbear() || !haveRoot()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  await using server = await startDropbear();
  const knownHosts = await knownHostsFile(dir, server.knownHostsLines);
  await withPeerUser(Object.values(keys).map((k) => k.publicLine), async (user) => {
    await matrix(t, "dropbear", { port: server.port, user: user.name, knownHosts }, keys);
  });
});

Deno.test("interop client: tinysshd, every key type and cipher, 8 MiB each way", async (t) => {
  if (!haveTinysshd() || !haveRoot()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  await using server = await startTinysshd();
  const knownHosts = await knownHostsFile(dir, server.knownHostsLines);
  const onlyEd25519 = "tinysshd accepts only ssh-ed25519 user keys";
  await withPeerUser(Object.values(keys).map((k) => k.publicLine), async (user) => {
    await matrix(t, "tinysshd", { port: server.port, user: user.name, knownHosts }, keys, {
      "ecdsa-256": onlyEd25519,
      "ecdsa-384": onlyEd25519,
      "ecdsa-521": onlyEd25519,
      rsa: onlyEd25519,
    });
  });
});

/** sshd_config lines that make sshd offer only `name` of that kind. */
function onlyThis(kind: keyof AlgorithmLists, name: string): string[] {
  switch (kind) {
    case "kex":
      return [`KexAlgorithms ${name}`];
    case "serverHostKey":
      return [`HostKeyAlgorithms ${name}`];
    case "cipher":
      return [`Ciphers ${name}`];
    case "hmac":
      // A MAC is used only with a cipher that has none of its own.
      return ["Ciphers aes128-ctr", `MACs ${name}`];
  }
}

Deno.test("interop client: each algorithm the client offers works against an sshd offering only it", async (t) => {
  if (!haveSshd()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  const hostKeys: string[] = [];
  const hostKeyLines: string[] = [];
  const types = [["ecdsa", "256"], ["ecdsa", "384"], ["ecdsa", "521"], ["rsa", "2048"], [
    "dsa",
    "1024",
  ]];
  for (const [alg, bits] of types) {
    const path = `${dir}/host_${alg}${bits}`;
    const out = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", alg!, "-b", bits!, "-N", "", "-f", path],
    }).output();
    assert.equal(out.code, 0);
    hostKeys.push(`HostKey ${path}`);
    hostKeyLines.push((await Deno.readTextFile(`${path}.pub`)).split(" ").slice(0, 2).join(" "));
  }
  const kinds: [keyof AlgorithmLists, string][] = [
    ["kex", "KexAlgorithms"],
    ["serverHostKey", "HostKeyAlgorithms"],
    ["cipher", "Ciphers"],
    ["hmac", "MACs"],
  ];
  for (const [kind, keyword] of kinds) {
    const offered = resolveAlgorithms(kind, "", keyword);
    // Everything ssh2 knows, so that what the client leaves out is checked too.
    for (const name of knownAlgorithms(kind)) {
      const sshd = await sshdWithKeys(keys, [...hostKeys, ...onlyThis(kind, name)]);
      const knownHosts = await knownHostsFile(
        sshd.dir,
        [sshd.hostKeyLine, ...hostKeyLines].map((l) => `[127.0.0.1]:${sshd.port} ${l}`),
      );
      const target = { port: sshd.port, user: sshd.user, knownHosts };
      const logger = memoryLogger();
      const transport = clientTransport(target, [keys.ed25519.path], logger);
      const lacks = runtimeLacks(name);
      try {
        if (offered.includes(name)) {
          await t.step(`${keyword} ${name}: 1 MiB each way`, async () => {
            await echoThrough(transport, MiB).catch((err) => {
              throw new Error(`${(err as Error).message}\n${logger.lines.join("\n")}`);
            });
            const line = negotiated(logger);
            const field = { kex: "kex", serverHostKey: "host key", cipher: "cipher", hmac: "mac" };
            assert.ok(line.includes(`${field[kind]} ${name}`), line);
          });
        } else if (lacks) {
          await t.step(`${keyword} ${name}: cannot work: ${lacks}; not offered`, async () => {
            await assert.rejects(transport.open(), /Handshake failed: no matching/);
          });
        } else {
          await t.step(
            `${keyword} ${name}: not offered by default (SHA-1, CBC, DSA), refused cleanly`,
            async () => {
              await assert.rejects(transport.open(), /Handshake failed: no matching/);
            },
          );
        }
      } finally {
        await transport.close();
        await sshd.stop();
      }
    }
  }
});

Deno.test("interop client: an algorithm the runtime lacks, asked for by name, is a usage error", async () => {
  const lacking = knownAlgorithms("kex").filter((n) => runtimeLacks(n));
  if (!lacking.length) {
    console.log("skipped: this runtime can do every key exchange ssh2 knows");
    return;
  }
  const r = await runSockhop([
    "connect",
    "ssh://nobody@127.0.0.1:1/x",
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `KexAlgorithms=${lacking[0]}`,
  ], { env: testEnv("/nonexistent") });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${lacking[0]} cannot be used \\(this runtime has no`));
  // Among others, it is left out: the same config serves ssh, which has it.
  assert.deepEqual(
    resolveAlgorithms("kex", `curve25519-sha256,${lacking[0]}`, "KexAlgorithms"),
    ["curve25519-sha256"],
  );
});

Deno.test("interop client: a key that cannot sign, or an agent that is gone, is skipped for the next", async () => {
  if (!haveSshd()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  await using sshd = await sshdWithKeys(keys);
  // The server accepts its public half and asks for a signature; none can be made.
  const bad = `${dir}/id_unsignable`;
  await unsignableKey(keys["ecdsa-256"].path, bad);
  const echo = await markerWrapper(dir, "cat");
  const data = randomBytes(256 * 1024);
  const base = [
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
    ...nativeWords(sshd.knownHosts),
    `--remote-sockhop=${echo}`,
    "--debug=ssh",
  ];
  const env = testEnv(`${dir}/s`);
  const r1 = await runSockhop(
    [...base, "-o", "IdentitiesOnly=yes", "-i", bad, "-i", keys.ed25519.path],
    { env, stdin: data },
  );
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(await sha256(r1.stdout), await sha256(data));
  assert.match(r1.stderr, /skipping key \S+id_unsignable, unusable here: not a valid P-256 key/);
  assert.match(r1.stderr, /trying key \S+id_ed25519/);

  // Alone, it is named in the failure, with the reason.
  const r2 = await runSockhop([...base, "-o", "IdentitiesOnly=yes", "-i", bad], { env });
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /Authentication failed .*id_unsignable \(unusable here: not a valid /);

  // SSH_AUTH_SOCK naming a socket that is gone: the key files are tried next, as ssh does.
  const r3 = await runSockhop([...base, "-i", keys.rsa.path], {
    env: { ...env, SSH_AUTH_SOCK: `${dir}/gone.sock` },
    stdin: data,
  });
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(await sha256(r3.stdout), await sha256(data));
  assert.match(r3.stderr, /trying the agent/);
  assert.match(r3.stderr, /trying key \S+id_rsa/);
});

/** A marker-then-cat stand-in for the remote sockhop, where a throwaway user can run it. */
async function userEcho(user: { name: string; home: string }): Promise<string> {
  const path = await markerWrapper(user.home, "cat");
  await Deno.chmod(user.home, 0o755);
  return path;
}

/** Talk through one forward tunnel in steps: the tunnel stays open between them. */
async function openTunnel(where: string) {
  const { port } = parseListen(where) as { port: number };
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  return {
    /** Send and wait for the echo. */
    async roundTrip(data: Uint8Array): Promise<Uint8Array> {
      await writer.write(data);
      const out = new Uint8Array(data.length);
      let n = 0;
      while (n < data.length) {
        const r = await reader.read();
        if (r.done) throw new Error(`tunnel ended after ${n} of ${data.length} bytes`);
        out.set(r.value, n);
        n += r.value.length;
      }
      return out;
    },
    async end() {
      writer.releaseLock();
      await conn.closeWrite();
      const r = await reader.read();
      // Read to its end and shut for writing, the connection is closed: nothing to release.
      assert.ok(r.done, "nothing after the echo");
    },
  };
}

Deno.test("interop client: tinysshd allows one session per connection; forward opens another", async () => {
  if (!haveTinysshd() || !haveRoot()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  await using server = await startTinysshd();
  const knownHosts = await knownHostsFile(dir, server.knownHostsLines);
  await withPeerUser([keys.ed25519.publicLine], async (user) => {
    const echo = await userEcho(user);
    const env = testEnv(`${dir}/s`);
    const fwd = await startForward([
      `ssh://${user.name}@127.0.0.1:${server.port}/x`,
      "--listen=tcp:127.0.0.1:0",
      ...nativeWords(knownHosts),
      "-i",
      keys.ed25519.path,
      `--remote-sockhop=${echo}`,
      "--debug=ssh",
    ], env);
    try {
      const first = await openTunnel(fwd.where);
      const hello = new TextEncoder().encode("first tunnel\n");
      assert.deepEqual(await first.roundTrip(hello), hello);
      // The first tunnel's session is still open: a second one needs a second connection.
      const data = randomBytes(2 * MiB);
      assert.equal(await sha256(await exchange(fwd.where, data)), await sha256(data));
      assert.deepEqual(await first.roundTrip(hello), hello);
      await first.end();
      assert.match(fwd.log(), /refused a channel with 1 open \(.*only one 'session' channel/);
    } finally {
      // Interrupted, as a user ends it: 130.
      assert.equal(await fwd.stop("SIGINT"), 130, fwd.log());
    }
    // Three at the same moment, through the library: each refused one finds a connection.
    const logger = memoryLogger();
    const transport = clientTransport(
      { port: server.port, user: user.name, knownHosts },
      [keys.ed25519.path],
      logger,
    );
    try {
      await Promise.all([1, 2, 3].map(() => echoThrough(transport, MiB)));
    } finally {
      await transport.close();
    }
    assert.ok(logger.lines.filter((l) => l.includes("authenticated to")).length >= 3);
  });
});

Deno.test("interop client: dropbear has no direct-streamlocal; the refusal says so and what to do", async () => {
  if (!haveDropbear() || !haveRoot()) return;
  await using dir = await tempDir();
  const keys = await clientKeys(dir);
  await using server = await startDropbear();
  const knownHosts = await knownHostsFile(dir, server.knownHostsLines);
  await withPeerUser([keys.ed25519.publicLine], async (user) => {
    const r = await runSockhop([
      "connect",
      `ssh://${user.name}@127.0.0.1:${server.port}/`,
      ...nativeWords(knownHosts),
      "-i",
      keys.ed25519.path,
      "--remote-socket=/run/some.sock",
    ], { env: testEnv(`${dir}/s`) });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      "sockhop: 127.0.0.1 refused a stream to /run/some.sock (code 3): this server has no " +
        "forwarding to unix sockets (direct-streamlocal, an OpenSSH extension): leave out " +
        "--remote-socket to go through sockhop on the remote host",
    );
  });
});

Deno.test("interop client: every ECDSA key ssh-keygen makes signs, and the signature verifies", async () => {
  await using dir = await tempDir();
  const logger = memoryLogger();
  const prompter = { ask: () => Promise.resolve("secret words") };
  let signByte = 0;
  let short = 0;
  for (const bits of ["256", "384", "521"]) {
    // Eight of each: about half store the scalar with a sign byte (P-256, P-384) or shorter
    // than the curve (P-521); one in the OpenSSL PEM format, one encrypted.
    for (let i = 0; i < 8; i++) {
      const path = `${dir}/k${bits}_${i}`;
      const out = await new Deno.Command("ssh-keygen", {
        args: [
          "-q",
          "-t",
          "ecdsa",
          "-b",
          bits,
          "-N",
          i === 7 ? "secret words" : "",
          ...(i === 6 ? ["-m", "PEM"] : []),
          "-f",
          path,
        ],
      }).output();
      assert.equal(out.code, 0);
      if (i < 6) {
        const scalar = ecdsaScalar(await Deno.readTextFile(path));
        const size = Math.ceil(Number(bits) / 8);
        if (scalar.length > size) signByte++;
        if (scalar.length < size) short++;
      }
      const loaded = await loadIdentity(path, true, prompter, logger);
      if (i === 6 && bits === "521" && runtimeLacks("ecdh-sha2-nistp521")) {
        // ssh2 derives a PEM key's public half by ECDH; the OpenSSH format holds it.
        assert.equal(loaded.kind, "unusable");
        assert.match(JSON.stringify(loaded), /OpenSSH format: ssh-keygen -p -f /);
        continue;
      }
      assert.equal(loaded.kind, "key", `${path}: ${JSON.stringify(loaded)}`);
      if (loaded.kind !== "key") continue;
      const data = Buffer.from(`signed by ${path}`);
      const signature = loaded.key.sign(data);
      assert.ok(!(signature instanceof Error), `${path}: ${signature}`);
      const hash = { "256": "sha256", "384": "sha384", "521": "sha512" }[bits]!;
      const pub = createPublicKey(loaded.key.getPublicPEM());
      assert.ok(verify(hash, data, pub, signature as Buffer), `${path}: signature does not verify`);
    }
  }
  console.log(`keys with a sign byte: ${signByte}, shorter than the curve: ${short}`);
});
