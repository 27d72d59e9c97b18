/**
 * The one-file bundle (`deno task bundle`) and a copied source tree, each run as on an
 * air-gapped host: inside a network namespace with loopback only and an empty DENO_DIR.
 * SOCKHOP_BUNDLE (or a .js SOCKHOP_BIN) names a bundle already built; otherwise one is built.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle } from "../tools/bundle.ts";
import { DENO, randomBytes, runSockhop, SOCKHOP, startServe, tempDir, testEnv } from "./_cli.ts";
import { keygen, requirePeer } from "./_sshd.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const dec = new TextDecoder();

/** Whether this process may make network namespaces (root, with unshare, nsenter and ip). */
function canIsolate(): boolean {
  if (!requirePeer("unshare", "unshare", "util-linux")) return false;
  if (!requirePeer("nsenter", "nsenter", "util-linux")) return false;
  if (!requirePeer("ip", "ip", "iproute2")) return false;
  if (Deno.uid() === 0) return true;
  const message = "a network namespace needs root (run the suite as root, as .ci/run does)";
  if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") throw new Error(message);
  console.log(`skipped: ${message}`);
  return false;
}

/** A network namespace with nothing but loopback, kept open until disposed. */
async function offline(): Promise<{ enter: string[] } & AsyncDisposable> {
  // cat holds the namespace and ends when its stdin closes, even if this process dies.
  const holder = new Deno.Command("unshare", {
    args: ["--net", "--", "sh", "-c", "ip link set lo up && echo up && exec cat >/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const first = await reader.read();
  reader.releaseLock();
  const dispose = async () => {
    await holder.stdin.close().catch(() => {});
    await holder.output();
  };
  if (dec.decode(first.value ?? new Uint8Array()).trim() !== "up") {
    await dispose();
    throw new Error("Could not make a network namespace with unshare --net");
  }
  const enter = ["nsenter", `--net=/proc/${holder.pid}/ns/net`, "--"];
  // Only loopback in there: nothing sockhop or deno does can reach a registry.
  const links = await new Deno.Command(enter[0]!, {
    args: [...enter.slice(1), "ip", "-o", "link"],
  }).output();
  const names = dec.decode(links.stdout).split("\n").filter(Boolean).map((l) => l.split(":")[1]!);
  assert.deepEqual(names.map((n) => n.trim()), ["lo"]);
  return { enter, [Symbol.asyncDispose]: dispose };
}

/**
 * In `dir`, with a fresh DENO_DIR: --version, serve with a session and --bind-ssh, list,
 * connect NAME and connect --ssh=native, each carrying 1 MiB there and back.
 */
async function airGapped(argv: string[], dir: string, cwd: string) {
  await Deno.mkdir(`${dir}/deno`);
  await Deno.mkdir(`${dir}/home`);
  const env = testEnv(`${dir}/s`, {
    DENO_DIR: `${dir}/deno`,
    HOME: `${dir}/home`,
    XDG_CONFIG_HOME: `${dir}/home/.config`,
  });
  const noFetch = (what: string, stderr: string) =>
    assert.doesNotMatch(stderr, /Download|registry|jsr\.io|deno\.land/i, `${what} went online`);

  const version = await runSockhop(["--version"], { env, argv, cwd });
  assert.equal(version.code, 0, version.stderr);
  assert.match(dec.decode(version.stdout), /^sockhop \d+\.\d+\.\d+\n$/);
  noFetch("--version", version.stderr);

  const key = `${dir}/client`;
  await Deno.writeTextFile(`${dir}/authorized_keys`, (await keygen(key)) + "\n");
  await using serve = await startServe(
    [
      "--bind-ssh=127.0.0.1:0",
      `--authorized-keys=${dir}/authorized_keys`,
      "echo",
      "exec:cat",
    ],
    env,
    { argv, cwd },
  );
  const port = /listening on ssh:127\.0\.0\.1:(\d+)/.exec(serve.log())?.[1];
  const fp = /host key ED25519 (SHA256:\S+)/.exec(serve.log())?.[1];
  assert.ok(port && fp, serve.log());

  const list = await runSockhop(["list", "--json"], { env, argv, cwd });
  assert.equal(list.code, 0, list.stderr);
  const sessions = JSON.parse(dec.decode(list.stdout)) as { name: string; state: string }[];
  assert.deepEqual(sessions.map((s) => [s.name, s.state]), [["echo", "LIVE"]]);

  const data = randomBytes(1024 * 1024);
  const local = await runSockhop(["connect", "echo"], { env, argv, cwd, stdin: data });
  assert.equal(local.code, 0, local.stderr);
  assert.ok(equalBytes(local.stdout, data), "connect NAME: the bytes came back changed");
  noFetch("connect NAME", local.stderr);

  const user = Deno.env.get("USER") ?? "root";
  const native = await runSockhop([
    "connect",
    `ssh://${user}@127.0.0.1:${port}/echo`,
    "--ssh=native",
    "-F",
    "none",
    "-i",
    key,
    `--host-key=${fp}`,
  ], { env, argv, cwd, stdin: data });
  assert.equal(native.code, 0, native.stderr);
  assert.ok(equalBytes(native.stdout, data), "connect --ssh=native: the bytes came back changed");
  noFetch("connect --ssh=native", native.stderr);
  assert.equal(await serve.stop(), 143, "SIGTERM: 128 + 15");
  noFetch("serve", serve.log());
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

Deno.test("bundle: one file runs every command offline with an empty DENO_DIR", async () => {
  if (!canIsolate() || !requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir("sockhop-bundle-");
  const given = Deno.env.get("SOCKHOP_BUNDLE") ?? (SOCKHOP.endsWith(".js") ? SOCKHOP : undefined);
  const file = `${dir}/sockhop.js`;
  if (given) await Deno.copyFile(given, file);
  else await bundle(file);
  // Node built-ins load with the command that needs them (tools/lazy_imports.ts), not at start.
  assert.doesNotMatch(
    await Deno.readTextFile(file),
    /^import .* from "node:(net|crypto|child_process|module)";$/m,
  );
  await using ns = await offline();
  // Run from a dir with no deno.json, as from a USB stick.
  await Deno.mkdir(`${dir}/run`);
  await airGapped([...ns.enter, DENO, "run", "-A", file], `${dir}/run`, `${dir}/run`);
});

Deno.test("bundle: a copied source tree runs offline under deno run --cached-only", async () => {
  if (!canIsolate() || !requirePeer("ssh-keygen", "ssh-keygen", "openssh-client")) return;
  await using dir = await tempDir("sockhop-tree-");
  const tree = `${dir}/tree`;
  await Deno.mkdir(tree);
  // What `git clone` and `deno install` leave (node_modules holds relative symlinks: cp -a).
  const copy = await new Deno.Command("cp", {
    args: ["-a", ...["main.ts", "deno.json", "deno.lock", "lib", "cli", "node_modules"], tree],
    cwd: ROOT,
  }).output();
  assert.equal(copy.code, 0, dec.decode(copy.stderr));
  await using ns = await offline();
  await Deno.mkdir(`${dir}/run`);
  await airGapped(
    [...ns.enter, DENO, "run", "-A", "--cached-only", `${tree}/main.ts`],
    `${dir}/run`,
    tree,
  );
});
