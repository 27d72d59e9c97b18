import assert from "node:assert/strict";
import { DEFAULT_REMOTE_SOCKHOP, remoteCommand, remoteSnippet } from "../lib/remote_command.ts";
import { tempDir } from "./_cli.ts";

async function sh(command: string, env: Record<string, string>) {
  // Run the command line as a login shell would receive it from sshd.
  const out = await new Deno.Command("sh", { args: ["-c", command], env, clearEnv: true }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("remote command: quoted once, runs the first candidate found with _proxy NAME", async () => {
  await using dir = await tempDir();
  const fake = `${dir}/bin/sockhop`;
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(fake, `#!/bin/sh\necho "ran $0 $*"\n`, { mode: 0o755 });
  const cmd = remoteCommand(["nonexistent-xyz", "$HOME/bin/sockhop", "/nope"], "db");
  assert.match(cmd, /^sh -c '/);
  const r = await sh(cmd, { HOME: dir, PATH: "/usr/bin:/bin" });
  assert.equal(r.stdout, `ran ${dir}/bin/sockhop _proxy db\n`);
  assert.equal(r.code, 0);
});

Deno.test("remote command: nothing found prints the ERR marker and exits 127", async () => {
  await using dir = await tempDir();
  const r = await sh(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db"), {
    HOME: dir,
    PATH: "/usr/bin:/bin",
  });
  assert.equal(r.code, 127);
  assert.match(r.stdout, /^SOCKHOP\/1 ERR sockhop was not found.*--remote-sockhop\n$/);
});

Deno.test("remote command: an xpra display falls back to xpra _proxy with an OK marker", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(`${dir}/bin/xpra`, `#!/bin/sh\necho "xpra $*"\n`, { mode: 0o755 });
  const r = await sh(remoteCommand(["/nope/sockhop"], ":100"), {
    HOME: dir,
    PATH: `${dir}/bin:/usr/bin:/bin`,
  });
  assert.equal(r.stdout, "SOCKHOP/1 OK\nxpra _proxy :100\n");
});

Deno.test("remote command: works through bash, dash and fish as login shells", async () => {
  const snippet = remoteSnippet(["/nope"], "x");
  assert.ok(!snippet.includes("'"), "the snippet needs no single quotes");
  for (const shell of ["bash", "dash", "fish"]) {
    const path = ["/bin/" + shell, "/usr/bin/" + shell].find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
    if (!path) {
      if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") {
        throw new Error(`${shell} is not installed`);
      }
      console.log(`skipped: ${shell} is not installed (apt-get install ${shell})`);
      continue;
    }
    const out = await new Deno.Command(path, { args: ["-c", remoteCommand(["/nope"], "x")] })
      .output();
    assert.equal(out.code, 127, shell);
  }
});
