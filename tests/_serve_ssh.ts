/** sockhop's built-in SSH server started for a test, and OpenSSH's client words to reach it. */

import { type RunResult, runSockhop, type ServeProcess, startServe } from "./_cli.ts";
import { keygen } from "./_sshd.ts";

/** The local user, who logs in to a server a test started. */
export const USER = Deno.env.get("USER") ?? "root";

/** A fresh client key `${dir}/client`, the only line of `authorizedKeys`; returns its path. */
export async function authorizeClientKey(
  dir: string,
  authorizedKeys = `${dir}/authorized_keys`,
): Promise<string> {
  const key = `${dir}/client`;
  await Deno.writeTextFile(authorizedKeys, (await keygen(key)) + "\n");
  return key;
}

/** `password` hashed by `sockhop passwd` into `${dir}/passwords`, for --password-hashes. */
export async function hashPasswordFile(
  dir: string,
  env: Record<string, string>,
  password = `pw-${crypto.randomUUID()}`,
): Promise<string> {
  const r = await runSockhop(["passwd", `--password-hashes=${dir}/passwords`], {
    env,
    stdin: new TextEncoder().encode(password + "\n"),
  });
  if (r.code !== 0) throw new Error(`sockhop passwd failed:\n${r.stderr}`);
  return password;
}

/** A host key of `type` from ssh-keygen at `path`; returns its public "TYPE BASE64". */
export async function hostKeyLine(path: string, type: "ed25519" | "rsa"): Promise<string> {
  const bits = type === "rsa" ? ["-b", "3072"] : [];
  const out = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", type, ...bits, "-N", "", "-f", path],
  }).output();
  if (out.code !== 0) throw new Error(`ssh-keygen -t ${type} failed`);
  return (await Deno.readTextFile(`${path}.pub`)).split(" ").slice(0, 2).join(" ");
}

/** The port `server` logged for its `kind` listener on 127.0.0.1. */
export function servePort(server: ServeProcess, kind: "ssh" | "tcp" = "ssh"): number {
  const port = new RegExp(`listening on ${kind}:127\\.0\\.0\\.1:(\\d+)`).exec(server.log())?.[1];
  if (!port) throw new Error(`No ${kind} port in the log of sockhop serve:\n${server.log()}`);
  return Number(port);
}

/**
 * `sockhop serve --bind-ssh=127.0.0.1:0 --authorized-keys=AUTHORIZED_KEYS ARGS`, and the port
 * it listens on.
 */
export async function startSshServe(
  authorizedKeys: string,
  args: string[],
  env: Record<string, string>,
): Promise<ServeProcess & { port: number }> {
  const server = await startServe([
    "--bind-ssh=127.0.0.1:0",
    `--authorized-keys=${authorizedKeys}`,
    ...args,
  ], env);
  try {
    return Object.assign(server, { port: servePort(server) });
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * sockhop's built-in client straight to `socket` on the server at `port` (direct-streamlocal),
 * logging in as USER with `key`, any host key taken.
 */
export function connectToSocket(
  port: number | string,
  key: string,
  socket: string,
  env: Record<string, string>,
): Promise<RunResult> {
  return runSockhop([
    "connect",
    `ssh://${USER}@127.0.0.1:${port}/`,
    ...throwawayNativeWords(key),
    `--remote-socket=${socket}`,
  ], { env });
}

/**
 * ssh's own options for a throwaway server: no user config, any host key taken and none kept,
 * no questions (for `sockhop ssh` as for ssh).
 */
export const ANY_HOST_KEY_OPTIONS: readonly string[] = [
  "-F",
  "none",
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "BatchMode=yes",
];

/** The built-in client's words for a throwaway server, as ssh's own options. */
export const NATIVE_ANY_HOST_KEY: readonly string[] = ["--ssh=native", ...ANY_HOST_KEY_OPTIONS];

/** The built-in client's words for a server a test started: no config, `key`, any host key. */
export function throwawayNativeWords(key: string): string[] {
  return ["--ssh=native", "-F", "none", "-i", key, "--insecure-accept-any-host-key"];
}

/**
 * OpenSSH's ssh words for a server a test started: no user config, only `key`, no questions.
 * Without `knownHosts` any host key is taken and none kept (a throwaway server; LogLevel=ERROR
 * quiets the warning that it was added); with it, only the keys in that file, checked strictly.
 * `options` are more -o options; `user` ends the words with `USER@127.0.0.1`.
 */
export function opensshWords(
  key: string,
  opts: { knownHosts?: string; options?: string[]; port?: number | string; user?: string } = {},
): string[] {
  const hostKeys = opts.knownHosts
    ? [`UserKnownHostsFile=${opts.knownHosts}`, "StrictHostKeyChecking=yes", "BatchMode=yes"]
    : [
      "UserKnownHostsFile=/dev/null",
      "StrictHostKeyChecking=no",
      "BatchMode=yes",
      "LogLevel=ERROR",
    ];
  return [
    "-F",
    "/dev/null",
    "-i",
    key,
    ...["IdentitiesOnly=yes", ...hostKeys, ...(opts.options ?? [])].flatMap((o) => ["-o", o]),
    ...(opts.port === undefined ? [] : ["-p", String(opts.port)]),
    ...(opts.user === undefined ? [] : [`${opts.user}@127.0.0.1`]),
  ];
}
