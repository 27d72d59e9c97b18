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

Deno.test("list: a DEAD socket of another user is reported, not removed", {
  ignore: Deno.uid() !== 0,
}, async () => {
  // As root, a socket owned by another user and refusing connections is DEAD but not ours.
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  const path = `${dir}/s/${host}-other`;
  const s = await startServe(["other", "exec:cat"], env);
  await s.stop("SIGKILL");
  Deno.chownSync(path, 65534, 65534);
  const r = await runSockhop(["list"], { env });
  assert.match(new TextDecoder().decode(r.stdout), /DEAD\s+other$/m);
  assert.ok(Deno.lstatSync(path).isSocket, "a socket of another user is left alone");
});
