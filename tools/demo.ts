/**
 * `deno task demo`: a throwaway session, reached as a user would reach it, with what went
 * through and how fast; everything it started is stopped and removed at the end.
 */

import { fileURLToPath } from "node:url";

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
const env = { SOCKHOP_SOCKET_DIRS: `${dir}/sessions`, SOCKHOP_XPRA_DIRS: `${dir}/xpra` };
const name = "demo";
let server: Deno.ChildProcess | undefined;
try {
  say(`$ sockhop serve ${name} exec:sha256sum     # one sha256sum per connection`);
  server = sockhop(["serve", name, "exec:sha256sum"], env, "null").spawn();
  const log = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let started = "";
  while (!started.includes(" at ")) {
    const r = await log.read();
    if (r.done) throw new Error(`serve did not start: ${started}`);
    started += r.value;
  }
  say(`  ${started.trim()}`);

  const list = await sockhop(["list"], env, "null").output();
  say(`$ sockhop list\n${new TextDecoder().decode(list.stdout).trimEnd().replace(/^/gm, "  ")}`);

  const data = new Uint8Array(SIZE);
  for (let off = 0; off < SIZE; off += 65536) {
    crypto.getRandomValues(data.subarray(off, off + 65536));
  }
  say(`$ head -c 64M /dev/urandom | sockhop connect ${name}`);
  const t0 = performance.now();
  const child = sockhop(["connect", name], env).spawn();
  const writer = child.stdin.getWriter();
  const writing = writer.write(data).then(() => writer.close());
  const [out] = await Promise.all([child.output(), writing]);
  const seconds = (performance.now() - t0) / 1000;
  const got = new TextDecoder().decode(out.stdout).split(" ")[0];
  const want = await sha256(data);
  say(`  session says  ${got}`);
  say(`  we sent       ${want}`);
  say(
    `  ${got === want ? "equal" : "DIFFERENT"}: ${SIZE / 1048576} MiB in ${seconds.toFixed(2)} s, ${
      (SIZE / 1e6 / seconds).toFixed(0)
    } MB/s (including sockhop's start-up)`,
  );
  if (got !== want) Deno.exitCode = 1;
  server.kill("SIGTERM");
  await server.status;
  await log.cancel();
  await server.stdout.cancel();
  server = undefined;
  say(
    `  session stopped; socket removed: ${
      !_exists(`${dir}/sessions`) || [...Deno.readDirSync(`${dir}/sessions`)].length === 0
    }`,
  );
} finally {
  if (server) {
    server.kill("SIGKILL");
    await server.status;
  }
  await Deno.remove(dir, { recursive: true });
}

function _exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
