import assert from "node:assert/strict";
import { randomBytes, runSockhop, sha256, startServe, tempDir, testEnv } from "./_cli.ts";
import { exchange, exchangeAll, startForward } from "./_forward.ts";
import { parseListen } from "../lib/forward.ts";
import { requirePeer } from "./_sshd.ts";

Deno.test("forward: 20 concurrent tunnels to a local session, 8 MiB each way, SHA-256 equal", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const fwd = await startForward(["echo", "--listen=tcp:127.0.0.1:0"], env);
  assert.match(fwd.where, /^tcp:127\.0\.0\.1:\d+$/);
  const payloads = Array.from({ length: 20 }, () => randomBytes(8 * 1024 * 1024));
  const replies = await exchangeAll(fwd.where, payloads, fwd.log);
  for (let i = 0; i < payloads.length; i++) {
    assert.equal(await sha256(replies[i]!), await sha256(payloads[i]!), `tunnel ${i}`);
  }
  assert.equal(await fwd.stop("SIGINT"), 130);
  await s.stop();
});

Deno.test("forward: unix listener is 0600 and removed on Ctrl-C; 0.0.0.0 warns", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const path = `${dir}/local.sock`;
  const fwd = await startForward(["echo", `--listen=unix:${path}`], env);
  assert.equal(Deno.lstatSync(path).mode! & 0o777, 0o600);
  const reply = await exchange(fwd.where, new TextEncoder().encode("over unix"));
  assert.equal(new TextDecoder().decode(reply), "over unix");
  await fwd.stop("SIGINT");
  assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);

  const open = await startForward(["echo", "--listen=tcp:0.0.0.0:0"], env);
  assert.match(
    open.log(),
    /warning: listening on tcp:0\.0\.0\.0:0: anyone who can reach this host/,
  );
  await open.stop("SIGTERM");
  await s.stop();
});

Deno.test("forward: listen addresses", () => {
  assert.deepEqual(parseListen("tcp:5432"), { kind: "tcp", host: "127.0.0.1", port: 5432 });
  assert.deepEqual(parseListen("tcp:[::1]:80"), { kind: "tcp", host: "::1", port: 80 });
  assert.deepEqual(parseListen("unix:/tmp/x"), { kind: "unix", path: "/tmp/x" });
  assert.throws(() => parseListen("5432"), /use tcp:\[HOST:\]PORT or unix:PATH/);
  assert.throws(() => parseListen("tcp:host"), /has no port/);
});

Deno.test("forward --retry: Ctrl-C while the connection is still being made ends its ssh", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  // A server that accepts TCP and never says a word: ssh waits for its banner.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  const port = (silent.addr as Deno.NetAddr).port;
  const fwd = await startForward([
    `ssh://nobody@127.0.0.1:${port}/x`,
    `--ssh=ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=60 -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o SetEnv=SOCKHOP_TEST_MARK=${dir}`,
    "--listen=tcp:127.0.0.1:0",
    "--retry",
  ], env);
  const addr = parseListen(fwd.where);
  if (addr.kind !== "tcp") throw new Error("tcp expected");
  const local = await Deno.connect({ hostname: addr.host, port: addr.port });
  for (let i = 0; i < 50 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(held.length, 1, "ssh reached the silent server");
  const t0 = Date.now();
  assert.equal(await fwd.stop("SIGINT"), 130);
  assert.ok(Date.now() - t0 < 5000, `forward took ${Date.now() - t0} ms to stop`);
  const left = await new Deno.Command("pgrep", { args: ["-f", `SOCKHOP_TEST_MARK=${dir}`] })
    .output();
  assert.equal(new TextDecoder().decode(left.stdout), "", "no ssh left behind");
  local.close();
  for (const c of held) c.close();
  silent.close();
  await accepting;
});

Deno.test("forward: several --listen addresses all serve, all are reported; a taken one fails", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using _s = await startServe(["echo", "exec:cat"], env);
  const path = `${dir}/two.sock`;
  const fwd = await startForward(
    ["echo", "--listen=tcp:127.0.0.1:0", `--listen=unix:${path}`],
    env,
  );
  const line = /forwarding (.*) to echo/.exec(fwd.log())?.[1] ?? "";
  const addrs = line.split(", ");
  assert.equal(addrs.length, 2, fwd.log());
  assert.match(addrs[0]!, /^tcp:127\.0\.0\.1:\d+$/);
  assert.equal(addrs[1], `unix:${path}`);
  for (const where of addrs) {
    const reply = await exchange(where, new TextEncoder().encode(where));
    assert.equal(new TextDecoder().decode(reply), where);
  }
  assert.match(fwd.log(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z sockhop: connected$/m);
  const port = addrs[0]!.split(":").at(-1);
  const taken = await runSockhop(
    ["forward", "echo", "--listen=tcp:127.0.0.1:0", `--listen=tcp:127.0.0.1:${port}`],
    { env },
  );
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /Cannot listen on 127\.0\.0\.1:\d+: .*in use/);
  assert.equal(await fwd.stop("SIGINT"), 130);
  assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
});
