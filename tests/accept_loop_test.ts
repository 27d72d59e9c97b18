/**
 * accept_loop.ts, through the real thing: `sockhop serve` under a low descriptor limit
 * (prlimit on the running process), with a few dozen `sockhop connect NAME` clients at once.
 */

import * as assert from "node:assert/strict";
import { spawnPiped, startServe, tempDir, testEnv, until, within } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { exchange, startForward } from "./_forward.ts";
import { framedPath } from "../lib/session_frames.ts";
import { parseListen } from "../lib/forward.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function prlimit(pid: number, nofile: number) {
  const set = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${nofile}:`],
  }).output();
  assert.equal(set.code, 0, dec.decode(set.stderr));
}

/** Send `text` through a `sockhop connect` client and close its stdin: did it come back? */
async function talk(
  c: Deno.ChildProcess,
  text: string,
): Promise<{ ok: boolean; code: number; stdout: string; stderr: string }> {
  const w = c.stdin.getWriter();
  await w.write(enc.encode(text)).catch(() => {});
  await w.close().catch(() => {});
  const o = await c.output();
  const stdout = dec.decode(o.stdout);
  return {
    ok: o.code === 0 && stdout === text,
    code: o.code,
    stdout,
    stderr: dec.decode(o.stderr),
  };
}

/** Kill a client still running (a failed test); a child that has exited already is left. */
async function killed(c: Deno.ChildProcess): Promise<void> {
  const exited = await Promise.race([c.status, Promise.resolve(undefined)]);
  if (!exited) c.kill("SIGKILL");
  await c.status;
}

/**
 * Lower `pid`'s limit to its lowest free descriptor number, so that its next accept fails
 * whichever way the last connection fell (a tunnel or session costs two descriptors: one may
 * be left free). Its process is quiet then: nothing opens or closes meanwhile.
 */
async function noneFree(pid: number): Promise<number> {
  const open = new Set([...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name)));
  let lowest = 0;
  while (open.has(lowest)) lowest++;
  await prlimit(pid, lowest);
  return lowest;
}

/** How many descriptors `pid` has open, those numbered under `below` only. */
function openDescriptors(pid: number, below = Infinity): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].filter((e) => Number(e.name) < below).length;
}

Deno.test("accept loop: serve out of descriptors outlives a few dozen connect clients, then serves again", async () => {
  if (Deno.build.os !== "linux" || !requirePeer("prlimit", "prlimit", "util-linux")) return;
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  // The target: an echo server of this test (serve spawns nothing, so only its sockets count).
  const echo = Deno.listen({ transport: "unix", path: `${dir}/echo.sock` });
  const echoing = (async () => {
    for await (const conn of echo) conn.readable.pipeTo(conn.writable).catch(() => {});
  })();
  await using server = await startServe(["echo", `unix:${dir}/echo.sock`], env);
  const pid = server.child.pid;
  const socket = `${dir}/s/${Deno.hostname()}-echo`;
  // Room for a few connections (each two sockets), then none.
  let limit = openDescriptors(pid) + 12;
  await prlimit(pid, limit);
  // Plain connections to the session socket, each holding two sockets, until serve cannot
  // accept.
  const holders: Deno.UnixConn[] = [];
  // (A descriptor or none stays free: one accepted then finds none to reach the target with.)
  while (openDescriptors(pid, limit) < limit - 1) {
    assert.ok(holders.length < 400, `serve never ran out of descriptors:\n${server.log()}`);
    holders.push(await Deno.connect({ transport: "unix", path: socket }));
    await new Promise((r) => setTimeout(r, 20));
  }
  limit = await noneFree(pid);
  // A few dozen sockhop clients meanwhile: serve used to end at the first that its status
  // socket could not accept ("internal error: Too many open files"). Each now waits in the
  // backlog (serve says so once and keeps trying), and is served or told why once a
  // descriptor is free: nothing is awaited of the clients until the holders go.
  const clients = Array.from({ length: 30 }, () => spawnPiped(["connect", "echo"], env));
  try {
    const talking = clients.map((c, i) => talk(c, `client ${i}\n`));
    await until(
      "serve cannot accept",
      () => server.log().includes(`${framedPath(socket)}: cannot accept: `),
    );
    const alive = await Promise.race([server.child.status, new Promise((r) => setTimeout(r, 300))]);
    assert.equal(alive, undefined, `serve is still running:\n${server.log()}`);
    for (const h of holders.splice(0)) h.close();
    const outs = await within(120_000, "the 30 clients end", Promise.all(talking), server.log);
    const wrong = outs.filter((o) =>
      !o.ok && !/^sockhop: .*Too many open files.*\n$/.test(o.stderr)
    );
    assert.deepEqual(wrong, [], server.log());
    // Descriptors came back (serve lets go of a connection once it sees it end): every client
    // is served. One at a time, as the limit leaves room for a few connections only.
    await until("serve lets go of the closed connections", () => openDescriptors(pid) <= limit - 6);
    const later = [];
    for (let i = 0; i < 10; i++) {
      const c = spawnPiped(["connect", "echo"], env);
      clients.push(c);
      later.push(await within(60_000, `client ${i} after`, talk(c, `again ${i}\n`), server.log));
    }
    assert.deepEqual(later.filter((o) => !o.ok), [], server.log());
    assert.match(server.log(), /accepting again/);
  } finally {
    for (const h of holders) h.close();
    echo.close();
    await echoing;
    await Promise.all(clients.map(killed));
  }
});

Deno.test("accept loop: forward out of descriptors outlives its clients, then forwards again", async () => {
  if (Deno.build.os !== "linux" || !requirePeer("prlimit", "prlimit", "util-linux")) return;
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using _server = await startServe(["echo", "exec:cat"], env);
  const fwd = await startForward(["echo", "--listen=tcp:127.0.0.1:0"], env);
  const addr = parseListen(fwd.where) as { host: string; port: number };
  const limit = openDescriptors(fwd.pid) + 8;
  await prlimit(fwd.pid, limit);
  const holders: Deno.TcpConn[] = [];
  try {
    // Each connection is a tunnel (a socket each side), until forward has no descriptor left;
    // forward used to end there ("internal error: Too many open files").
    while (openDescriptors(fwd.pid, limit) < limit - 1) {
      assert.ok(holders.length < 400, `forward never ran out of descriptors:\n${fwd.log()}`);
      holders.push(await Deno.connect({ hostname: addr.host, port: addr.port }));
      await new Promise((r) => setTimeout(r, 20));
    }
    await noneFree(fwd.pid);
    for (let i = 0; i < 10; i++) {
      holders.push(await Deno.connect({ hostname: addr.host, port: addr.port }));
    }
    await until("forward cannot accept", () => /cannot accept: /.test(fwd.log()));
    const alive = await Promise.race([fwd.status, new Promise((r) => setTimeout(r, 300))]);
    assert.equal(alive, undefined, `forward is still running:\n${fwd.log()}`);
    // Descriptors come back (as forward sees its clients leave): it forwards again.
    for (const h of holders.splice(0)) h.close();
    let reply = "";
    await until("a tunnel works again", () => reply === "again", 30000, async () => {
      reply = dec.decode(
        await within(10_000, "a tunnel", exchange(fwd.where, enc.encode("again")), fwd.log)
          .catch(() => new Uint8Array()),
      );
    });
    assert.match(fwd.log(), /accepting again/);
  } finally {
    for (const h of holders) h.close();
    assert.equal(await fwd.stop("SIGINT"), 130, fwd.log());
  }
});
