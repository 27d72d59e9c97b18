/**
 * Where sessions live and who may open them, with real sockets and processes: the checks
 * before a socket is opened or listed, the dead-socket cleaner against servers that are still
 * starting, socket path lengths, and Windows' pipe handshake (run here over a unix socket).
 */

import assert from "node:assert/strict";
import net from "node:net";
import { listSessions, openSession, openSocketPath, resolveSessionDirs } from "../lib/sessions.ts";
import { serve } from "../lib/serve.ts";
import { connectPipe, connectSession, listenPipe, probePipe } from "../lib/session_socket.ts";
import { connectSessionStream } from "../lib/session_frames.ts";
import { ensureSessionKey, KEY_FILE, readSessionKey } from "../lib/pipe_auth.ts";
import { SockhopError } from "../lib/errors.ts";
import { parseListen, runForward } from "../lib/forward.ts";
import { localTransport } from "../lib/local_transport.ts";
import { stderrLogger } from "../lib/logger.ts";
import { randomBytes, runSockhop, sha256, startServe, tempDir, testEnv, until } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { authorizeClientKey, connectToSocket, startSshServe } from "./_serve_ssh.ts";

const host = Deno.hostname();
const dec = new TextDecoder();
const asRoot = Deno.uid() === 0;
const NOBODY = 65534;

/** A listening socket in this process that counts the connections it is given. */
function trap(path: string) {
  const listener = Deno.listen({ transport: "unix", path });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })();
  return {
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop.catch(() => {});
    },
  };
}

function mkdir(path: string, mode: number) {
  Deno.mkdirSync(path, { recursive: true });
  Deno.chmodSync(path, mode);
}

function out(r: { stdout: Uint8Array }): string {
  return dec.decode(r.stdout);
}

Deno.test("sessions: direct-streamlocal takes the path list shows (a dir given with a trailing slash too), nothing folded", async () => {
  await using dir = await tempDir();
  mkdir(`${dir}/s`, 0o700);
  await using _t = trap(`${dir}/s/${host}-x`);
  const dirs = resolveSessionDirs(new Map(), `${dir}/s/`, host);
  const [entry] = await listSessions(dirs, false);
  assert.equal(entry?.path, `${dir}/s/${host}-x`);
  assert.equal(entry.state, "LIVE");
  const opened: string[] = [];
  const connect = (path: string) => Promise.resolve(opened.push(path));
  await openSocketPath(dirs, entry.path, undefined, connect);
  for (const other of [`${dir}/s/../s/${host}-x`, `${dir}/${host}-x`]) {
    await assert.rejects(
      () => openSocketPath(dirs, other, undefined, connect),
      /Not one of this user's session sockets/,
    );
  }
  assert.deepEqual(opened, [entry.path]);
});

Deno.test("sessions: a socket dir others can write is refused by connect, _proxy and list, never connected to", async () => {
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o777);
  const env = testEnv(s);
  await using t = trap(`${s}/${host}-evil`);

  const c = await runSockhop(["connect", "evil"], { env });
  assert.equal(c.code, 1);
  assert.equal(
    c.stderr.trim(),
    `sockhop: Refusing session "evil" at ${s}/${host}-evil: ${s} is writable by group and others (mode 0777): run chmod go-w ${s}, or use --socket-dirs`,
  );
  const p = await runSockhop(["_proxy", "evil"], { env });
  assert.equal(p.code, 1);
  assert.match(out(p), /^SOCKHOP\/1 ERR Refusing session "evil" at .* is writable by group/);
  const l = await runSockhop(["list"], { env });
  assert.match(
    out(l),
    /UNSAFE\s+evil \(dir \S+ is writable by group and others \(mode 0777\): \S+/,
  );
  const j = JSON.parse(out(await runSockhop(["list", "--json"], { env })));
  assert.equal(j[0].state, "UNSAFE");
  assert.equal(t.accepted, 0, "nothing connected to the socket");
  assert.ok(Deno.lstatSync(`${s}/${host}-evil`).isSocket, "and nothing removed it");

  // The same socket once the dir is private again: reached (so the check is what refused).
  Deno.chmodSync(s, 0o700);
  const ok = await runSockhop(["connect", "evil"], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(t.accepted, 1);
});

Deno.test("sessions: symlinks are never followed: a socket or a socket dir that is one", async () => {
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o700);
  mkdir(`${dir}/elsewhere`, 0o700);
  await using t = trap(`${dir}/elsewhere/sock`);
  Deno.symlinkSync(`${dir}/elsewhere/sock`, `${s}/${host}-link`);
  const env = testEnv(s);
  const c = await runSockhop(["connect", "link"], { env });
  assert.equal(c.code, 1);
  assert.match(
    c.stderr,
    /Refusing session "link" at \S+: \S+-link is a symlink: use --socket-dirs/,
  );
  assert.match(
    out(await runSockhop(["list"], { env })),
    /UNSAFE\s+link \(socket is a symlink: \S+/,
  );
  assert.ok(Deno.lstatSync(`${s}/${host}-link`).isSymlink, "list left it alone");

  // A socket dir that is a symlink to a dir holding a live socket.
  Deno.symlinkSync(`${dir}/elsewhere`, `${dir}/linkdir`);
  Deno.renameSync(`${dir}/elsewhere/sock`, `${dir}/elsewhere/${host}-x`);
  const viaLink = testEnv(`${dir}/linkdir`);
  const d = await runSockhop(["connect", "x"], { env: viaLink });
  assert.equal(d.code, 1);
  assert.match(d.stderr, /linkdir is a symlink: use --socket-dirs/);
  assert.equal(t.accepted, 0);

  // serve does not chmod (or use) a socket dir that is a symlink.
  mkdir(`${dir}/shared`, 0o755);
  Deno.symlinkSync(`${dir}/shared`, `${dir}/servelink`);
  const r = await runSockhop(["serve", "x", "exec:cat"], { env: testEnv(`${dir}/servelink`) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Socket dir \S+servelink cannot be used: \S+ is a symlink/);
  assert.equal(Deno.statSync(`${dir}/shared`).mode! & 0o777, 0o755, "its target kept its mode");
  assert.deepEqual([...Deno.readDirSync(`${dir}/shared`)], []);
});

Deno.test("sessions: another user's socket or socket dir is refused", {
  ignore: !asRoot,
}, async () => {
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o700);
  const env = testEnv(s);
  await using t = trap(`${s}/${host}-theirs`);
  Deno.chownSync(`${s}/${host}-theirs`, NOBODY, NOBODY);
  const c = await runSockhop(["connect", "theirs"], { env });
  assert.equal(c.code, 1);
  assert.match(c.stderr, /-theirs belongs to another user \(uid 65534\): it is not yours/);

  Deno.chownSync(`${s}/${host}-theirs`, 0, 0);
  Deno.chownSync(s, NOBODY, NOBODY);
  const d = await runSockhop(["connect", "theirs"], { env });
  assert.equal(d.code, 1);
  assert.match(d.stderr, /\/s belongs to another user \(uid 65534\): use --socket-dirs/);
  assert.match(out(await runSockhop(["list"], { env })), /UNSAFE\s+theirs \(dir \S+ belongs/);
  assert.equal(t.accepted, 0);
});

Deno.test("sessions: a parent of the socket dir that others can write is refused", async () => {
  await using dir = await tempDir();
  mkdir(`${dir}/open`, 0o777);
  mkdir(`${dir}/open/s`, 0o700);
  await using t = trap(`${dir}/open/s/${host}-x`);
  const c = await runSockhop(["connect", "x"], { env: testEnv(`${dir}/open/s`) });
  assert.equal(c.code, 1);
  assert.match(
    c.stderr,
    /open is writable by others \(mode 0777\) and not sticky: use --socket-dirs/,
  );
  const r = await runSockhop(["serve", "y", "exec:cat"], { env: testEnv(`${dir}/open/s`) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot be used: \S+open is writable by others/);
  assert.equal(t.accepted, 0);
});

Deno.test("sessions: xpra's shared dir is used when root-owned and sticky (1775), not when 0775", {
  ignore: !asRoot,
}, async () => {
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o700);
  const xpra = `${dir}/runxpra`;
  mkdir(xpra, 0o1775);
  const env = { ...testEnv(s), SOCKHOP_XPRA_DIRS: xpra };
  await using t = trap(`${xpra}/${host}-100`);
  assert.match(out(await runSockhop(["list"], { env })), /LIVE\s+xpra :100/);
  Deno.chmodSync(xpra, 0o775);
  assert.match(
    out(await runSockhop(["list"], { env })),
    /UNSAFE\s+xpra :100 \(dir \S+ is writable by its group \(mode 0775\): \S+/,
  );
  const c = await runSockhop(["connect", ":100"], { env });
  assert.equal(c.code, 1);
  assert.match(c.stderr, /Refusing session ":100"/);
  assert.equal(t.accepted, 1, "only list's probe of the sticky dir");
});

Deno.test("sessions: the built-in server's direct-streamlocal is checked as connect is", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  mkdir(`${dir}/s`, 0o700);
  mkdir(`${dir}/open`, 0o777);
  const env = testEnv(`${dir}/s:${dir}/open`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = await authorizeClientKey(dir);
  await using server = await startSshServe(`${dir}/authorized_keys`, [], env);
  const port = server.port;
  await using t = trap(`${dir}/open/${host}-x`);
  const connect = () => connectToSocket(port, key, `${dir}/open/${host}-x`, env);
  const refused = await connect();
  assert.notEqual(refused.code, 0);
  assert.match(
    server.log(),
    /refused direct-streamlocal to "\S+-x": Refusing session "x" at \S+: \S+open is writable by group and others/,
  );
  assert.equal(t.accepted, 0);
  Deno.chmodSync(`${dir}/open`, 0o700);
  const ok = await connect();
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(t.accepted, 1);
});

/** A python server that binds its socket, says so, and listens only after `delay` seconds. */
function slowServer(path: string, delay: number) {
  const script = [
    "import socket, sys, time",
    "s = socket.socket(socket.AF_UNIX)",
    "s.bind(sys.argv[1])",
    "print('bound', flush=True)",
    "time.sleep(float(sys.argv[2]))",
    "s.listen(8)",
    "print('listening', flush=True)",
    "while True:",
    "    c, _ = s.accept()",
    "    try:",
    "        c.sendall(b'hello from the slow server\\n')",
    "    except OSError:",
    "        pass",
    "    c.close()",
  ].join("\n");
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, path, String(delay)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  return {
    async until(word: string) {
      while (!seen.includes(word)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the slow server ended before "${word}"`);
        seen += value;
      }
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
      await lines.cancel().catch(() => {});
    },
  };
}

Deno.test("dead sockets: a server that has bound but does not listen yet is not removed", async () => {
  if (!requirePeer("python3", "/usr/bin/python3", "python3")) return;
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o700);
  const env = testEnv(s);
  const path = `${s}/${host}-starting`;
  {
    await using slow = slowServer(path, 3600);
    await slow.until("bound");
    const l = await runSockhop(["list"], { env });
    assert.match(
      out(l),
      /UNKNOWN\s+starting \(a process has it bound but does not accept yet\)/,
    );
    assert.ok(Deno.lstatSync(path).isSocket, "list left the starting server's socket");
    const r = await runSockhop(["serve", "starting", "exec:cat"], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is UNKNOWN \(a process has it bound but does not accept yet\)/);
    const f = await runSockhop(["forward", "starting", `--listen=unix:${path}`], { env });
    assert.equal(f.code, 1);
    assert.match(f.stderr, /is in use by another program/);
    assert.ok(Deno.lstatSync(path).isSocket, "serve and forward left it too");
  }
  // Once nothing holds it, it is dead and cleaned up.
  assert.match(out(await runSockhop(["list"], { env })), /DEAD\s+starting \(cleaned up\)/);
  assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
});

Deno.test("dead sockets: xpra-like timing (bind, 0.5 s, listen), with and without /proc/net/unix", async () => {
  if (!requirePeer("python3", "/usr/bin/python3", "python3")) return;
  await using dir = await tempDir();
  const s = `${dir}/s`;
  mkdir(s, 0o700);
  const dirs = resolveSessionDirs(new Map(), s, host);
  for (const procNetUnix of [undefined, () => undefined]) {
    const path = `${s}/${host}-xpralike${procNetUnix ? "2" : ""}`;
    await using slow = slowServer(path, 0.5);
    await slow.until("bound");
    const entry = (await listSessions(dirs, true, procNetUnix ? { procNetUnix } : {}))
      .find((e) => e.path === path);
    // Linux: held, so UNKNOWN at once; elsewhere: probed again after a wait, by then LIVE.
    assert.equal(entry?.state, procNetUnix ? "LIVE" : "UNKNOWN");
    assert.equal(entry?.cleaned, false);
    await slow.until("listening");
    const conn = await Deno.connect({ transport: "unix", path });
    const got = new Uint8Array(64);
    const n = await conn.read(got);
    conn.close();
    assert.equal(dec.decode(got.subarray(0, n ?? 0)), "hello from the slow server\n");
  }
});

Deno.test("socket paths: serve falls back to the next socket dir when the first is too long", async () => {
  await using dir = await tempDir();
  const long = `${dir}/${"d".repeat(110 - dir.length)}`;
  const env = testEnv(`${long}:${dir}/s`);
  await using s = await startServe(["fits", "exec:cat"], env);
  assert.match(s.log(), new RegExp(`session fits at ${dir}/s/${host}-fits`));
  assert.throws(() => Deno.lstatSync(long), Deno.errors.NotFound, "the long dir is not made");
  const c = await runSockhop(["connect", "fits"], { env, stdin: new TextEncoder().encode("hi") });
  assert.equal(c.code, 0, c.stderr);
  assert.equal(out(c), "hi");

  const only = await runSockhop(["serve", "x", "exec:cat"], { env: testEnv(long) });
  assert.equal(only.code, 1);
  const bytes = long.length + 1 + host.length + 2;
  assert.equal(
    only.stderr.trim(),
    `sockhop: No usable socket dir (socket path ${long}/${host}-x is ${bytes} bytes, ${
      bytes - 107
    } more than the 107 Linux allows): use a shorter --socket-dirs`,
  );
  const f = await runSockhop(["forward", "fits", `--listen=unix:${long}/f.sock`], { env });
  assert.equal(f.code, 1);
  assert.match(f.stderr, /more than the 107 Linux allows: use a shorter --listen=unix: path/);
  await assert.rejects(
    () => connectSession(`${long}/${host}-x`),
    (err: Error) => err instanceof SockhopError && err.code === "path-too-long",
  );
});

Deno.test("Windows pipes: the handshake lets this user's client in, bytes both ways", async () => {
  await using dir = await tempDir();
  const key = ensureSessionKey(dir);
  const path = `${dir}/pipe`;
  const listener = listenPipe(path, key);
  const served = (async () => {
    for await (const conn of listener.connections) {
      const chunks: Uint8Array[] = [];
      for await (const c of conn.readable) chunks.push(c);
      const all = new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
      await conn.write(new TextEncoder().encode(await sha256(all)));
      await conn.closeWrite();
      conn.close();
    }
  })();
  const data = randomBytes(4 * 1024 * 1024);
  const conn = await connectPipe(path, key);
  await conn.write(data);
  await conn.closeWrite();
  let reply = "";
  for await (const c of conn.readable) reply += dec.decode(c);
  conn.close();
  assert.equal(reply, await sha256(data));
  listener.close();
  await served;
});

Deno.test("Windows pipes: a pipe made by someone else, and clients without the key, get nothing", async () => {
  await using dir = await tempDir();
  const key = ensureSessionKey(`${dir}`);
  mkdir(`${dir}/other`, 0o700);
  const otherKey = ensureSessionKey(`${dir}/other`);
  assert.notDeepEqual(key, otherKey);
  const path = `${dir}/pipe`;
  const refused: string[] = [];
  const listener = listenPipe(path, otherKey, (why) => refused.push(why), 1000);
  let yielded = 0;
  const served = (async () => {
    for await (const conn of listener.connections) {
      yielded++;
      await conn.write(new TextEncoder().encode("SECRET"));
      conn.close();
    }
  })();
  // This user's client reaching a pipe someone else made (a squatter): refused, key kept.
  await assert.rejects(
    () => connectPipe(path, key),
    (err: Error) =>
      err instanceof SockhopError && err.code === "session-refused" &&
      /was not created by this user's sockhop serve/.test(err.message),
  );
  // A client that never writes (as one that could only open the pipe for reading), one that
  // sends junk, and one that says hello but cannot prove the key: none sees a session byte.
  const raw = async (send: Uint8Array | undefined) => {
    const sock = net.connect({ path });
    await new Promise((r) => sock.once("connect", r));
    if (send) sock.write(send);
    const got: Uint8Array[] = [];
    sock.on("data", (c: Uint8Array) => got.push(c));
    // The server ends the connection; a generous bound keeps a broken server from hanging this.
    const bound = setTimeout(() => sock.destroy(), 10_000);
    await new Promise((r) => sock.once("close", r));
    clearTimeout(bound);
    return dec.decode(new Uint8Array(await new Blob(got as BlobPart[]).arrayBuffer()));
  };
  const junk = raw(
    new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.com\r\nUser-Agent: x\r\n\r\n"),
  );
  const silent = raw(undefined);
  assert.doesNotMatch(await junk, /SECRET/);
  assert.equal(await silent, "");
  const hi = await raw(new Uint8Array([0x53, 0x48, 0x50, 0x31, ...randomBytes(32 + 32)]));
  assert.doesNotMatch(hi, /SECRET/);
  assert.equal(yielded, 0);
  assert.ok(refused.includes("not a sockhop client"), refused.join(", "));
  assert.ok(
    refused.includes("the client does not hold this user's session key"),
    refused.join(", "),
  );
  listener.close();
  await served;
});

Deno.test("Windows pipes: list's probe opens nothing; the key file", async () => {
  await using dir = await tempDir();
  const key = ensureSessionKey(dir);
  assert.equal(key.length, 32);
  assert.equal(Deno.statSync(`${dir}/${KEY_FILE}`).mode! & 0o777, 0o600);
  assert.deepEqual(ensureSessionKey(dir), key, "one key per dir, kept");
  assert.deepEqual(readSessionKey([`${dir}/none`, dir]), key);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [KEY_FILE], "no temp left");
  const refused: string[] = [];
  const path = `${dir}/pipe`;
  const listener = listenPipe(path, key, (why) => refused.push(why));
  let yielded = 0;
  const served = (async () => {
    for await (const conn of listener.connections) {
      yielded++;
      conn.close();
    }
  })();
  await probePipe(path, key);
  await until("the probe is refused", () => refused.length > 0);
  assert.equal(yielded, 0, "a probe does not open the session");
  listener.close();
  await served;
  Deno.writeFileSync(`${dir}/${KEY_FILE}`, new Uint8Array(5));
  assert.throws(() => readSessionKey([dir]), /is damaged \(5 bytes, not 32\): remove it/);
});

Deno.test("Windows pipes: forward --listen=pipe:NAME, parsed with the platform given", () => {
  assert.deepEqual(parseListen("pipe:pg", "windows"), { kind: "pipe", path: "\\\\.\\pipe\\pg" });
  assert.deepEqual(parseListen("pipe:\\\\.\\pipe\\pg", "windows"), {
    kind: "pipe",
    path: "\\\\.\\pipe\\pg",
  });
  assert.throws(() => parseListen("pipe:pg", "linux"), /pipe: is for Windows; use unix:PATH/);
  assert.throws(() => parseListen("unix:/tmp/x", "windows"), /on Windows use pipe:NAME/);
  assert.throws(() => parseListen("pipe:", "windows"), /write pipe:NAME/);
  assert.throws(() => parseListen("5432", "windows"), /use tcp:\[HOST:\]PORT or pipe:NAME/);
});

Deno.test("Windows pipes: forward's pipe listener tunnels to a session (run over a unix socket)", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["echo", "exec:cat"], env);
  const dirs = resolveSessionDirs(new Map(), `${dir}/s`, host);
  const logger = stderrLogger([]);
  const stop = new AbortController();
  const stats = { open: 0, total: 0, failed: 0, up: 0, down: 0 };
  const path = `${dir}/fwd`;
  let listening!: () => void;
  const ready = new Promise<void>((r) => listening = r);
  const running = runForward({
    listen: [{ kind: "pipe", path }],
    transport: localTransport(dirs, "echo", logger),
    logger,
    signal: stop.signal,
    onListening: () => listening(),
  }, stats);
  await ready;
  const data = randomBytes(1024 * 1024);
  const sock = net.connect({ path, allowHalfOpen: true });
  await new Promise((r) => sock.once("connect", r));
  const got: Uint8Array[] = [];
  sock.on("data", (c: Uint8Array) => got.push(c));
  sock.end(data);
  await new Promise((r) => sock.once("end", r));
  sock.destroy();
  const back = new Uint8Array(await new Blob(got as BlobPart[]).arrayBuffer());
  assert.equal(await sha256(back), await sha256(data));
  stop.abort();
  await running;
  assert.equal(stats.total, 1);
  await s.stop();
});

Deno.test("Windows pipes: serve, list, connect NAME and a squatter, the Windows flow over unix sockets", async () => {
  await using dir = await tempDir();
  mkdir(`${dir}/pipes`, 0o700);
  // Windows as far as sessions go: pipes in a dir of this test instead of \\.\pipe\.
  const dirs = {
    ...resolveSessionDirs(new Map([["USERNAME", "alice"]]), `${dir}/s`, "HOST-1", "windows"),
    pipeDir: `${dir}/pipes/`,
  };
  assert.equal(dirs.user, "alice");
  const logger = stderrLogger([]);
  const serving = await serve({
    dirs,
    name: "pg",
    target: { kind: "exec", argv: ["cat"] },
    logger,
  });
  assert.equal(serving.path, `${dir}/pipes/sockhop-alice-HOST-1-pg`);
  assert.equal(readSessionKey(dirs.dirs)?.length, 32, "serve made the key");
  await assert.rejects(
    () => serve({ dirs, name: "pg", target: { kind: "exec", argv: ["cat"] }, logger }),
    /A session named "pg" is already running/,
  );
  // Someone else's pipe under this user's prefix, and another user's pipe.
  mkdir(`${dir}/other`, 0o700);
  const squat = listenPipe(
    `${dir}/pipes/sockhop-alice-HOST-1-evil`,
    ensureSessionKey(`${dir}/other`),
  );
  const bob = listenPipe(`${dir}/pipes/sockhop-bob-HOST-1-x`, ensureSessionKey(`${dir}/other`));

  await assert.rejects(
    () => serve({ dirs, name: "evil", target: { kind: "exec", argv: ["cat"] }, logger }),
    /Pipe \S+-evil was not created by this user's sockhop serve: stop whatever created it/,
  );
  const listed = await listSessions(dirs);
  assert.deepEqual(listed.map((e) => [e.name, e.state]), [["evil", "UNSAFE"], ["pg", "LIVE"]]);
  assert.equal(listed[0]!.reason, "not created by this user's sockhop serve");

  const { conn } = await openSession(dirs, "pg", connectSessionStream);
  const data = randomBytes(1024 * 1024);
  const [, echoed] = await Promise.all([
    (async () => {
      await conn.write(data);
      await conn.closeWrite();
    })(),
    (async () => {
      const chunks: Uint8Array[] = [];
      for await (const c of conn.readable) chunks.push(c);
      return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
    })(),
  ]);
  conn.close();
  assert.equal(await sha256(echoed), await sha256(data));
  await assert.rejects(
    () => openSession(dirs, "evil", connectSession),
    (err: Error) => err instanceof SockhopError && err.code === "session-refused",
  );
  await assert.rejects(
    () => openSession(dirs, "x", connectSession),
    /No session "x"; sessions here: pg/,
  );
  // direct-streamlocal through the built-in server names the pipe.
  const viaPath = await openSocketPath(dirs, serving.path, undefined, connectSessionStream);
  viaPath.close();
  await assert.rejects(
    () => openSocketPath(dirs, `${dir}/pipes/sockhop-bob-HOST-1-x`, undefined, connectSession),
    /Not one of this user's session sockets/,
  );
  squat.close();
  bob.close();
  serving.close();
  await serving.done;
});
