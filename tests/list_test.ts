import assert from "node:assert/strict";
import { runSockhop, startServe, tempDir, testEnv } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { listSessions, resolveSessionDirs } from "../lib/sessions.ts";

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

/**
 * A server that has bound its socket but listens only when told (on stdin), as xpra does half
 * a second after its bind; `argv` starts Python (inside another network namespace, say).
 */
function bindThenListen(path: string, argv: string[] = []) {
  const script = [
    "import socket, sys",
    "s = socket.socket(socket.AF_UNIX)",
    "s.bind(sys.argv[1])",
    "print('bound', flush=True)",
    "sys.stdin.readline()",
    "s.listen(5)",
    "sys.stdin.readline()",
  ].join("\n");
  const [cmd, ...args] = [...argv, "python3", "-c", script, path];
  const child = new Deno.Command(cmd!, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())[Symbol.asyncIterator]();
  return {
    bound: lines.next(),
    listen: () => void writer.write(new TextEncoder().encode("\n")).catch(() => {}),
    async stop() {
      await writer.write(new TextEncoder().encode("\n\n")).catch(() => {});
      await writer.close().catch(() => {});
      await child.status;
      await lines.return?.();
    },
  };
}

for (const how of ["bound through a symlinked dir", "in another network namespace"] as const) {
  Deno.test(`list: a server ${how}, not listening yet, is not DEAD and keeps its socket`, async () => {
    if (!requirePeer("python3")) return;
    if (
      how !== "bound through a symlinked dir" && !requirePeer("unshare", "unshare", "util-linux")
    ) {
      return;
    }
    await using dir = await tempDir();
    await Deno.mkdir(`${dir}/real`, { mode: 0o700 });
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    const symlinked = how === "bound through a symlinked dir";
    const file = `${host}-starting`;
    const server = bindThenListen(
      `${dir}/${symlinked ? "link" : "real"}/${file}`,
      symlinked ? [] : ["unshare", "-n"],
    );
    try {
      assert.equal((await server.bound).value?.trim(), "bound");
      const dirs = resolveSessionDirs(new Map([["HOME", dir]]), `${dir}/real`);
      // /proc/net/unix is read between the two probes: the server listens from then on, as
      // a starting server would by the second probe.
      const procNetUnix = () => {
        server.listen();
        return Deno.readTextFileSync("/proc/net/unix");
      };
      const [entry] = await listSessions(dirs, true, { procNetUnix, recheckMs: 3000 });
      assert.notEqual(entry?.state, "DEAD", JSON.stringify(entry));
      assert.ok(Deno.lstatSync(`${dir}/real/${file}`).isSocket, "its socket is still there");
    } finally {
      await server.stop();
    }
  });
}
