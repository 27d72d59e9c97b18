/** What the docs promise about running the tests, checked against what CI does. */

import assert from "node:assert/strict";
import { startServe, tempDir, testEnv } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { authorizeClientKey } from "./_serve_ssh.ts";

const root = new URL("../", import.meta.url);

Deno.test("readme: the tests' apt-get line (docs/testing.md) lists every package .ci/run installs", async () => {
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  const readme = await Deno.readTextFile(new URL("docs/testing.md", root));
  // `for pair in BIN:PACKAGE ...; do` and `need_apt+=(PACKAGE)`.
  const pairs = /for pair in ([^;]+);/.exec(ci)?.[1] ?? "";
  const wanted = new Set([
    ...pairs.split(/\s+/).filter((w) => w.includes(":")).map((w) => w.split(":")[1]!),
    ...[...ci.matchAll(/need_apt\+=\(([a-z0-9.+-]+)\)/g)].map((m) => m[1]!),
  ]);
  assert.ok(wanted.size >= 10, `.ci/run no longer reads as expected: ${[...wanted]}`);
  const line = /apt-get install ((?:[^\n]*\\\n)*[^\n]*)/.exec(readme)?.[1] ?? "";
  const listed = new Set(line.split(/[\s\\`;]+/).filter(Boolean));
  assert.deepEqual([...wanted].filter((p) => !listed.has(p)), []);
});

Deno.test("readme: every link of README.md and docs/ to a file of the repo finds it, and its heading", async () => {
  const pages = [
    "README.md",
    ...[...Deno.readDirSync(new URL("docs/", root))]
      .filter((e) => e.isFile && e.name.endsWith(".md")).map((e) => `docs/${e.name}`),
  ];
  const broken: string[] = [];
  for (const page of pages) {
    const text = await Deno.readTextFile(new URL(page, root));
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [path, anchor] = m[1]!.split("#") as [string, string | undefined];
      if (/^[a-z]+:/.test(path)) continue; // a web address
      const target = path ? new URL(path, new URL(page, root)) : new URL(page, root);
      const body = await Deno.readTextFile(target).catch(() => undefined);
      if (body === undefined) {
        broken.push(`${page}: ${m[1]} (no such file)`);
      } else if (anchor && !_slugs(body).has(anchor)) {
        broken.push(`${page}: ${m[1]} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

/** The anchors GitHub makes of a markdown file's headings. */
function _slugs(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#+\s+(.*)$/gm)].map((m) =>
      m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")
    ),
  );
}

Deno.test("readme: README.md is a newcomer's page of at most 300 lines", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const lines = readme.split("\n").length - (readme.endsWith("\n") ? 1 : 0);
  assert.ok(lines <= 300, `README.md has ${lines} lines: move reference material to docs/`);
});

/** The fenced block of `lang` that comes first after `after` in docs/serve.md. */
async function docsBlock(after: string, lang: string): Promise<string> {
  const text = await Deno.readTextFile(new URL("docs/serve.md", root));
  const from = text.indexOf(after);
  assert.ok(from >= 0, `docs/serve.md has no ${JSON.stringify(after)}`);
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(text.slice(from));
  assert.ok(m, `docs/serve.md has no ${lang} block after ${JSON.stringify(after)}`);
  return m[1]!;
}

Deno.test("docs/serve.md: the systemd user unit passes systemd-analyze verify", async () => {
  if (!requirePeer("systemd-analyze", "systemd-analyze", "systemd")) return;
  await using dir = await tempDir();
  const unit = await docsBlock("as a systemd user unit", "ini");
  assert.match(unit, /^ExecStart=%h\/\.local\/bin\/sockhop serve --bind-ssh=\S+$/m);
  // Where the README installs sockhop, an executable (system mode: no user manager needed).
  const program = `${dir}/sockhop`;
  await Deno.writeTextFile(program, "#!/bin/sh\n", { mode: 0o755 });
  await Deno.chmod(program, 0o755);
  const file = `${dir}/sockhop-gateway.service`;
  await Deno.writeTextFile(file, unit.replace("%h/.local/bin/sockhop", program));
  const out = await new Deno.Command("systemd-analyze", {
    args: ["verify", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, said);
  assert.doesNotMatch(said, /sockhop-gateway/, said);
  // And sockhop takes its arguments (on a free loopback port here).
  const args = /ExecStart=\S+ (.*)$/m.exec(unit)![1]!.split(" ");
  await using s = await startServe(
    args.slice(1).map((a) => a.replace(/^--bind-ssh=.*/, "--bind-ssh=127.0.0.1:0")),
    await _loginHome(dir),
  );
  assert.match(s.log(), /listening on ssh:127\.0\.0\.1:\d+/);
});

Deno.test("docs/serve.md: the Windows scheduled task runs a serve line sockhop takes, logging to its file", async () => {
  await using dir = await tempDir();
  const block = await docsBlock("a scheduled task that starts at logon", "bat");
  // schtasks /TR "\"PROGRAM\" ARGS": the program quoted, then serve's arguments.
  const tr = /\/TR "\\"([^"]+?)\\" ([^"]+)"/.exec(block);
  assert.ok(tr, block);
  assert.match(tr[1]!, /\\sockhop\.exe$/);
  const args = tr[2]!.split(" ");
  assert.equal(args[0], "serve");
  const log = `${dir}/gateway.log`;
  await using _s = await startServe(
    args.slice(1).map((a) =>
      a.replace(/^--bind-ssh=.*/, "--bind-ssh=127.0.0.1:0").replace(
        /^--log-file=.*/,
        `--log-file=${log}`,
      )
    ),
    await _loginHome(dir),
    { ready: async () => /listening on ssh:/.test(await Deno.readTextFile(log).catch(() => "")) },
  );
  assert.match(await Deno.readTextFile(log), /^\d{4}-\d\d-\d\dT\S+Z sockhop: listening on ssh:/m);
});

/** A home whose authorized_keys lets one key in, as a gateway needs a way to log in. */
async function _loginHome(dir: string): Promise<Record<string, string>> {
  await Deno.mkdir(`${dir}/home/.ssh`, { recursive: true, mode: 0o700 });
  await authorizeClientKey(dir, `${dir}/home/.ssh/authorized_keys`);
  return testEnv(`${dir}/s`, { HOME: `${dir}/home`, XDG_CONFIG_HOME: `${dir}/config` });
}
