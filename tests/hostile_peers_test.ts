/**
 * Text and work that come from a hostile peer, across modules: escape sequences from a server's
 * banner and keyboard-interactive questions, or echoed by a service into serve's log, never
 * reach the terminal raw; keyboard-interactive that never ends is given up.
 */

import assert from "node:assert/strict";
import { runWithOpenStdin, startServe, tempDir, testEnv } from "./_cli.ts";
import { runSockhop } from "./_cli.ts";
import { haveAsyncssh, HOSTILE, startHostileServer } from "./_hostile_ssh.ts";

// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** An askpass that records each question (one per line, as JSON) and answers "123456". */
async function recordingAskpass(dir: string): Promise<string> {
  const path = `${dir}/askpass`;
  await Deno.writeTextFile(
    path,
    `#!/usr/bin/python3\nimport json, sys\nopen("${dir}/asked", "a").write(json.dumps(sys.argv[1]) + "\\n")\nprint("123456")\n`,
    { mode: 0o755 },
  );
  return path;
}

function asked(dir: string): string[] {
  try {
    return Deno.readTextFileSync(`${dir}/asked`).trim().split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    );
  } catch {
    return [];
  }
}

function clientArgs(port: number, ...more: string[]): string[] {
  return [
    "connect",
    `ssh://someone@127.0.0.1:${port}/x`,
    "--ssh=native",
    "-F",
    "none",
    "--insecure-accept-any-host-key",
    "-o",
    "PreferredAuthentications=keyboard-interactive",
    ...more,
  ];
}

Deno.test("hostile peers: a server's banner and questions reach the terminal and askpass without escape sequences, newlines kept", async () => {
  if (!haveAsyncssh()) return;
  await using dir = await tempDir();
  await using server = await startHostileServer(dir, "once");
  const askpass = await recordingAskpass(dir);
  const env = testEnv(`${dir}/s`, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" });
  const r = await runWithOpenStdin(clientArgs(server.port), env, 60000);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, RAW, JSON.stringify(r.stderr));
  assert.match(r.stderr, /sockhop: Welcome to here\nsecond line31m\n/);
  const questions = asked(dir);
  assert.ok(questions.length >= 1, r.stderr);
  for (const q of questions) {
    assert.doesNotMatch(q, RAW, JSON.stringify(q));
    assert.equal(q, "Read this\nCode: ");
  }
  assert.notEqual(HOSTILE.prompt, "Code: ");
});

Deno.test("hostile peers: keyboard-interactive that asks for ever is given up after a bounded number of rounds", async () => {
  if (!haveAsyncssh()) return;
  await using dir = await tempDir();
  for (const mode of ["forever", "empty"] as const) {
    await using server = await startHostileServer(dir, mode);
    const askpass = await recordingAskpass(dir);
    const env = testEnv(`${dir}/s`, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" });
    const r = await runWithOpenStdin(clientArgs(server.port), env, 60000);
    assert.equal(r.code, 1, `${mode}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /127\.0\.0\.1 asked keyboard-interactive questions 20 times without an end: given up/,
    );
    const rounds = server.log().match(/round \d+/g)?.length ?? 0;
    assert.ok(rounds <= 20, `${mode}: ${rounds} rounds answered`);
    await Deno.remove(`${dir}/asked`).catch(() => {});
  }
});

Deno.test("hostile peers: a question nobody can answer (BatchMode) is answered empty once, then the login ends", async () => {
  if (!haveAsyncssh()) return;
  await using dir = await tempDir();
  await using server = await startHostileServer(dir, "forever");
  const r = await runWithOpenStdin(
    clientArgs(server.port, "-o", "BatchMode=yes"),
    testEnv(`${dir}/s`),
    60000,
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Cannot ask "Read this" under BatchMode/);
  assert.equal(server.log().match(/round \d+/g)?.length, 1, server.log());
});

Deno.test("hostile peers: what a client sends that a service echoes on stderr reaches serve's log cleaned", async () => {
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`);
  await using server = await startServe(["echo", "exec:sh", "-c", "cat >&2"], env);
  const r = await runSockhop(["connect", "echo"], {
    env,
    stdin: new TextEncoder().encode("one\x1b]0;pwned\x07\x1b[2J two\r\nthree\n"),
  });
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 200 && !server.log().includes("three"); i++) {
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.match(server.log(), /\[sh\] one two\n.*\[sh\] three\n/);
  assert.doesNotMatch(server.log(), RAW);
});

Deno.test("hostile peers: text printed on stdout (--print-config of a config value) carries no escape sequence", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir}/config`, "Host *\n  RemoteCommand a\x1b]0;title\x07\x1b[2Jb\n");
  const r = await runSockhop(
    ["connect", "ssh://h/x", "--ssh=native", "-F", `${dir}/config`, "--print-config"],
    { env: testEnv(`${dir}/s`) },
  );
  assert.equal(r.code, 0, r.stderr);
  const text = new TextDecoder().decode(r.stdout);
  assert.match(text, /^remotecommand ab$/m);
  assert.doesNotMatch(text, RAW);
});
