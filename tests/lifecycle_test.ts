/**
 * Sessions started, seen and stopped: `list` asks serve and never touches the service,
 * `stop`, `serve --detach`/`--log-file`, `start` here, through a real sshd and through the
 * built-in server (refused unless --allow-start).
 */

import assert from "node:assert/strict";
import { runSockhop, runWithOpenStdin, startServe, tempDir, testEnv } from "./_cli.ts";
import { requirePeer, startSshd } from "./_sshd.ts";
import { BACKENDS } from "./_backends.ts";
import { authorizeClientKey, startSshServe, throwawayNativeWords, USER } from "./_serve_ssh.ts";
import { sockhopWrapper } from "./_remote.ts";

const host = Deno.hostname();
const dec = new TextDecoder();
const enc = new TextEncoder();

/** A command that counts its runs in `file`, then is `cat`. */
async function countingCommand(dir: string): Promise<{ path: string; runs(): number }> {
  const path = `${dir}/count.sh`;
  await Deno.writeTextFile(path, `#!/bin/sh\necho run >> '${dir}/runs'\nexec cat\n`, {
    mode: 0o755,
  });
  await Deno.chmod(path, 0o755);
  const runs = () => {
    try {
      return Deno.readTextFileSync(`${dir}/runs`).split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { path, runs };
}

/** A TCP echo server that counts the connections it accepts. */
function countingTcpServer(): { port: number; connections(): number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let n = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      n++;
      conn.readable.pipeTo(conn.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    connections: () => n,
    async close() {
      listener.close();
      await accepting;
    },
  };
}

/** The pid in a "started NAME pid=N log=FILE" line. */
function startedPid(stdout: Uint8Array): number {
  const m = /^started \S+ pid=(\d+) log=(\S+)$/m.exec(dec.decode(stdout));
  assert.ok(m, `no started line in ${JSON.stringify(dec.decode(stdout))}`);
  return Number(m[1]);
}

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

/** Ends a detached serve a test started, by its pid, if it is still there. */
async function endPid(pid: number | undefined) {
  if (pid === undefined || !alive(pid)) return;
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) Deno.kill(pid, "SIGKILL");
}

Deno.test("list: asks serve, never the service: a counting exec: command and TCP server see nothing", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const counting = await countingCommand(dir);
  const tcp = countingTcpServer();
  await using cmd = await startServe(["cmd", `exec:${counting.path}`], env);
  await using _db = await startServe(["db", `tcp:127.0.0.1:${tcp.port}`], env);
  // xpra's sessions are still probed as before (here a stand-in socket in xpra's dir).
  await Deno.mkdir(`${dir}/s/xpra`, { mode: 0o700 });
  const xpra = Deno.listen({ transport: "unix", path: `${dir}/s/xpra/${host}-100` });
  try {
    const text = dec.decode((await runSockhop(["list"], { env })).stdout);
    const json = JSON.parse(dec.decode((await runSockhop(["list", "--json"], { env })).stdout));
    assert.equal(counting.runs(), 0, "list ran the exec: command");
    assert.equal(tcp.connections(), 0, "list connected to the TCP service");
    assert.match(text, new RegExp(`LIVE\\s+cmd\\s+pid=${cmd.child.pid} clients=0 since \\S+Z`));
    assert.match(text, /LIVE\s+db\s+pid=\d+ clients=0 .* tcp:127\.0\.0\.1:\d+/);
    assert.match(text, /LIVE\s+xpra :100/);
    const row = json.find((e: { name: string }) => e.name === "cmd");
    assert.equal(row.pid, cmd.child.pid);
    assert.equal(row.target, `exec:${counting.path}`);
    assert.equal(row.clients, 0);
    assert.ok(!Number.isNaN(Date.parse(row.started)));
    // The counters count: one connect is one run, one connection.
    const r = await runSockhop(["connect", "cmd"], { env, stdin: enc.encode("x") });
    assert.equal(dec.decode(r.stdout), "x");
    await runSockhop(["connect", "db"], { env, stdin: enc.encode("y") });
    assert.equal(counting.runs(), 1);
    assert.equal(tcp.connections(), 1);
  } finally {
    xpra.close();
    await tcp.close();
  }
});

Deno.test("forward's session check (_proxy --mux) asks serve, never the service", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const counting = await countingCommand(dir);
  const tcp = countingTcpServer();
  await using _cmd = await startServe(["cmd", `exec:${counting.path}`], env);
  await using _db = await startServe(["db", `tcp:127.0.0.1:${tcp.port}`], env);
  try {
    for (const name of ["cmd", "db", "cmd", "db"]) {
      const r = await runSockhop(["_proxy", "--mux", name], { env, stdin: new Uint8Array(0) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\n");
    }
    // A connect afterwards is the only run and the only connection.
    await runSockhop(["connect", "cmd"], { env, stdin: enc.encode("x") });
    await runSockhop(["connect", "db"], { env, stdin: enc.encode("y") });
    assert.equal(counting.runs(), 1, "the session check ran the exec: command");
    assert.equal(tcp.connections(), 1, "the session check connected to the TCP service");
    const missing = await runSockhop(["_proxy", "--mux", "nosuch"], {
      env,
      stdin: new Uint8Array(0),
    });
    assert.equal(missing.code, 1);
    assert.match(dec.decode(missing.stdout), /^SOCKHOP\/1 ERR No session "nosuch"/);
  } finally {
    await tcp.close();
  }
});

Deno.test("list: a client connected now is counted, a secret in the target is masked", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using _s = await startServe(
    ["pg", "exec:sh", "-c", "cat", "postgres://u:hunter2@db/x"],
    env,
  );
  const conn = await Deno.connect({ transport: "unix", path: `${dir}/s/${host}-pg` });
  try {
    let json: { clients: number; target: string }[] = [];
    for (let i = 0; i < 100; i++) {
      json = JSON.parse(dec.decode((await runSockhop(["list", "--json"], { env })).stdout));
      if (json[0]?.clients === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(json[0]?.clients, 1);
    assert.equal(json[0]?.target, "exec:sh -c cat postgres://u:***@db/x");
  } finally {
    conn.close();
  }
});

Deno.test("stop NAME: ends serve as SIGTERM does; a missing session exits 1 naming it", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const s = await startServe(["db", "exec:sleep", "60"], env);
  const conn = await Deno.connect({ transport: "unix", path: `${dir}/s/${host}-db` });
  const r = await runSockhop(["stop", "db"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), `stopped db pid=${s.child.pid}\n`);
  assert.equal(await s.stop(), 0, "serve ends by itself, exit 0");
  assert.match(s.log(), /stopped by sockhop stop/);
  for (const p of [`${dir}/s/${host}-db`, `${dir}/s/.framed2/${host}-db`]) {
    assert.throws(() => Deno.lstatSync(p), Deno.errors.NotFound, p);
  }
  conn.close();
  const again = await runSockhop(["stop", "db"], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /No session db to stop/);
});

Deno.test("serve --detach: returns once it accepts, logs with ISO 8601 times to --log-file", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  let pid: number | undefined;
  try {
    const r = await runSockhop(
      ["serve", "--detach", `--log-file=${dir}/db.log`, "db", "exec:cat"],
      {
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    pid = startedPid(r.stdout);
    assert.match(dec.decode(r.stdout), new RegExp(`log=${dir}/db\\.log`));
    // It accepts now, without waiting.
    const c = await runSockhop(["connect", "db"], { env, stdin: enc.encode("hello") });
    assert.equal(dec.decode(c.stdout), "hello");
    assert.equal(Deno.statSync(`${dir}/db.log`).mode! & 0o777, 0o600);
    const log = await Deno.readTextFile(`${dir}/db.log`);
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z sockhop: session db at /m);
    // The default log file is in the state dir.
    const d = await runSockhop(["serve", "--detach", "other", "exec:cat"], { env });
    assert.equal(d.code, 0, d.stderr);
    await endPid(startedPid(d.stdout));
    assert.match(dec.decode(d.stdout), new RegExp(`log=${dir}/state/sockhop/${host}-other\\.log`));
    const stop = await runSockhop(["stop", "db"], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(!alive(pid), "the detached serve has ended");
  } finally {
    await endPid(pid);
  }
});

Deno.test("serve --detach: a serve that cannot start says why from its log, exit 1", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  const r = await runSockhop(["serve", "--detach", "db", `exec:${dir}/missing`], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /log: .*Command \S+missing not found/);
  assert.match(r.stderr, /Session db did not start: its serve ended/);
});

Deno.test("serve --start-id: one grammar, with --detach or without", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  for (const detach of [["--detach"], []]) {
    const r = await runWithOpenStdin(["serve", ...detach, "--start-id=a b", "db", "exec:cat"], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--start-id: give letters, digits and - only/);
  }
});

Deno.test("start: a mistake in its options is a usage error here, before any login", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  // Port 1: nothing listens there, so only a check made before connecting can say exit 2.
  for (const where of ["ssh://127.0.0.1:1/db", "db"]) {
    const r = await runSockhop(["start", "--wait=abc", where, "exec:cat"], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--wait=abc: give seconds from 1 to 600\nRun 'sockhop start --help'/);
  }
  // The target too, in serve's words, pointing to start's usage.
  for (const target of [["bogus:thing"], ["tcp:5"], ["unix:"], ["exec:"]]) {
    const r = await runSockhop(["start", "ssh://127.0.0.1:1/db", ...target], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^sockhop: .*\nRun 'sockhop start --help' for usage\.\n$/);
  }
});

Deno.test("start --attach here: a start that fails leaves stdout (the session's) empty, its log on stderr", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  const r = await runSockhop(["start", "--attach", "db", `exec:${dir}/missing`], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(dec.decode(r.stdout), "");
  assert.match(r.stderr, /log: .*Command \S+missing not found/);
  assert.match(r.stderr, /Session db did not start: its serve ended/);
});

Deno.test("start NAME here: a LIVE name is refused, or reused with --reuse, saying so", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  let pid: number | undefined;
  try {
    const r = await runSockhop(["start", "db", "exec:cat"], { env });
    assert.equal(r.code, 0, r.stderr);
    pid = startedPid(r.stdout);
    const again = await runSockhop(["start", "db", "exec:cat"], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Session db is already running \(pid \d+.*sockhop stop.*--reuse/);
    const reuse = await runSockhop(["start", "--reuse", "db", "exec:cat"], { env });
    assert.equal(reuse.code, 0, reuse.stderr);
    assert.match(dec.decode(reuse.stdout), new RegExp(`^reusing db pid=${pid} `));
  } finally {
    await endPid(pid);
  }
});

/** The pids of a process's parents, up to 1. */
function ancestors(pid: number): string[] {
  const out: string[] = [];
  for (let p = pid; p > 1;) {
    const stat = Deno.readTextFileSync(`/proc/${p}/stat`);
    p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (p > 1) out.push(Deno.readTextFileSync(`/proc/${p}/cmdline`).replaceAll("\0", " "));
  }
  return out;
}

for (const backend of BACKENDS) {
  Deno.test(`start URL (${backend.name}, real sshd): start, connect, stop; the session outlives the SSH connection`, async () => {
    if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") || !backend.available()) return;
    await using dir = await tempDir();
    await using sshd = await startSshd();
    const env = testEnv(`${dir}/local`);
    const remote = await sockhopWrapper(dir, `${dir}/remote`);
    const flags = [...await backend.flags(sshd, dir), `--remote-sockhop=${remote}`];
    const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}/db`;
    let pid: number | undefined;
    try {
      const r = await runSockhop(
        ["start", ...flags, `--log-file=${dir}/remote.log`, url, "exec:cat"],
        { env },
      );
      assert.equal(r.code, 0, r.stderr);
      pid = startedPid(r.stdout);
      assert.match(dec.decode(r.stdout), new RegExp(`log=${dir}/remote\\.log`));
      // The SSH connection that started it is gone (no process of sshd's is left), and the
      // serve, no child of any sshd, is still serving.
      for (let i = 0; i < 100 && sshd.connectionPids().length; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(sshd.connectionPids(), [], "the starting connection's processes are gone");
      assert.ok(alive(pid));
      assert.ok(!ancestors(pid).some((c) => /sshd/.test(c)), ancestors(pid).join("\n"));
      const c = await runSockhop(["connect", ...flags, url], {
        env,
        stdin: enc.encode("over ssh"),
      });
      assert.equal(dec.decode(c.stdout), "over ssh", c.stderr);
      const twice = await runSockhop(["start", ...flags, url, "exec:cat"], { env });
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /already running/);
      const stop = await runSockhop(["stop", ...flags, url], { env });
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(dec.decode(stop.stdout), `stopped db pid=${pid}\n`);
      assert.ok(!alive(pid));
      const gone = await runSockhop(["stop", ...flags, url], { env });
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No session db to stop/);
      // A serve that cannot start: the remote log's last lines, and why.
      const bad = await runSockhop(
        ["start", ...flags, `--log-file=${dir}/bad.log`, url, `exec:${dir}/missing`],
        { env },
      );
      assert.equal(bad.code, 1);
      assert.match(dec.decode(bad.stdout), /Command \S+missing not found/);
      assert.match(bad.stderr, /Remote: Session db did not start: its serve ended/);
      // --attach: started, then the session on stdin/stdout as with connect.
      const attach = await runSockhop(["start", "--attach", ...flags, url, "exec:cat"], {
        env,
        stdin: enc.encode("attached"),
      });
      assert.equal(dec.decode(attach.stdout), "attached", attach.stderr);
      pid = Number(/started db pid=(\d+)/.exec(attach.stderr)?.[1]);
      assert.ok(alive(pid), attach.stderr);
    } finally {
      await endPid(pid);
    }
  });
}

Deno.test("start URL through the built-in server: refused by default, allowed with --allow-start", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  const key = await authorizeClientKey(dir);
  const words = (port: number) => [
    ...throwawayNativeWords(key),
    `ssh://${USER}@127.0.0.1:${port}/db`,
  ];
  {
    await using server = await startSshServe(`${dir}/authorized_keys`, [], env);
    const r = await runSockhop(["start", ...words(server.port), "exec:cat"], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not start exec:cat: its serve needs --allow-start=PATTERN/);
    assert.equal(dec.decode((await runSockhop(["list", "--json"], { env })).stdout).trim(), "[]");
  }
  await using server = await startSshServe(
    `${dir}/authorized_keys`,
    ["--allow-start=exec:cat*,exec:/usr/bin/xpra*"],
    env,
  );
  let pid: number | undefined;
  try {
    const logFile = await runSockhop(
      ["start", `--log-file=${dir}/elsewhere`, ...words(server.port), "exec:cat"],
      { env },
    );
    assert.equal(logFile.code, 1);
    assert.match(logFile.stderr, /leave out --log-file/);
    const r = await runSockhop(["start", ...words(server.port), "exec:cat"], { env });
    assert.equal(r.code, 0, r.stderr);
    pid = startedPid(r.stdout);
    assert.match(dec.decode(r.stdout), new RegExp(`log=${dir}/state/sockhop/${host}-db\\.log`));
    const c = await runSockhop(["connect", ...words(server.port)], {
      env,
      stdin: enc.encode("via built-in"),
    });
    assert.equal(dec.decode(c.stdout), "via built-in", c.stderr);
    // A session serving what --allow-start does not list is not stopped through it.
    await using other = await startServe(["other", "exec:sleep", "60"], env);
    const refused = await runSockhop([
      "stop",
      ...words(server.port).slice(0, -1),
      `ssh://${USER}@127.0.0.1:${server.port}/other`,
    ], { env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /stops only sessions it may start/);
    const stop = await runSockhop(["stop", ...words(server.port)], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(!alive(pid));
    await other.stop();
  } finally {
    await endPid(pid);
  }
});

Deno.test("serve --detach --bind-ssh with no session: returns once its SSH listener accepts", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_STATE_HOME: `${dir}/state` });
  await authorizeClientKey(dir);
  let pid: number | undefined;
  try {
    const r = await runSockhop([
      "serve",
      "--detach",
      "--bind-ssh=127.0.0.1:0",
      `--authorized-keys=${dir}/authorized_keys`,
    ], { env });
    assert.equal(r.code, 0, r.stderr);
    pid = startedPid(r.stdout);
    assert.match(
      dec.decode(r.stdout),
      new RegExp(`log=${dir}/state/sockhop/${host}-gateway\\.log`),
    );
    const log = await Deno.readTextFile(`${dir}/state/sockhop/${host}-gateway.log`);
    const port = Number(/listening on ssh:127\.0\.0\.1:(\d+)/.exec(log)?.[1]);
    // It accepts now: an SSH banner at once.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    conn.close();
    assert.match(dec.decode(buf.subarray(0, n ?? 0)), /^SSH-2\.0-/);
  } finally {
    await endPid(pid);
  }
});
