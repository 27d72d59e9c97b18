import assert from "node:assert/strict";
import {
  randomBytes,
  runSockhop,
  runWithOpenStdin,
  sha256,
  startServe,
  tempDir,
  testEnv,
} from "./_cli.ts";

const host = Deno.hostname();
const dec = new TextDecoder();

Deno.test("_proxy: marker line then the session's bytes, 64 MiB both ways", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["sum", "exec:sha256sum"], env);
  const data = randomBytes(64 * 1024 * 1024);
  const r = await runSockhop(["_proxy", "sum"], { env, stdin: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), `SOCKHOP/1 OK\n${await sha256(data)}  -\n`);
  await s.stop();
});

Deno.test("_proxy: no such session: ERR marker naming the sessions, exit 1", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using a = await startServe(["alpha", "exec:cat"], env);
  const r = await runSockhop(["_proxy", "beta"], { env });
  assert.equal(r.code, 1);
  assert.equal(dec.decode(r.stdout), 'SOCKHOP/1 ERR No session "beta"; sessions here: alpha\n');
  await a.stop("SIGKILL");
  const dead = await runSockhop(["_proxy", "alpha"], { env });
  assert.equal(dead.code, 1);
  assert.match(dec.decode(dead.stdout), /^SOCKHOP\/1 ERR Session "alpha" is not running/);
});

Deno.test("_proxy: an xpra display name falls back to xpra's dirs", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await Deno.mkdir(`${dir}/s/xpra`, { recursive: true });
  const l = Deno.listen({ transport: "unix", path: `${dir}/s/xpra/${host}-100` });
  const served = (async () => {
    for (let i = 0; i < 2; i++) {
      const c = await l.accept();
      await c.write(new TextEncoder().encode("xpra-hello"));
      c.close();
    }
  })();
  for (const name of [":100", "100"]) {
    const r = await runSockhop(["_proxy", name], { env });
    assert.equal(dec.decode(r.stdout), "SOCKHOP/1 OK\nxpra-hello", r.stderr);
  }
  await served;
  l.close();
});

Deno.test("connect NAME: a local session, half-close keeps the reply", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe([
    "late",
    "exec:sh",
    "-c",
    "cat >/dev/null; sleep 0.3; echo reply",
  ], env);
  const r = await runSockhop(["connect", "late"], { env, stdin: randomBytes(1000) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "reply\n");
  await s.stop();
});

Deno.test("connect NAME: ends when the session's command does, stdin still open", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe(["bye", "exec:echo", "bye"], env);
  const r = await runWithOpenStdin(["connect", "bye"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "bye\n");
  assert.ok(r.ms < 5000, `ended after ${r.ms} ms`);
  await s.stop();
});

Deno.test("connect NAME: a session that half-closes still gets what is sent after", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using s = await startServe([
    "late",
    "exec:sh",
    "-c",
    `echo first; exec >&-; sleep 0.5; sha256sum > '${dir}/got'`,
  ], env);
  const data = randomBytes(1 << 20);
  const r = await runSockhop(["connect", "late"], { env, stdin: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dec.decode(r.stdout), "first\n");
  for (let i = 0; i < 50 && !(await Deno.readTextFile(`${dir}/got`).catch(() => "")); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await Deno.readTextFile(`${dir}/got`), `${await sha256(data)}  -\n`);
  await s.stop();
});
