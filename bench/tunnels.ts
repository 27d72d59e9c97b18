/**
 * `deno task bench:tunnels` (also part of `deno task bench`): what forward's one kept
 * connection saves. For each backend, over a real sshd on loopback: tunnels per second and
 * time to first byte through a running `forward` (the pooled connection: each tunnel a new
 * channel, or a new stream of `_proxy --mux`) against a new connection per tunnel (`sockhop
 * connect`, one login each, as forward did before it kept a connection). Each tunnel sends
 * one byte to a `cat` session and waits for it back.
 */

import { spawnPiped, startServe, tempDir, testEnv } from "../tests/_cli.ts";
import { exchange, startForward } from "../tests/_forward.ts";
import { startSshd } from "../tests/_sshd.ts";
import { sockhopWrapper } from "../tests/_remote.ts";
import { BACKENDS } from "../tests/_backends.ts";
import { median } from "./_measure.ts";

const POOLED = Number(Deno.env.get("BENCH_TUNNELS") ?? "200");
const FRESH = Number(Deno.env.get("BENCH_FRESH") ?? "10");

export interface TunnelRow {
  readonly backend: string;
  readonly pooledPerSecond: number;
  readonly pooledFirstByteMs: number;
  readonly freshPerSecond: number;
  readonly freshFirstByteMs: number;
}

export async function measureTunnels(log: (line: string) => void): Promise<TunnelRow[]> {
  await using dir = await tempDir("sockhop-bench-tunnels-");
  await using sshd = await startSshd();
  const env = testEnv(`${dir}/s`);
  await using _cat = await startServe(["cat", "exec:cat"], env);
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const rows: TunnelRow[] = [];
  for (const backend of BACKENDS) {
    if (!backend.available()) continue;
    const words = [
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/cat`,
      ...await backend.flags(sshd, `${dir}`),
      `--remote-sockhop=${wrapper}`,
    ];
    log(`tunnels: ${backend.name}, ${POOLED} through forward, ${FRESH} new connections`);
    const fwd = await startForward([...words, "--listen=tcp:127.0.0.1:0"], env);
    const pooled = await _pooled(fwd.where, POOLED);
    await fwd.stop("SIGINT");
    const fresh = await _fresh(["connect", ...words], env, FRESH);
    rows.push({
      backend: backend.name,
      pooledPerSecond: pooled.perSecond,
      pooledFirstByteMs: pooled.firstByteMs,
      freshPerSecond: fresh.perSecond,
      freshFirstByteMs: fresh.firstByteMs,
    });
  }
  return rows;
}

async function _pooled(where: string, n: number) {
  const byte = new Uint8Array([42]);
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await exchange(where, byte);
    times.push(performance.now() - t);
  }
  return { perSecond: n / ((performance.now() - t0) / 1000), firstByteMs: median(times) };
}

async function _fresh(args: string[], env: Record<string, string>, n: number) {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const child = spawnPiped(args, env);
    const w = child.stdin.getWriter();
    await w.write(new Uint8Array([42]));
    const r = child.stdout.getReader();
    await r.read();
    times.push(performance.now() - t);
    await w.close();
    r.releaseLock();
    await child.output();
  }
  return { perSecond: n / ((performance.now() - t0) / 1000), firstByteMs: median(times) };
}

export function formatTunnels(rows: readonly TunnelRow[]): string {
  const lines = [
    "| backend | tunnels/s pooled | first byte ms pooled | tunnels/s new connection | first byte ms new connection |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.pooledPerSecond.toFixed(1)} | ${r.pooledFirstByteMs.toFixed(1)} | ${
        r.freshPerSecond.toFixed(2)
      } | ${r.freshFirstByteMs.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(formatTunnels(await measureTunnels((line) => console.error(line))));
}
