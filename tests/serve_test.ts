import assert from "node:assert/strict";
import { parseServeTarget } from "../lib/serve.ts";
import { UsageError } from "../lib/errors.ts";
import {
  randomBytes,
  runSockhop,
  runWithOpenStdin,
  sha256,
  startServe,
  tempDir,
  testEnv,
} from "./_cli.ts";
import { startSshServe, USER } from "./_serve_ssh.ts";

const host = Deno.hostname();

Deno.test("serve: socket 0600 in a 0700 dir, removed on SIGTERM and SIGINT (exit 143, 130)", async () => {
  await using dir = await tempDir();
  const sockDir = `${dir}/socks`;
  const env = testEnv(sockDir);
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    const s = await startServe(["db", "exec:cat"], env);
    const path = `${sockDir}/${host}-db`;
    assert.equal(Deno.statSync(sockDir).mode! & 0o777, 0o700);
    assert.equal(Deno.lstatSync(path).mode! & 0o777, 0o600);
    assert.ok(Deno.lstatSync(path).isSocket);
    // As the README says: 128 + the signal's number.
    assert.equal(await s.stop(signal), code);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  }
});

Deno.test("serve: a LIVE name is refused, a DEAD one is replaced", async () => {
  await using dir = await tempDir();
  const env = testEnv(dir);
  await using first = await startServe(["db", "exec:cat"], env);
  const again = await runSockhop(["serve", "db", "exec:cat"], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already running.*pick another name or stop it/);
  await first.stop("SIGKILL");
  assert.ok(Deno.lstatSync(`${dir}/${host}-db`).isSocket, "a killed server leaves its socket");
  await using second = await startServe(["db", "exec:cat"], env);
  const r = await runSockhop(["connect", "db"], { env, stdin: new TextEncoder().encode("hi") });
  assert.equal(new TextDecoder().decode(r.stdout), "hi");
  await second.stop();
});

Deno.test("serve: bad names and targets are usage errors (exit 2), nothing left behind", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const cases: [string[], RegExp, number][] = [
    [["serve", "../x", "exec:cat"], /Invalid session name/, 2],
    [["serve", "-x", "exec:cat"], /Unknown option|unknown/i, 2],
    [["serve", "db"], /Missing TARGET/, 2],
    [["serve", "db", "ftp:x"], /Unknown TARGET.*exec:COMMAND/, 2],
    // A host written before the name: the word in TARGET's place is named.
    [["serve", "db", "pg", "exec:cat"], /Unexpected "pg" before the exec: TARGET/, 2],
    [["start", "db", "pg", "exec:cat"], /Unknown TARGET "pg": use exec:COMMAND/, 2],
    [["serve", "db", "tcp:127.0.0.1:1", "x"], /Unexpected "x" after TARGET tcp:/, 2],
    [["serve", "db", "tcp:host"], /no port/, 2],
    [
      ["serve", "db", "tcp:8080"],
      /no port: write tcp:HOST:PORT; for port 8080 on this host: tcp:127\.0\.0\.1:8080$/m,
      2,
    ],
    [["serve", "db", `unix:/run/${"x".repeat(200)}`], /is 205 bytes, .*: give a shorter path/, 2],
    [["serve", "db", "exec:no-such-program-xyz"], /not found in PATH/, 1],
  ];
  for (const [args, re, code] of cases) {
    const r = await runSockhop(args, { env });
    assert.equal(r.code, code, args.join(" "));
    assert.match(r.stderr, re, args.join(" "));
    assert.equal(r.stderr.trim().split("\n")[0]!.startsWith("sockhop: "), true);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "s"), []);
});

Deno.test("serve: a unix: target too long for a socket path is a usage error at start", () => {
  const path = `/run/${"x".repeat(102)}`; // 107 bytes: Linux takes it, macOS does not
  assert.deepEqual(parseServeTarget([`unix:${path}`], "linux"), { kind: "unix", path });
  assert.throws(
    () => parseServeTarget([`unix:${path}`], "darwin"),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === `Socket path ${path} is 107 bytes, 4 more than the 103 macOS allows: ` +
          "give a shorter path (a symlink to its directory will do)",
  );
  assert.throws(() => parseServeTarget([`unix:${path}x`], "linux"), /108 bytes, 1 more/);
});

Deno.test("serve: exec, tcp and unix targets; many clients at once; stderr to the log", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  // A TCP echo service and a unix one, both Deno listeners of this test.
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const unixPath = `${dir}/svc.sock`;
  const unix = Deno.listen({ transport: "unix", path: unixPath });
  const echo = async (l: Deno.Listener) => {
    for await (const c of l) {
      (async () => {
        await c.readable.pipeTo(c.writable).catch(() => {});
      })();
    }
  };
  const serving = [echo(tcp), echo(unix)];
  await using e = await startServe(["e", "exec:sh", "-c", "echo to-log >&2; cat"], env);
  await using t = await startServe(["t", `tcp:127.0.0.1:${tcp.addr.port}`], env);
  await using u = await startServe(["u", `unix:${unixPath}`], env);
  const data = randomBytes(2 * 1024 * 1024);
  const want = await sha256(data);
  const runs = [];
  for (const name of ["e", "t", "u", "e", "t", "u"]) {
    runs.push(runSockhop(["connect", name], { env, stdin: data }));
  }
  for (const r of await Promise.all(runs)) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256(r.stdout), want);
  }
  await e.stop();
  await t.stop();
  await u.stop();
  assert.match(e.log(), /to-log/);
  tcp.close();
  unix.close();
  await Promise.allSettled(serving);
});

/** Whether process `pid` is gone (or a zombie nobody reaped yet), waited for up to 20 s. */
async function processGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (/^\d+ \(.*\) Z/.test(stat)) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

Deno.test("serve: what an exec: command leaves behind ends with it, the client gets its output and its end", async () => {
  if (Deno.build.os !== "linux") return;
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  // Left holding the output: the client would wait for it for ever.
  await using _holding = await startServe(
    ["held", "exec:sh", "-c", "sleep 61 & echo $!; echo hi"],
    env,
  );
  const r = await runWithOpenStdin(["connect", "held"], env, 30000);
  const [pid, hi] = new TextDecoder().decode(r.stdout).trim().split("\n");
  assert.equal(hi, "hi", r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(await processGone(Number(pid)), `sleep ${pid} outlived its connection`);
  // Let go of the output: the connection ends anyway, and it still must not outlive it.
  await using _detached = await startServe(
    ["loose", "exec:sh", "-c", "sleep 62 </dev/null >/dev/null 2>&1 & echo $!"],
    env,
  );
  const l = await runSockhop(["connect", "loose"], { env });
  assert.equal(l.code, 0, l.stderr);
  assert.ok(await processGone(Number(new TextDecoder().decode(l.stdout).trim())));
  // One that ignores SIGTERM gets SIGKILL.
  await using _stubborn = await startServe(
    ["stubborn", "exec:sh", "-c", "sh -c 'trap \"\" TERM; sleep 63' & echo $!; echo hi"],
    env,
  );
  const s = await runWithOpenStdin(["connect", "stubborn"], env, 30000);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(await processGone(Number(new TextDecoder().decode(s.stdout).split("\n")[0])));
});

Deno.test("serve --bind-ssh reads the file sockhop passwd writes, says so, and lets that password in", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const password = "correct horse battery";
  const p = await runSockhop(["passwd"], { env, stdin: new TextEncoder().encode(password + "\n") });
  assert.equal(p.code, 0, p.stderr);
  const file = `${dir}/config/sockhop/passwords`;
  assert.match(new TextDecoder().decode(p.stdout), new RegExp(`written to ${file}`));
  await Deno.writeTextFile(`${dir}/authorized_keys`, "");
  await using server = await startSshServe(`${dir}/authorized_keys`, ["db", "exec:cat"], env);
  assert.match(
    server.log(),
    new RegExp(`password logins: hashes from ${file} \\(written by sockhop passwd\\)`),
  );
  await Deno.writeTextFile(`${dir}/pw`, password + "\n", { mode: 0o600 });
  const r = await runSockhop([
    "connect",
    `ssh://${USER}@127.0.0.1:${server.port}/db`,
    "--ssh=native",
    "-F",
    "none",
    "--insecure-accept-any-host-key",
    `--password-file=${dir}/pw`,
  ], { env, stdin: new TextEncoder().encode("by password") });
  assert.equal(new TextDecoder().decode(r.stdout), "by password", r.stderr);
});

Deno.test("passwd USER for another user than serve's warns who can log in", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const r = await runSockhop(["passwd", "someone-else"], {
    env,
    stdin: new TextEncoder().encode("long enough password\n"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the built-in server lets in only the user its serve runs as/);
});

Deno.test("serve: one of serve's own flags after exec:COMMAND is the command's, with a warning", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["db", "exec:echo", "--max-children=3"], env);
  assert.match(s.log(), /warning: --max-children=3 comes after exec: and is given to the command/);
  const r = await runSockhop(["connect", "db"], { env });
  assert.equal(new TextDecoder().decode(r.stdout), "--max-children=3\n");
});
