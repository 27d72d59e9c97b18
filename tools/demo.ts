/**
 * `deno task demo`: a throwaway session behind sockhop's built-in SSH server on loopback,
 * reached over SSH with the native client as a user would, with what went through and how
 * fast. Throwaway keys; everything it started is stopped and removed at the end.
 */

import { fileURLToPath } from "node:url";
import { generateHostKeyPair } from "../lib/host_keys.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const SIZE = 64 * 1024 * 1024;

function say(text: string) {
  console.log(text);
}

async function sha256(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function sockhop(args: string[], env: Record<string, string>, stdin: "piped" | "null" = "piped") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env,
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

const dir = await Deno.makeTempDir({ prefix: "sockhop-demo-" });
const env = {
  SOCKHOP_SOCKET_DIRS: `${dir}/sessions`,
  SOCKHOP_XPRA_DIRS: `${dir}/xpra`,
  XDG_CONFIG_HOME: `${dir}/config`,
};
let server: Deno.ChildProcess | undefined;
try {
  // A throwaway client key, authorized for this user on the demo server only.
  const pair = generateHostKeyPair("ed25519");
  await Deno.writeTextFile(`${dir}/client_key`, pair.private, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/authorized_keys`, pair.public + "\n");

  say("$ sockhop serve --bind-ssh=127.0.0.1:0 demo exec:sha256sum");
  say("  (a session that hashes what it gets, behind sockhop's own SSH server)");
  server = sockhop(
    [
      "serve",
      "--bind-ssh=127.0.0.1:0",
      `--authorized-keys=${dir}/authorized_keys`,
      "demo",
      "exec:sha256sum",
    ],
    env,
    "null",
  ).spawn();
  const log = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let started = "";
  while (!/listening on ssh:\S+:(\d+)/.test(started)) {
    const r = await log.read();
    if (r.done) throw new Error(`serve did not start:\n${started}`);
    started += r.value;
  }
  const port = /listening on ssh:\S+:(\d+)/.exec(started)![1]!;
  say(started.trim().replace(/^/gm, "  "));

  const list = await sockhop(["list"], env, "null").output();
  say(`$ sockhop list\n${new TextDecoder().decode(list.stdout).trimEnd().replace(/^/gm, "  ")}`);

  const data = new Uint8Array(SIZE);
  for (let off = 0; off < SIZE; off += 65536) {
    crypto.getRandomValues(data.subarray(off, off + 65536));
  }
  const user = Deno.env.get("USER") ?? "root";
  const url = `ssh://${user}@127.0.0.1:${port}/demo`;
  say(`$ head -c 64M /dev/urandom | sockhop connect ${url} --ssh=native -i KEY`);
  const t0 = performance.now();
  const child = sockhop([
    "connect",
    url,
    "--ssh=native",
    "-F",
    "none",
    "-i",
    `${dir}/client_key`,
    "-o",
    `UserKnownHostsFile=${dir}/known_hosts`,
    "-o",
    "StrictHostKeyChecking=accept-new",
  ], env).spawn();
  const writer = child.stdin.getWriter();
  const writing = writer.write(data).then(() => writer.close());
  const [out] = await Promise.all([child.output(), writing]);
  const seconds = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(out.stderr).trim();
  if (err) say(err.replace(/^/gm, "  "));
  const got = new TextDecoder().decode(out.stdout).split(" ")[0];
  const want = await sha256(data);
  say(`  the session says  ${got}`);
  say(`  we sent           ${want}`);
  say(
    `  ${got === want ? "equal" : "DIFFERENT"}: ${SIZE / 1048576} MiB over SSH in ${
      seconds.toFixed(2)
    } s, ${(SIZE / 1e6 / seconds).toFixed(0)} MB/s (handshake and start-up included)`,
  );
  if (got !== want || out.code !== 0) Deno.exitCode = 1;
  server.kill("SIGTERM");
  await server.status;
  await log.cancel();
  await server.stdout.cancel();
  server = undefined;
  say("  server stopped, session socket removed, temp dir removed");
} finally {
  if (server) {
    server.kill("SIGKILL");
    await server.status;
  }
  await Deno.remove(dir, { recursive: true });
}
