import assert from "node:assert/strict";
import { randomBytes, sha256, sockhopArgv, startServe, tempDir, testEnv } from "./_cli.ts";
import { parseListen } from "../lib/forward.ts";

/** Start `sockhop forward ARGS`; resolves with the address it printed. */
export async function startForward(args: string[], env: Record<string, string>) {
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, "forward", ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      log += r.value;
    }
  })();
  const deadline = Date.now() + 15000;
  let where: string | undefined;
  while (!(where = /forwarding (\S+) to/.exec(log)?.[1])) {
    if (Date.now() > deadline || /sockhop: (?!warning)/.test(log)) {
      child.kill("SIGKILL");
      await child.status;
      await reading;
      throw new Error(`forward did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    where,
    log: () => log,
    async stop(signal: Deno.Signal = "SIGINT") {
      child.kill(signal);
      const status = await child.status;
      await reading;
      return status.code;
    },
  };
}

/** Send `data` over a TCP or unix connection, half-close, and read the whole reply. */
export async function exchange(where: string, data: Uint8Array): Promise<Uint8Array> {
  const addr = parseListen(where);
  const conn = addr.kind === "tcp"
    ? await Deno.connect({ hostname: addr.host, port: addr.port })
    : await Deno.connect({ transport: "unix", path: addr.path });
  const writing = (async () => {
    const w = conn.writable.getWriter();
    await w.write(data);
    await conn.closeWrite();
  })();
  const reply = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  await writing;
  return reply;
}

Deno.test("forward: 20 concurrent tunnels to a local session, 8 MiB each way, SHA-256 equal", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const fwd = await startForward(["echo", "--listen=tcp:127.0.0.1:0"], env);
  assert.match(fwd.where, /^tcp:127\.0\.0\.1:\d+$/);
  const payloads = Array.from({ length: 20 }, () => randomBytes(8 * 1024 * 1024));
  const replies = await Promise.all(payloads.map((p) => exchange(fwd.where, p)));
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
