import assert from "node:assert/strict";
import { opensshKeepalive, sshConfigWords } from "../lib/forward_keepalive.ts";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";

Deno.test("forward keepalive: ssh's -F and -o found among its words, other flags skipped", () => {
  assert.deepEqual(
    sshConfigWords(["ssh", "-4", "-i", "k", "-oBatchMode=yes", "-F", "/x", "-o", "A b", "-p22"]),
    { file: "/x", options: ["BatchMode=yes", "A b"] },
  );
  assert.deepEqual(sshConfigWords(["ssh", "-Fcfg", "-v", "host", "-o", "X=1"]), {
    file: "cfg",
    options: [],
  });
});

Deno.test("forward keepalive: ssh gets 15 s x 3 unless its config or -o sets them", async () => {
  await using dir = await tempDir();
  const dest = { host: "h.example" };
  const none = opensshKeepalive(["ssh", "-F", "/dev/null"], dest);
  assert.deepEqual(none.words, [
    "-o",
    "ServerAliveInterval=15",
    "-o",
    "ServerAliveCountMax=3",
  ]);
  assert.equal(none.keepalive.interval, 15);
  assert.match(none.keepalive.source, /forward's default/);
  const file = `${dir}/config`;
  await Deno.writeTextFile(file, "Host h.example\n  ServerAliveInterval 40\n");
  const fromFile = opensshKeepalive(["ssh", "-F", file], dest);
  assert.deepEqual(fromFile.words, ["-o", "ServerAliveCountMax=3"]);
  assert.equal(fromFile.keepalive.interval, 40);
  const fromO = opensshKeepalive(
    ["ssh", "-F", "/dev/null", "-o", "ServerAliveInterval=0", "-o", "ServerAliveCountMax=9"],
    dest,
  );
  assert.deepEqual(fromO.words, []);
  assert.equal(fromO.keepalive.interval, 0);
  assert.match(fromO.keepalive.source, /from the ssh config/);
});

Deno.test("forward --print-config shows the keepalive forward uses, and where it came from", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const args = [
    "forward",
    "ssh://h.example/x",
    "-F",
    "/dev/null",
    "--listen=tcp:1",
    "--print-config",
  ];
  const ours = await runSockhop(args, { env });
  assert.equal(ours.code, 0, ours.stderr);
  const out = new TextDecoder().decode(ours.stdout);
  assert.match(out, /^serveraliveinterval 15$/m);
  assert.match(out, /^serveralivecountmax 3$/m);
  assert.match(ours.stderr, /forward's default/);
  const theirs = await runSockhop([...args, "-o", "ServerAliveInterval=40"], { env });
  assert.match(new TextDecoder().decode(theirs.stdout), /^serveraliveinterval 40$/m);
  assert.match(theirs.stderr, /ServerAliveInterval from the ssh config/);
  // connect keeps OpenSSH's own default.
  const connect = await runSockhop([
    "connect",
    ...args.slice(1).filter((a) => !a.startsWith("--listen")),
  ], {
    env,
  });
  assert.match(new TextDecoder().decode(connect.stdout), /^serveraliveinterval 0$/m);
});
