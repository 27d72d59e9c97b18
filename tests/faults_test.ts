/**
 * Faults on the byte path, with real processes: a session's command killed, serve killed, the
 * local ssh killed, a reader that stops, services that exit at once, too many children. When a
 * part ends abnormally, every other part ends within seconds, non-zero, naming what ended;
 * when it ends normally, every byte arrives.
 */

import assert from "node:assert/strict";
import { runSockhop, sockhopArgv, startServe, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { sockhopWrapper, sshOption } from "./_remote.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();
const haveSsh = () =>
  requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") &&
  requirePeer("ssh", "ssh", "openssh-client");

/** A sockhop process whose stdout the test reads (or leaves unread), and its stderr. */
function spawnSockhop(
  args: string[],
  env: Record<string, string>,
  opts: { read?: boolean } = {},
) {
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, ...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let bytes = 0;
  let err = "";
  const reader = child.stdout.getReader();
  const reading = opts.read === false ? Promise.resolve() : (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      bytes += r.value.length;
    }
  })();
  const errDone = (async () => {
    for await (const c of child.stderr) err += dec.decode(c, { stream: true });
  })();
  return {
    child,
    bytes: () => bytes,
    stderr: () => err,
    /** The reader goes away: sockhop's next write to stdout fails. */
    stopReading: () => reader.cancel(),
    /** Exit code and stderr; SIGKILLed (and failed) if not ended within `ms`. */
    async ended(ms = 10000) {
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const status = await child.status;
      clearTimeout(timer);
      await reader.cancel().catch(() => {});
      await reading;
      await errDone;
      await child.stdin.close().catch(() => {});
      return { code: status.code, signal: status.signal, stderr: err, bytes };
    },
  };
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Running processes whose command line holds `text`, with their parent. */
function processesWith(text: string): { pid: number; ppid: number; cmd: string }[] {
  const found = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (!cmd.includes(text) || !alive(Number(e.name))) continue;
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      found.push({ pid: Number(e.name), ppid, cmd });
    } catch {
      // gone
    }
  }
  return found;
}

function childrenOf(ppid: number): { pid: number; cmd: string }[] {
  const found = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== ppid) continue;
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      found.push({ pid: Number(e.name), cmd });
    } catch {
      // gone
    }
  }
  return found;
}

/** A service that writes for ever, its pid in `pidFile` (sh execs cat: the same pid). */
function endless(pidFile: string): string[] {
  return ["exec:sh", "-c", `echo $$ > '${pidFile}'; exec cat /dev/zero`];
}

async function readPid(pidFile: string): Promise<number> {
  let text = "";
  await waitUntil(`${pidFile} written`, async () => {
    text = await Deno.readTextFile(pidFile).catch(() => "");
    return text.endsWith("\n");
  });
  return Number(text.trim());
}

/** sshd, a socket dir, the remote sockhop wrapper; connect arguments for each backend. */
async function sshWorld() {
  const dir = await tempDir("sf-");
  const sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  const wrapper = await sockhopWrapper(dir, `${dir}/s`);
  const url = (name: string) => `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`;
  return {
    dir,
    sshd,
    env,
    wrapper,
    openssh: (name: string) => [
      "connect",
      url(name),
      `--ssh=${sshOption(sshd.sshWords())}`,
      `--remote-sockhop=${wrapper}`,
    ],
    native: (
      name: string,
    ) => ["connect", url(name), ...nativeArgs(sshd), `--remote-sockhop=${wrapper}`],
    plink: (name: string) => [
      "connect",
      url(name),
      `--ssh=plink -batch -i ${dir}/client.ppk -hostkey ${sshd.hostKeyFingerprint}`,
      `--remote-sockhop=${wrapper}`,
    ],
    async [Symbol.asyncDispose]() {
      await sshd.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

function nativeArgs(sshd: Sshd): string[] {
  return [
    "--ssh=native",
    "-F",
    "none",
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    "-o",
    "BatchMode=yes",
    "-i",
    sshd.clientKey,
    "-o",
    "IdentitiesOnly=yes",
  ];
}

/** The built-in server for `serveArgs`, with a client key authorized; ssh's words for it. */
async function builtinServer(dir: string, env: Record<string, string>, serveArgs: string[]) {
  const key = `${dir}/client`;
  await Deno.writeTextFile(`${dir}/authorized_keys`, (await keygen(key)) + "\n");
  const server = await startServe([
    "--bind-ssh=127.0.0.1:0",
    `--authorized-keys=${dir}/authorized_keys`,
    ...serveArgs,
  ], { ...env, XDG_CONFIG_HOME: `${dir}/config` });
  const port = /listening on ssh:127\.0\.0\.1:(\d+)/.exec(server.log())![1]!;
  const user = Deno.env.get("USER") ?? "root";
  const words = [
    "ssh",
    "-F",
    "/dev/null",
    "-i",
    key,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    "-p",
    port,
  ];
  return { server, port, user, words, key };
}

async function run(cmd: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  const writing = (async () => {
    if (stdin) await w.write(stdin).catch(() => {});
    await w.close().catch(() => {});
  })();
  const [out] = await Promise.all([child.output(), writing]);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Run `n` jobs, `width` at a time. */
async function inBatches<T>(n: number, width: number, job: (i: number) => Promise<T>) {
  const results: T[] = [];
  for (let i = 0; i < n; i += width) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + width); j++) batch.push(job(j));
    results.push(...await Promise.all(batch));
  }
  return results;
}

Deno.test("faults: 100 connects to exec:true, serve survives (session socket, companion, built-in server)", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  const { server, user, words } = await builtinServer(dir, env, ["quick", "exec:true"]);
  await using _ = server;
  const host = Deno.hostname();
  // A raw client (as socat) that sends at once, and sockhop's own, through the companion.
  for (const path of [`${dir}/s/${host}-quick`, `${dir}/s/.framed/${host}-quick`]) {
    for (let i = 0; i < 100; i++) {
      const conn = await Deno.connect({ transport: "unix", path });
      await conn.write(enc.encode("x\n")).catch(() => {});
      await conn.closeWrite().catch(() => {});
      const buf = new Uint8Array(1024);
      while (await conn.read(buf).catch(() => null) !== null) { /* until EOF */ }
      conn.close();
    }
  }
  const viaSsh = await inBatches(
    100,
    4,
    () => run([...words, `${user}@127.0.0.1`, "sockhop", "_proxy", "quick"], enc.encode("x\n")),
  );
  for (const r of viaSsh) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "SOCKHOP/1 OK\n");
  }
  for (let i = 0; i < 5; i++) {
    const r = await runSockhop(["connect", "quick"], { env, stdin: enc.encode("x\n") });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(await Promise.race([server.child.status.then(() => "ended"), "running"]), "running");
  assert.doesNotMatch(server.log(), /Uncaught|internal error/);
});

Deno.test("faults: a service that answers and exits: 100 connects each get the reply, exit 0", async () => {
  await using dir = await tempDir("sf-");
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["oneshot", "exec:sh", "-c", "echo ONESHOT-REPLY"], env);
  const results = await inBatches(
    100,
    4,
    () => runSockhop(["connect", "oneshot"], { env, stdin: enc.encode("x\n") }),
  );
  const bad = results.filter((r) => r.code !== 0 || dec.decode(r.stdout) !== "ONESHOT-REPLY\n");
  assert.deepEqual(
    bad.map((r) => `exit ${r.code}: ${JSON.stringify(dec.decode(r.stdout))} ${r.stderr}`),
    [],
  );
  await s.stop();
});

Deno.test("faults: a service that answers and exits, over sshd and _proxy: 100 replies", async () => {
  if (!haveSsh()) return;
  await using w = await sshWorld();
  await using s = await startServe(["oneshot", "exec:sh", "-c", "echo ONESHOT-REPLY"], w.env);
  const ssh = [...w.sshd.sshWords(), "-p", String(w.sshd.port), `${w.sshd.user}@127.0.0.1`];
  const results = await inBatches(
    100,
    4,
    () => run([...ssh, w.wrapper, "_proxy", "oneshot"], enc.encode("x\n")),
  );
  const bad = results.filter((r) => r.code !== 0 || r.stdout !== "SOCKHOP/1 OK\nONESHOT-REPLY\n");
  assert.deepEqual(bad.map((r) => `exit ${r.code}: ${JSON.stringify(r.stdout)} ${r.stderr}`), []);
  // And the whole client, a few times.
  for (let i = 0; i < 5; i++) {
    const r = await runSockhop(w.openssh("oneshot"), { env: w.env, stdin: enc.encode("x\n") });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(r.stdout), "ONESHOT-REPLY\n");
  }
  await s.stop();
});
