/**
 * Where `serve` makes its place: never changing a dir it did not create, a private subdir in a
 * shared sticky dir (/tmp), and nothing of another user's used as its own.
 */

import assert from "node:assert/strict";
import { runSockhop, startServe, tempDir, testEnv } from "./_cli.ts";
import { FRAMED_DIR } from "../lib/session_frames.ts";

const host = Deno.hostname();
const asRoot = Deno.uid() === 0;
const NOBODY = 65534;
const me = Deno.uid() ?? 0;

function mode(path: string): number {
  return Deno.lstatSync(path).mode! & 0o7777;
}

Deno.test("socket dir: a shared sticky dir keeps its mode; the session goes in a private subdir every command finds", async () => {
  if (Deno.build.os === "windows") return;
  await using dir = await tempDir();
  const shared = `${dir}/shared`;
  Deno.mkdirSync(shared);
  Deno.chmodSync(shared, 0o1777);
  const env = testEnv(shared);
  const server = await startServe(["x", "exec:sh", "-c", "cat; exit 3"], env);
  try {
    assert.equal(mode(shared), 0o1777, "the shared dir was changed");
    const mine = `${shared}/sockhop-${me}`;
    assert.equal(mode(mine), 0o700);
    assert.equal(Deno.lstatSync(mine).uid, me);
    assert.ok(Deno.lstatSync(`${mine}/${host}-x`).isSocket);
    assert.match(server.log(), new RegExp(`at ${mine}/${host}-x`));
    const list = await runSockhop(["list"], { env });
    assert.match(new TextDecoder().decode(list.stdout), /LIVE\s+x\b/);
    // Through the companion socket: the command's own status comes back.
    const c = await runSockhop(["connect", "x"], { env, stdin: new TextEncoder().encode("hi") });
    assert.equal(new TextDecoder().decode(c.stdout), "hi");
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /exited with status 3/);
  } finally {
    await server.stop();
  }
  assert.equal(mode(shared), 0o1777);
});

Deno.test("socket dir: an existing dir of this user's is used as it is, never chmodded", async () => {
  if (Deno.build.os === "windows") return;
  await using dir = await tempDir();
  const own = `${dir}/own`;
  Deno.mkdirSync(own);
  Deno.chmodSync(own, 0o755);
  await using server = await startServe(["x", "exec:cat"], testEnv(own));
  assert.match(server.log(), new RegExp(`at ${own}/${host}-x`));
  assert.equal(mode(own), 0o755);
  // One it creates is 0700 whatever the umask left.
  await using made = await startServe(["y", "exec:cat"], testEnv(`${dir}/new/deeper`));
  assert.match(made.log(), /at \S+\/new\/deeper\//);
  assert.equal(mode(`${dir}/new/deeper`), 0o700);
});

Deno.test(
  "socket dir: another user's files in a shared dir are gone around or refused, and said so",
  {
    ignore: !asRoot,
  },
  async () => {
    await using dir = await tempDir();
    const shared = `${dir}/shared`;
    Deno.mkdirSync(shared);
    Deno.chmodSync(shared, 0o1777);
    // Another user made the status socket dir first, where every user's sessions would share
    // it: gone around.
    Deno.mkdirSync(`${shared}/${FRAMED_DIR}`, { mode: 0o777 });
    Deno.chownSync(`${shared}/${FRAMED_DIR}`, NOBODY, NOBODY);
    const env = testEnv(shared);
    {
      await using _server = await startServe(["x", "exec:sh", "-c", "exit 5"], env);
      const c = await runSockhop(["connect", "x"], { env });
      assert.equal(c.code, 1, c.stderr);
      assert.match(c.stderr, /exited with status 5/, "the end status was lost");
    }
    // Within this user's own dir a status socket dir of someone else's is refused, naming it.
    const own = `${dir}/own`;
    Deno.mkdirSync(`${own}/${FRAMED_DIR}`, { recursive: true, mode: 0o700 });
    Deno.chmodSync(own, 0o700);
    Deno.chownSync(`${own}/${FRAMED_DIR}`, NOBODY, NOBODY);
    const r = await runSockhop(["serve", "y", "exec:cat"], { env: testEnv(own) });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `Status socket dir \\S+/own/\\${FRAMED_DIR} belongs to another user \\(uid 65534\\): sockhop did not make it and will not use it .*remove it or use another --socket-dirs`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(own)].map((e) => e.name), [FRAMED_DIR], "nothing left");
    // This user's subdir of the shared dir made first by someone else: refused, naming it.
    const other = `${dir}/other`;
    Deno.mkdirSync(other);
    Deno.chmodSync(other, 0o1777);
    Deno.mkdirSync(`${other}/sockhop-${me}`, { mode: 0o700 });
    Deno.chownSync(`${other}/sockhop-${me}`, NOBODY, NOBODY);
    const s = await runSockhop(["serve", "z", "exec:cat"], { env: testEnv(other) });
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /sockhop-0 belongs to another user \(uid 65534\)/);
    assert.equal(mode(other), 0o1777);
  },
);
