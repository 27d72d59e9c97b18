import assert from "node:assert/strict";
import {
  DEFAULT_REMOTE_SOCKHOP,
  remoteCommand,
  remoteSnippet,
  remoteSockhopCommand,
} from "../lib/remote_command.ts";
import { parseLifecycleCommand } from "../lib/ssh_server_exec.ts";
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

Deno.test("remote command: the defaults find a binary under its release name, by uname -sm", async () => {
  const cases: [string, string][] = [
    ["Linux x86_64", "linux-x64"],
    ["Linux aarch64", "linux-arm64"],
    ["Darwin x86_64", "macos-x64"],
    ["Darwin arm64", "macos-arm64"],
  ];
  for (const [uname, platform] of cases) {
    for (const where of ["path", "home", "elsewhere"] as const) {
      await using dir = await tempDir();
      await Deno.mkdir(`${dir}/fake`);
      await Deno.mkdir(`${dir}/.local/bin`, { recursive: true });
      await Deno.writeTextFile(`${dir}/fake/uname`, `#!/bin/sh\necho "${uname}"\n`, {
        mode: 0o755,
      });
      const named = `sockhop-${platform}`;
      const at = where === "path" ? `${dir}/fake/${named}` : `${dir}/.local/bin/${named}`;
      // Binaries of the other platforms are there too, and must not be picked.
      for (const [, other] of cases) {
        const file = at.replace(named, `sockhop-${other}`);
        const run = other === platform && where !== "elsewhere" ? "ran" : "wrong";
        await Deno.writeTextFile(file, `#!/bin/sh\necho "${run} $0 $*"\n`, { mode: 0o755 });
      }
      const r = await sh(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db"), {
        HOME: dir,
        PATH: `${dir}/fake:/usr/bin:/bin`,
      });
      if (where === "elsewhere") {
        // Only the other platforms' binaries in ~/.local/bin: not found, and it says what it
        // looked for under this platform's name.
        await Deno.remove(`${dir}/.local/bin/${named}`);
        const none = await sh(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db"), {
          HOME: dir,
          PATH: `${dir}/fake:/usr/bin:/bin`,
        });
        assert.equal(none.code, 127, `${uname}: ${none.stdout}`);
        assert.ok(none.stdout.includes(`${dir}/.local/bin/sockhop-${platform}`), none.stdout);
        continue;
      }
      assert.equal(r.stdout, `ran ${at} _proxy db\n`, `${uname}, ${where}`);
      assert.equal(r.code, 0);
    }
  }
});

Deno.test("remote command: an unknown platform matches no release name; plain sockhop first", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir}/fake`);
  await Deno.writeTextFile(`${dir}/fake/uname`, `#!/bin/sh\necho "SunOS sun4v"\n`, {
    mode: 0o755,
  });
  for (const name of ["sockhop-unknown", "sockhop-", "sockhop-linux-x64"]) {
    await Deno.writeTextFile(`${dir}/fake/${name}`, `#!/bin/sh\necho "wrong $0"\n`, {
      mode: 0o755,
    });
  }
  const env = { HOME: dir, PATH: `${dir}/fake:/usr/bin:/bin` };
  const missing = await sh(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db"), env);
  assert.equal(missing.code, 127, missing.stdout);
  await Deno.writeTextFile(`${dir}/fake/sockhop`, `#!/bin/sh\necho "ran $0 $*"\n`, {
    mode: 0o755,
  });
  const plain = await sh(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db"), env);
  assert.equal(plain.stdout, `ran ${dir}/fake/sockhop _proxy db\n`);
});

Deno.test("remote command: no uname call unless a candidate names $SOCKHOP_PLATFORM", () => {
  assert.ok(!remoteSnippet(["sockhop", "$HOME/bin/sockhop"], "db").includes("uname"));
  assert.ok(remoteSnippet(["/opt/sockhop-${SOCKHOP_PLATFORM}"], "db").includes("uname -sm"));
});

Deno.test("remote command: start/stop run through the same snippet, every argument as given, and the built-in server reads them back", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(`${dir}/bin/sockhop`, `#!/bin/sh\nprintf '[%s]' "$@"\n`, {
    mode: 0o755,
  });
  const args = ["_start", "db", "--start-id=x1", "--", "exec:sh", "-c", "a 'b'; $HOME \"c\""];
  const cmd = remoteSockhopCommand(["nonexistent-xyz", "$HOME/bin/sockhop"], args);
  const r = await sh(cmd, { HOME: dir, PATH: "/usr/bin:/bin" });
  assert.equal(r.stdout, args.map((a) => `[${a}]`).join(""));
  for (const shell of ["fish", "bash"]) {
    if (!new Deno.Command("sh", { args: ["-c", `command -v ${shell}`] }).outputSync().success) {
      continue;
    }
    // Whatever the login shell, it hands the words to sh as they are.
    const out = await new Deno.Command(shell, {
      args: ["-c", cmd],
      env: { HOME: dir, PATH: "/usr/bin:/bin" },
      clearEnv: true,
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), r.stdout, shell);
  }
  assert.deepEqual(parseLifecycleCommand(cmd), { command: "_start", args: args.slice(1) });
  assert.deepEqual(
    parseLifecycleCommand(remoteSockhopCommand(DEFAULT_REMOTE_SOCKHOP, ["_stop", "db"])),
    { command: "_stop", args: ["db"] },
  );
  assert.equal(parseLifecycleCommand("sh -c 'rm -rf /' sockhop _start db"), undefined);
  assert.equal(parseLifecycleCommand(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "db")), undefined);
});

Deno.test("remote command: forward's mux mode asks _proxy for it, and has no xpra fallback", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(`${dir}/bin/sockhop`, `#!/bin/sh\necho "ran $*"\n`, { mode: 0o755 });
  await Deno.writeTextFile(`${dir}/bin/xpra`, `#!/bin/sh\necho "xpra $*"\n`, { mode: 0o755 });
  const env = { HOME: dir, PATH: `${dir}/bin:/usr/bin:/bin` };
  const found = await sh(remoteCommand(["sockhop"], "db", "mux"), env);
  assert.equal(found.stdout, "ran _proxy --mux db\n");
  const mux = await sh(remoteCommand(["/nope/sockhop"], ":100", "mux"), env);
  assert.equal(mux.code, 127);
  assert.match(mux.stdout, /^SOCKHOP\/1 ERR sockhop was not found/);
});
