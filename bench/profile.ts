/**
 * Where the built-in client's CPU goes: `sockhop connect --ssh=native` run under
 * `deno run --cpu-prof` against a real sshd on loopback, downloading and uploading BENCH_MIB
 * (default 128) with each cipher, and each profile summed up by layer (ssh2's ciphers, its
 * Poly1305, its packet code, Deno's node:crypto, node:stream and node:net, sockhop's own
 * files, the garbage collector) and by function. Prints markdown; docs/performance.md quotes it.
 *
 *   deno run -A bench/profile.ts [CIPHER...]
 */

import { DENO, MAIN, tempDir, testEnv } from "../tests/_cli.ts";
import { nativeFlags, startSshd } from "../tests/_sshd.ts";
import { markerWrapper } from "../tests/_remote.ts";

const SIZE = Number(Deno.env.get("BENCH_MIB") ?? "128") * 1024 * 1024;
const CIPHERS = Deno.args.length
  ? Deno.args
  : ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com"];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The layer a function belongs to, by where it is defined. */
export function layerOf(url: string, name: string): string {
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(idle)") return "idle (waiting for I/O)";
  if (name === "(program)" || name === "(root)") return "V8 and Deno outside JS";
  if (url.startsWith("wasm://") || url.includes("crypto/poly1305.js")) return "ssh2 Poly1305";
  if (url.includes("ssh2/lib/protocol/crypto.js")) return "ssh2 cipher glue";
  if (url.includes("ssh2/lib/protocol/")) return "ssh2 packets (Protocol, handlers)";
  if (url.includes("ssh2/lib/")) return "ssh2 channels";
  if (url.includes("/lib/") && url.startsWith("file://")) return "sockhop (lib/)";
  if (/node\/(internal\/)?crypto|_crypto|crypto\//.test(url)) return "node:crypto (Deno)";
  if (/stream/.test(url)) return "node:stream (Deno)";
  if (/net|tcp_wrap|stream_wrap|_events|buffer/.test(url)) return "node:net, Buffer (Deno)";
  if (url.startsWith("ext:") || url.startsWith("node:")) return `Deno runtime (${_ext(url)})`;
  return url ? "other JS" : `native (${name || "anonymous"})`;
}

function _ext(url: string): string {
  return url.replace(/^ext:/, "").split("/").slice(0, 2).join("/");
}

/** Self time per layer and per function, in ms. */
export function summarize(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    const { url, functionName, lineNumber } = node.callFrame;
    const layer = layerOf(url, functionName);
    total += ms;
    layers.set(layer, (layers.get(layer) ?? 0) + ms);
    const file = url.split("/").slice(-2).join("/");
    const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  });
  return { total, layers, functions };
}

function _table(title: string, rows: Map<string, number>, total: number, limit: number): string {
  const sorted = [...rows].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return [
    `| ${title} | ms | % |`,
    "| --- | ---: | ---: |",
    ...sorted.map(([k, ms]) => `| ${k} | ${ms.toFixed(0)} | ${(ms / total * 100).toFixed(1)} |`),
  ].join("\n");
}

async function _profileOne(argv: string[], env: Record<string, string>, dir: string) {
  const before = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
  const t0 = performance.now();
  const out = await new Deno.Command("sh", {
    args: ["-c", `"$@"; rc=$?; times >&2; exit $rc`, "sh", ...argv],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${argv.join(" ")} failed: ${stderr}`);
  const file = [...Deno.readDirSync(dir)].find((e) => !before.has(e.name))!.name;
  const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file}`)) as Profile;
  const cpu = [...(stderr.trimEnd().split("\n").at(-1) ?? "").matchAll(/(\d+)m([\d.]+)s/g)]
    .reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  return { profile, seconds, cpu, bytes: out.stdout.length };
}

if (import.meta.main) {
  await using dir = await tempDir("sockhop-profile-");
  const data = `${dir}/data.bin`;
  await new Deno.Command("sh", { args: ["-c", `head -c ${SIZE} /dev/urandom > '${data}'`] })
    .output();
  const env = testEnv(`${dir}/s`, {});
  await using sshd = await startSshd();
  await Deno.mkdir(`${dir}/prof`);
  const remote = {
    down: await markerWrapper(`${dir}`, `cat '${data}'`),
    up: await markerWrapper(`${dir}`, "cat > /dev/null"),
  };
  const out: string[] = [];
  for (const cipher of CIPHERS) {
    for (const way of ["down", "up"] as const) {
      const argv = [
        DENO,
        "run",
        "-A",
        "--quiet",
        "--cpu-prof",
        `--cpu-prof-dir=${dir}/prof`,
        MAIN,
        "connect",
        ...nativeFlags(sshd, cipher),
        `--remote-sockhop=${remote[way]}`,
        `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${way}`,
      ];
      const shArgv = way === "up" ? ["sh", "-c", `exec "$@" < '${data}'`, "sh", ...argv] : argv;
      const r = await _profileOne(shArgv, env, `${dir}/prof`);
      const s = summarize(r.profile);
      const gib = SIZE / 2 ** 30;
      out.push(
        `### ${way === "down" ? "Download" : "Upload"}, ${cipher}: ${
          (SIZE / 1e6 / r.seconds).toFixed(0)
        } MB/s, client ${(r.cpu / gib).toFixed(1)} CPU s/GiB`,
        "",
        _table("layer", s.layers, s.total, 20),
        "",
        _table("function (self time)", s.functions, s.total, 15),
        "",
      );
      console.error(out.at(-6));
    }
  }
  console.log(out.join("\n"));
}
