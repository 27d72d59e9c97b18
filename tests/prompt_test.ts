/**
 * Questions on a terminal and through SSH_ASKPASS, with the platform injected: which files are
 * opened and how (Windows: CONIN$ read-write and CONOUT$), how echo goes off (no cbreak on
 * Windows), and how a console's CR LF ends an answer. SSH_ASKPASS runs for real.
 */

import assert from "node:assert/strict";
import {
  askpassArgv,
  makePrompter,
  openControllingTerminal,
  type Terminal,
} from "../lib/prompt.ts";
import { SockhopError } from "../lib/errors.ts";
import { tempDir } from "./_cli.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A terminal whose keyboard is `typed`, recording what was shown and every setRaw. */
function fakeTerminal(typed: string, cbreak: boolean, rawFails = false) {
  const input = enc.encode(typed);
  let at = 0;
  const shown: string[] = [];
  const raw: [boolean, boolean | undefined][] = [];
  let closed = 0;
  const tty: Terminal = {
    cbreak,
    input: {
      read(buf: Uint8Array) {
        if (at >= input.length) return Promise.resolve(null);
        buf[0] = input[at++]!;
        return Promise.resolve(1);
      },
      setRaw(mode: boolean, options?: { cbreak: boolean }) {
        if (rawFails && mode) throw new Deno.errors.NotSupported("raw mode");
        raw.push([mode, options?.cbreak]);
      },
    },
    output: {
      write(data: Uint8Array) {
        shown.push(dec.decode(data));
        return Promise.resolve(data.length);
      },
    },
    close() {
      closed++;
    },
  };
  return { tty, shown, raw, closed: () => closed, left: () => dec.decode(input.subarray(at)) };
}

function env(vars: Record<string, string>) {
  return { get: (k: string) => vars[k] };
}

Deno.test("prompt: Windows opens CONIN$ read-write and CONOUT$; unix one /dev/tty", () => {
  for (const os of ["windows", "linux", "darwin"] as const) {
    const opened: [string, Deno.OpenOptions][] = [];
    let closes = 0;
    const fakeOpen = (path: string, options: Deno.OpenOptions) => {
      opened.push([path, options]);
      return { isTerminal: () => true, close: () => void closes++ } as unknown as Deno.FsFile;
    };
    const tty = openControllingTerminal(os, fakeOpen);
    assert.ok(tty, os);
    if (os === "windows") {
      assert.deepEqual(opened, [
        ["\\\\.\\CONIN$", { read: true, write: true }],
        ["\\\\.\\CONOUT$", { read: true, write: true }],
      ]);
      assert.notEqual(tty.input, tty.output);
      assert.equal(tty.cbreak, false, "Windows has no cbreak mode");
    } else {
      assert.deepEqual(opened, [["/dev/tty", { read: true, write: true }]]);
      assert.equal(tty.input, tty.output);
      assert.equal(tty.cbreak, true);
    }
    tty.close();
    assert.equal(closes, os === "windows" ? 2 : 1, `${os}: every handle closed once`);
  }
});

Deno.test("prompt: no terminal (open fails, or not a terminal) is undefined, nothing left open", () => {
  const failing = () => {
    throw new Deno.errors.NotFound("no console");
  };
  assert.equal(openControllingTerminal("windows", failing), undefined);
  let closed = 0;
  const notTty = () =>
    ({ isTerminal: () => false, close: () => void closed++ }) as unknown as Deno.FsFile;
  assert.equal(openControllingTerminal("linux", notTty), undefined);
  assert.equal(closed, 1);
});

Deno.test("prompt: a secret on a Windows console: raw without cbreak, CR ends it, shown on CONOUT$", async () => {
  const t = fakeTerminal("pa\bss\rnext", false);
  const prompter = makePrompter({
    batchMode: false,
    env: env({}),
    os: "windows",
    openTerminal: () => t.tty,
  });
  assert.equal(await prompter.ask("Password: ", { secret: true }), "pss");
  assert.deepEqual(t.raw, [[true, false], [false, undefined]]);
  assert.deepEqual(t.shown, ["Password: ", "\n"]);
  assert.equal(t.left(), "next", "nothing read past the answer");
  assert.equal(t.closed(), 1);
});

Deno.test("prompt: unix secrets keep cbreak (Ctrl-C still interrupts)", async () => {
  const t = fakeTerminal("s3cret\r", true);
  const prompter = makePrompter({
    batchMode: false,
    env: env({}),
    os: "linux",
    openTerminal: () => t.tty,
  });
  assert.equal(await prompter.ask("Passphrase: ", { secret: true }), "s3cret");
  assert.deepEqual(t.raw, [[true, true], [false, undefined]]);
});

Deno.test("prompt: a console line ends in CR LF: both consumed, the next question starts clean", async () => {
  const t = fakeTerminal("yes\r\nno\r\n", false);
  const prompter = makePrompter({
    batchMode: false,
    env: env({}),
    os: "windows",
    openTerminal: () => t.tty,
  });
  assert.equal(await prompter.ask("Trust it (yes/no)? ", { secret: false }), "yes");
  assert.equal(await prompter.ask("Sure? ", { secret: false }), "no");
  assert.deepEqual(t.raw, [], "a visible answer leaves the console as it is");
});

Deno.test("prompt: Ctrl-C in Windows raw mode cancels and restores the console", async () => {
  const t = fakeTerminal("ab\x03", false);
  const prompter = makePrompter({
    batchMode: false,
    env: env({}),
    os: "windows",
    openTerminal: () => t.tty,
  });
  await assert.rejects(prompter.ask("Password: ", { secret: true }), /Cancelled at the prompt/);
  assert.deepEqual(t.raw.at(-1), [false, undefined]);
});

Deno.test("prompt: a console that cannot turn echo off refuses, naming SSH_ASKPASS", async () => {
  const t = fakeTerminal("secret\r", false, true);
  const prompter = makePrompter({
    batchMode: false,
    env: env({}),
    os: "windows",
    openTerminal: () => t.tty,
  });
  await assert.rejects(
    prompter.ask("Password: ", { secret: true }),
    (err: unknown) =>
      err instanceof SockhopError && /Cannot turn echo off.*SSH_ASKPASS/.test(err.message),
  );
  assert.equal(t.left(), "secret\r", "nothing was read with echo on");
});

Deno.test("prompt: SSH_ASKPASS answers; on Windows without DISPLAY too, not on unix", async () => {
  await using dir = await tempDir();
  const askpass = `${dir}/askpass`;
  await Deno.writeTextFile(askpass, `#!/bin/sh\necho "answer to: $1"\n`, { mode: 0o755 });
  const noTerminal = () => undefined;
  const ask = (os: typeof Deno.build.os, vars: Record<string, string>) =>
    makePrompter({ batchMode: false, env: env(vars), os, openTerminal: noTerminal })
      .ask("Password: ", { secret: true });
  assert.equal(
    await ask("linux", { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" }),
    "answer to: Password: ",
  );
  assert.equal(
    await ask("linux", { SSH_ASKPASS: askpass, DISPLAY: ":0" }),
    "answer to: Password: ",
  );
  // A Windows desktop has no DISPLAY variable, and its askpass dialog still has a screen.
  assert.equal(await ask("windows", { SSH_ASKPASS: askpass }), "answer to: Password: ");
  await assert.rejects(ask("linux", { SSH_ASKPASS: askpass }), /no terminal and no SSH_ASKPASS/);
  await assert.rejects(
    ask("windows", { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "never" }),
    /no terminal/,
  );
});

Deno.test("prompt: a Windows .cmd askpass goes through cmd.exe with the question quoted", () => {
  assert.deepEqual(askpassArgv("C:\\bin\\ask.exe", 'Say "hi" 100%', "windows"), {
    argv: ["C:\\bin\\ask.exe", 'Say "hi" 100%'],
    verbatim: false,
  });
  assert.deepEqual(askpassArgv("C:\\Program Files\\ask.CMD", 'Say "hi" 100%\n', "windows"), {
    argv: ["cmd.exe", "/d", "/s", "/c", `""C:\\Program Files\\ask.CMD" "Say 'hi' 100' ""`],
    verbatim: true,
  });
  assert.deepEqual(askpassArgv("/usr/bin/ask.cmd", "q", "linux"), {
    argv: ["/usr/bin/ask.cmd", "q"],
    verbatim: false,
  });
});
