/**
 * The built-in client's authentication steps, driven as ssh2 drives them: each call of the
 * handler is answered with the next method to try, the server's list of methods left narrows
 * what comes next, and one message at the end says what was tried.
 */

import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { silentLogger } from "../lib/logger.ts";
import { type AuthInput, nativeAuth } from "../lib/native_auth.ts";
import { CannotAskError, type Prompter } from "../lib/prompt.ts";
import { resolveSshConfig } from "../lib/ssh_config.ts";
import { tempDir } from "./_cli.ts";
import { keygen, requirePeer } from "./_sshd.ts";

type Step = { type: string; [k: string]: unknown } | false;

/** The next step the handler gives, with the server's methods left (null on the first call). */
function next(auth: ReturnType<typeof nativeAuth>, methodsLeft: string[] | null): Promise<Step> {
  return new Promise((resolve) => {
    auth.handler(
      methodsLeft as ssh2.AuthenticationType[],
      false,
      ((step: Step) => resolve(step)) as unknown as ssh2.NextAuthHandler,
    );
  });
}

const noQuestions: Prompter = {
  ask: (q) =>
    Promise.reject(new CannotAskError(q, "under BatchMode", "Cannot ask under BatchMode")),
};

function input(options: string[], more: Partial<AuthInput> = {}): AuthInput {
  return {
    config: resolveSshConfig({
      host: "db",
      user: "alice",
      configFile: "none",
      options,
      env: { home: "/nonexistent", localUser: "alice" },
    }).config,
    extraKeys: [],
    prompter: noQuestions,
    logger: silentLogger,
    env: { get: () => undefined },
    home: "/nonexistent",
    ...more,
  };
}

Deno.test("auth: none, then the agent's keys, the key, keyboard-interactive, the given password", async () => {
  if (!requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir();
  await keygen(`${dir}/id`);
  const auth = nativeAuth(input([], {
    extraKeys: [`${dir}/id`],
    password: "s3cret",
    env: { get: (k) => (k === "SSH_AUTH_SOCK" ? "/run/agent.sock" : undefined) },
  }));
  const all = ["publickey", "keyboard-interactive", "password"];
  const types: string[] = [];
  for (let step = await next(auth, null); step; step = await next(auth, all)) {
    types.push(step.type);
    if (step.type === "password") assert.equal(step.password, "s3cret");
    assert.equal(step.username, "alice");
  }
  // The agent is asked for its keys first; one that is not there has none to offer.
  assert.deepEqual(types, ["none", "publickey", "keyboard-interactive", "password"]);
  assert.match(
    auth.failure().message,
    /^Authentication failed for alice@db \(tried none, the agent \(.*\), key .*\/id, keyboard-interactive, password; the server allows publickey,keyboard-interactive,password\): the password was refused: check the user name and the password \(--password-file\)$/,
  );
});

Deno.test("auth: the server's methods left narrow what is tried; IdentitiesOnly keeps the agent out", async () => {
  const auth = nativeAuth(input(["IdentitiesOnly=yes", "IdentityFile=/nonexistent/id"], {
    password: "pw",
    env: { get: (k) => (k === "SSH_AUTH_SOCK" ? "/run/agent.sock" : undefined) },
  }));
  assert.equal((await next(auth, null) as { type: string }).type, "none");
  // publickey is allowed, but the one key named is missing and the agent may not be used.
  const step = await next(auth, ["publickey", "password"]);
  assert.deepEqual(step, { type: "password", username: "alice", password: "pw" });
  assert.equal(await next(auth, ["password"]), false);
});

Deno.test("auth: a question nobody can answer ends it with that reason", async () => {
  const auth = nativeAuth(input(["PreferredAuthentications=password"]));
  assert.equal((await next(auth, null) as { type: string }).type, "none");
  assert.equal(await next(auth, ["password"]), false);
  // What was tried, why it stopped, and the fix, in one line.
  assert.equal(
    auth.failure().message,
    `Authentication failed for alice@db (tried none; the server allows password): cannot ask ` +
      `"alice@db's password:" (under BatchMode): give a key the server accepts (-i KEY, its ` +
      `public key in the server's authorized_keys) or a password (--password-file=FILE), or ` +
      `run on a terminal`,
  );
});

Deno.test("auth: a key that cannot sign or an unusable agent is not the end", () => {
  const auth = nativeAuth(input([]));
  const err = (message: string, level: string) => Object.assign(new Error(message), { level });
  assert.equal(auth.isNonFatal(err("agent refused", "agent")), true);
  assert.equal(auth.isNonFatal(err("Error signing data", "client-authentication")), true);
  assert.equal(
    auth.isNonFatal(err("All configured methods failed", "client-authentication")),
    false,
  );
  assert.equal(auth.isNonFatal(err("Connection lost", "client-socket")), false);
});
