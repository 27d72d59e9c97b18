/** The built-in client's host key checks, each alone and as a route's policy picks them. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { HostKeyError, readKnownHosts } from "../lib/known_hosts.ts";
import { fingerprint } from "../lib/public_keys.ts";
import type { Logger } from "../lib/logger.ts";
import {
  hostKeyCallback,
  hostVerifier,
  insecureAcceptAnyHostKey,
  knownHostsCheck,
  pinnedHostKey,
} from "../lib/native_host_key.ts";
import type { Prompter } from "../lib/prompt.ts";
import { resolveSshConfig } from "../lib/ssh_config.ts";
import { tempDir } from "./_cli.ts";

/** An ed25519 public key blob as the wire carries it (any 32 bytes will do for a check). */
function keyBlob(): Uint8Array {
  const type = new TextEncoder().encode("ssh-ed25519");
  const out = new Uint8Array(4 + type.length + 4 + 32);
  const view = new DataView(out.buffer);
  view.setUint32(0, type.length);
  out.set(type, 4);
  view.setUint32(4 + type.length, 32);
  out.set(randomBytes(32), 8 + type.length);
  return out;
}

function line(name: string, blob: Uint8Array): string {
  return `${name} ssh-ed25519 ${Buffer.from(blob).toString("base64")}\n`;
}

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (c, m) => lines.push(`[${c}] ${m}`),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debugOn: () => true,
  };
}

/** Answers in turn, and records each question. */
function scriptedPrompter(answers: string[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ask(question) {
      asked.push(question);
      const answer = answers.shift();
      return answer === undefined
        ? Promise.reject(new Error("asked once too often"))
        : Promise.resolve(answer);
    },
  };
}

function configFor(file: string, options: string[] = [], port = 22) {
  return resolveSshConfig({
    host: "db",
    port,
    configFile: "none",
    options: [`UserKnownHostsFile=${file}`, "GlobalKnownHostsFile=none", ...options],
    env: { home: "/nonexistent", localUser: "me" },
  }).config;
}

Deno.test("pinned: that fingerprint only, with or without its padding", async () => {
  const key = keyBlob();
  const other = keyBlob();
  const logger = memoryLogger();
  await pinnedHostKey(fingerprint(key), "db", logger)(key);
  await pinnedHostKey(`${fingerprint(key)}=`, "db", logger)(key);
  await assert.rejects(
    pinnedHostKey(fingerprint(key), "db", logger)(other),
    /The host key of db is ED25519 SHA256:.*, not the pinned SHA256:.*: check the fingerprint/,
  );
});

Deno.test("accept-any: every key, with a warning at every use", async () => {
  const logger = memoryLogger();
  const check = insecureAcceptAnyHostKey("db", logger);
  await check(keyBlob());
  await check(keyBlob());
  assert.equal(logger.lines.filter((l) => l.includes("without checking it")).length, 2);
});

Deno.test("known_hosts: known accepted, changed refused, unknown as StrictHostKeyChecking says", async () => {
  await using dir = await tempDir();
  const file = `${dir}/known_hosts`;
  const key = keyBlob();
  await Deno.writeTextFile(file, line("db", key));
  const never = scriptedPrompter([]);
  const check = (cfg: ReturnType<typeof configFor>) =>
    knownHostsCheck(cfg, readKnownHosts([file]), never, memoryLogger());
  await check(configFor(file))(key);
  const changed = await check(configFor(file))(keyBlob()).catch((e) => e);
  assert.ok(changed instanceof HostKeyError);
  assert.equal(changed.result.status, "changed");
  assert.equal(changed.code, "host-key-changed");
  // Another port: unknown; refused under yes and under ask with BatchMode, never asked.
  for (const options of [["StrictHostKeyChecking=yes"], ["BatchMode=yes"]]) {
    const unknown = await check(configFor(file, options, 2222))(keyBlob()).catch((e) => e);
    assert.ok(unknown instanceof HostKeyError);
    assert.equal(unknown.result.status, "unknown");
  }
  assert.deepEqual(never.asked, []);
});

Deno.test("known_hosts: accept-new appends; ask appends on yes, refuses on no, asks again on junk", async () => {
  await using dir = await tempDir();
  const file = `${dir}/known_hosts`;
  const logger = memoryLogger();
  const fresh = keyBlob();
  await knownHostsCheck(
    configFor(file, ["StrictHostKeyChecking=accept-new"]),
    readKnownHosts([file]),
    scriptedPrompter([]),
    logger,
  )(fresh);
  assert.equal(await Deno.readTextFile(file), line("db", fresh));
  assert.ok(logger.lines.some((l) => l.startsWith("Permanently added db (ED25519 SHA256:")));

  const asked = keyBlob();
  const yes = scriptedPrompter(["maybe", "yes"]);
  await knownHostsCheck(configFor(file, [], 2200), readKnownHosts([file]), yes, logger)(asked);
  assert.equal(yes.asked.length, 2);
  assert.match(yes.asked[1]!, /Please type 'yes', 'no' or the fingerprint/);
  assert.ok((await Deno.readTextFile(file)).endsWith(line("[db]:2200", asked)));

  const before = await Deno.readTextFile(file);
  for (const answer of ["", "no"]) {
    const refused = await knownHostsCheck(
      configFor(file, [], 2201),
      readKnownHosts([file]),
      scriptedPrompter([answer]),
      logger,
    )(keyBlob()).catch((e) => e);
    assert.ok(refused instanceof HostKeyError);
  }
  assert.equal(await Deno.readTextFile(file), before);
});

Deno.test("policy: each kind picks its check; the verifier keeps the reason for ssh2", async () => {
  await using dir = await tempDir();
  const file = `${dir}/known_hosts`;
  const key = keyBlob();
  const cfg = configFor(file, ["StrictHostKeyChecking=yes"]);
  const known = readKnownHosts([file]);
  const pick = (policy: Parameters<typeof hostKeyCallback>[0]) =>
    hostVerifier(hostKeyCallback(policy, cfg, known, scriptedPrompter([]), memoryLogger()));
  assert.equal(await pick({ kind: "insecure-accept-any" }).verify(key), true);
  assert.equal(await pick({ kind: "pinned", fingerprint: fingerprint(key) }).verify(key), true);
  const strict = pick({ kind: "known-hosts" });
  assert.equal(await strict.verify(key), false);
  assert.ok(strict.failure() instanceof HostKeyError);
  const pinned = pick({ kind: "pinned", fingerprint: fingerprint(keyBlob()) });
  assert.equal(pinned.failure(), undefined);
  assert.equal(await pinned.verify(key), false);
  assert.match(pinned.failure()!.message, /not the pinned/);
});
