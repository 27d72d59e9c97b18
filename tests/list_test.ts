import assert from "node:assert/strict";
import { runSockhop, startServe, tempDir, testEnv } from "./_cli.ts";

const host = Deno.hostname();

Deno.test("list: LIVE, DEAD (cleaned up), --json, xpra sessions", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using live = await startServe(["alive", "exec:cat"], env);
  const dead = await startServe(["gone", "exec:cat"], env);
  await dead.stop("SIGKILL");
  // An xpra session socket, LIVE, in xpra's dir.
  await Deno.mkdir(`${dir}/s/xpra`, { recursive: true });
  const xpra = Deno.listen({ transport: "unix", path: `${dir}/s/xpra/${host}-100` });

  const text = await runSockhop(["list"], { env });
  assert.equal(text.code, 0, text.stderr);
  const out = new TextDecoder().decode(text.stdout);
  assert.match(out, /LIVE\s+alive/);
  assert.match(out, /DEAD\s+gone \(cleaned up\)/);
  assert.match(out, /LIVE\s+xpra :100/);
  assert.throws(() => Deno.lstatSync(`${dir}/s/${host}-gone`), Deno.errors.NotFound);

  const json = await runSockhop(["list", "--json"], { env });
  const entries = JSON.parse(new TextDecoder().decode(json.stdout)) as {
    name: string;
    state: string;
  }[];
  assert.deepEqual(entries.map((e) => [e.name, e.state]).sort(), [["100", "LIVE"], [
    "alive",
    "LIVE",
  ]]);
  xpra.close();
  await live.stop();
});

Deno.test("list: another user's socket is UNSAFE: reported, not removed", {
  ignore: Deno.uid() !== 0,
}, async () => {
  // As root, a socket owned by another user and refusing connections: not ours to open.
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const path = `${dir}/s/${host}-other`;
  const s = await startServe(["other", "exec:cat"], env);
  await s.stop("SIGKILL");
  Deno.chownSync(path, 65534, 65534);
  const r = await runSockhop(["list"], { env });
  assert.match(
    new TextDecoder().decode(r.stdout),
    /UNSAFE\s+other \(socket belongs to another user \(uid 65534\): it is not yours: leave it alone and use another name or --socket-dirs\)$/m,
  );
  assert.ok(Deno.lstatSync(path).isSocket, "a socket of another user is left alone");
});

Deno.test("list: names from the socket dir reach the terminal without control characters", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await Deno.mkdir(`${dir}/s`, { mode: 0o700 });
  // Anyone who can put a file in a socket dir picks its name, escape sequences and all.
  const evil = `${host}-a\x1b]0;pwned\x07b\x1b[2Jc\rd`;
  const listener = Deno.listen({ transport: "unix", path: `${dir}/s/${evil}` });
  const text = new TextDecoder().decode((await runSockhop(["list"], { env })).stdout);
  assert.match(text, /LIVE\s+abcd\n/);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/);
  // --json keeps the name as it is, escaped as JSON escapes it.
  const json = new TextDecoder().decode((await runSockhop(["list", "--json"], { env })).stdout);
  assert.equal(JSON.parse(json)[0].name, "a\x1b]0;pwned\x07b\x1b[2Jc\rd");
  assert.ok(!json.includes("\x1b"), "JSON escapes ESC");
  listener.close();
});
