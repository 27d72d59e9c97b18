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
  nativeHostKeyGap,
  unknownHostQuestion,
} from "../lib/known_hosts.ts";
import { fingerprint } from "../lib/public_keys.ts";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { markerWrapper } from "./_remote.ts";
import { keygen, requirePeer, startSshd } from "./_sshd.ts";

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

Deno.test("known_hosts: HostKeyAlias from the config file: looked up and written under it, native as ssh", async () => {
  if (
    !requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") ||
    !requirePeer("ssh", "ssh", "openssh-client")
  ) return;
  await using dir = await tempDir();
  // A second host key: with only it on record under the alias, the client must ask for that
  // type first (knownKeyTypes), or the server's ed25519 key would be a changed key.
  const ecdsa = `${dir}/host_ecdsa`;
  const made = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ecdsa", "-N", "", "-f", ecdsa],
  }).output();
  assert.equal(made.code, 0);
  const ecdsaLine = (await Deno.readTextFile(`${ecdsa}.pub`)).split(" ").slice(0, 2).join(" ");
  await using sshd = await startSshd({ extraConfig: [`HostKey ${ecdsa}`] });
  const env = testEnv(`${dir}/s`);
  const remote = await markerWrapper(`${dir}`, "cat");
  const kh = `${dir}/known_hosts`;
  const config = `${dir}/config`;
  // Only the config names the alias: no -o, so the value must come through the config record.
  const writeConfig = (strict: string) =>
    Deno.writeTextFile(
      config,
      [
        "Host target",
        "  HostName 127.0.0.1",
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        "  HostKeyAlias Foo",
        `  IdentityFile ${sshd.clientKey}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${kh}`,
        "  GlobalKnownHostsFile /dev/null",
        "  BatchMode yes",
        `  StrictHostKeyChecking ${strict}`,
        "",
      ].join("\n"),
    );
  const login = async (client: "ssh" | "native") => {
    if (client === "ssh") {
      const out = await new Deno.Command("ssh", {
        args: ["-F", config, "target", "true"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: dec.decode(out.stderr) };
    }
    const r = await runSockhop([
      "connect",
      "ssh://target/x",
      "--ssh=native",
      "-F",
      config,
      `--remote-sockhop=${remote}`,
    ], { env, stdin: new Uint8Array() });
    return { code: r.code, stderr: r.stderr };
  };
  for (const client of ["ssh", "native"] as const) {
    // Known only under the alias: accepted, nothing written.
    await writeConfig("yes");
    await Deno.writeTextFile(kh, `foo ${sshd.hostKeyLine}\n`);
    const known = await login(client);
    assert.equal(known.code, 0, `${client}: ${known.stderr}`);
    assert.equal(await Deno.readTextFile(kh), `foo ${sshd.hostKeyLine}\n`, client);
    await Deno.writeTextFile(kh, `foo ${ecdsaLine}\n`);
    const ecdsaOnly = await login(client);
    assert.equal(ecdsaOnly.code, 0, `${client}, ECDSA key only: ${ecdsaOnly.stderr}`);
    // Under the real name only: not the alias's key, so unknown.
    await Deno.writeTextFile(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const other = await login(client);
    assert.notEqual(other.code, 0, client);
    // A new key is recorded under the alias, lowercased.
    await writeConfig("accept-new");
    await Deno.writeTextFile(kh, "");
    const added = await login(client);
    assert.equal(added.code, 0, `${client}: ${added.stderr}`);
    assert.equal(await Deno.readTextFile(kh), `foo ${sshd.hostKeyLine}\n`, client);
  }
});

Deno.test("known_hosts: a host known only through @cert-authority is for ssh", async () => {
  await using dir = await tempDir();
  const [a, b] = [await key(`${dir}`, "a"), await key(`${dir}`, "b")];
  const files: Record<string, string> = {
    "/u": `@cert-authority *.corp,[*.corp]:* ${a.line}\n@revoked x.corp ${b.line}\n`,
    "/g": `plain.corp ${b.line}\n`,
  };
  const gap = (hostName: string, port = 22, alias = "") =>
    nativeHostKeyGap(
      { hostName, port, knownHosts: { alias, userFiles: ["/u"], globalFiles: ["/g"] } },
      (p) => files[p],
    );
  const only = (name: string) =>
    `@cert-authority *.corp,[*.corp]:* (/u line 1; ${name} is known only through a @cert-authority line, ` +
    "and the built-in client checks no host certificates)";
  assert.equal(gap("X.corp"), only("x.corp"));
  assert.equal(gap("x.corp", 2222), only("[x.corp]:2222"));
  assert.equal(gap("elsewhere", 22, "a.corp"), only("a.corp"));
  assert.equal(
    gap("plain.corp"),
    undefined,
    "a plain key on record: the built-in client checks it",
  );
  assert.equal(gap("unknown.example"), undefined, "unknown, not a certificate case");
  files["/g"] += `x.corp ${b.line}\n`;
  assert.equal(gap("x.corp", 2222), undefined, "nor with one under the bare host");
  assert.equal(gap("x.corp", 2222, "a.corp"), only("a.corp"), "which an alias does not look at");
});

Deno.test("known_hosts: a host known only through @cert-authority: auto uses ssh, native says where", async () => {
  if (
    !requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") ||
    !requirePeer("ssh", "ssh", "openssh-client")
  ) return;
  await using dir = await tempDir();
  // As tests/known_hosts_diff_test.ts's server B: an ECDSA host key with a certificate.
  for (const [name, type] of [["host_ecdsa", "ecdsa"], ["ca", "ed25519"]]) {
    const made = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", type!, "-N", "", "-C", "", "-f", `${dir}/${name}`],
    }).output();
    assert.equal(made.code, 0);
  }
  const signed = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-s", `${dir}/ca`, "-I", "b", "-h", "-n", "127.0.0.1", `${dir}/host_ecdsa.pub`],
    stderr: "piped",
  }).output();
  assert.equal(signed.code, 0, dec.decode(signed.stderr));
  await using sshd = await startSshd({
    extraConfig: [
      `HostKey ${dir}/host_ecdsa`,
      `HostCertificate ${dir}/host_ecdsa-cert.pub`,
      "HostKeyAlgorithms ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp256",
    ],
  });
  const kh = `${dir}/known_hosts`;
  const ca = (await Deno.readTextFile(`${dir}/ca.pub`)).trim();
  await Deno.writeTextFile(kh, `# the CA\n@cert-authority * ${ca}\n`);
  const env = testEnv(`${dir}/s`);
  const remote = await markerWrapper(`${dir}`, "cat");
  const connect = (ssh: string) =>
    runSockhop([
      "connect",
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
      `--ssh=${ssh}`,
      "--debug=ssh",
      "-F",
      "/dev/null",
      "-i",
      sshd.clientKey,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${kh}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      `--remote-sockhop=${remote}`,
    ], { env, stdin: new Uint8Array() });
  const why = `@cert-authority * (${kh} line 2; [127.0.0.1]:${sshd.port} is known only through ` +
    "a @cert-authority line, and the built-in client checks no host certificates)";
  const auto = await connect("auto");
  assert.equal(auto.code, 0, auto.stderr);
  assert.ok(auto.stderr.includes(`--ssh=auto: using openssh, because of ${why}`), auto.stderr);
  const native = await connect("native");
  assert.equal(native.code, 2, native.stderr);
  assert.ok(
    native.stderr.includes(
      `sockhop: The built-in client cannot honour ${why}: use --ssh=auto or --ssh=openssh, ` +
        "or change the config\n",
    ),
    native.stderr,
  );
  // A pinned key sets known_hosts aside: the built-in client, which checks the pin.
  const pinned = await runSockhop([
    "connect",
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`,
    "--ssh=auto",
    "-F",
    "/dev/null",
    "-i",
    sshd.clientKey,
    "-o",
    `UserKnownHostsFile=${kh}`,
    `--host-key=${await fingerprintOf(`${dir}/host_ecdsa.pub`)}`,
    `--remote-sockhop=${remote}`,
  ], { env, stdin: new Uint8Array() });
  assert.equal(pinned.code, 0, pinned.stderr);
});

async function fingerprintOf(pub: string): Promise<string> {
  return (await sshKeygen(["-lf", pub])).stdout.split(" ")[1]!;
}

Deno.test("known_hosts: a key ssh cannot decode is no entry; types revoked for the host are not preferred", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  const a = await key(`${dir}`, "a");
  const b = await key(`${dir}`, "b");
  const [type, b64] = b.line.split(" ");
  const blob = Buffer.from(b64!, "base64");
  const undecodable = [
    blob.subarray(0, blob.length - 3).toString("base64"), // cut short
    Buffer.concat([blob, Buffer.from([0])]).toString("base64"), // a byte too many
    `${b64!.slice(0, 10)}*${b64!.slice(11)}`, // not base64
  ];
  for (const bad of undecodable) {
    const files = [`${dir}/kh`];
    await Deno.writeTextFile(files[0]!, `host ${type} ${bad}\n`);
    // As ssh: the line is skipped, so the host is unknown (not "changed").
    assert.equal(
      checkHostKey({ host: "host", port: 22, keyBlob: a.blob, files }).status,
      "unknown",
    );
  }
  // Unpadded base64 is read, as ssh reads it.
  const files = [`${dir}/kh`];
  await Deno.writeTextFile(files[0]!, `host ${type} ${b64!.replace(/=+$/, "")}\n`);
  assert.equal(checkHostKey({ host: "host", port: 22, keyBlob: a.blob, files }).status, "changed");
  // A type with a @revoked key for the host is not preferred (ssh's order_hostkeyalgs).
  await Deno.writeTextFile(files[0]!, `host ${a.line}\n@revoked host ${b.line}\n`);
  assert.deepEqual(knownKeyTypes("host", 22, files), []);
  await Deno.writeTextFile(files[0]!, `host ${a.line}\n`);
  assert.deepEqual(knownKeyTypes("host", 22, files), ["ssh-ed25519"]);
});
