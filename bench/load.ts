/**
 * Memory, handshakes and scale, on this machine, with real OpenSSH clients and sockhop itself
 * as the load. Starts everything it needs (temp dir, sshd, sessions, the built-in server) and
 * stops it all at the end:
 *
 * 1. the built-in server's RSS idle and with 100 OpenSSH clients held on a session (ten per
 *    loopback source address: the server caps connections per source), and how many of 20
 *    clients from one address it holds;
 * 2. the built-in server's handshakes per second (OpenSSH clients, 4 at a time, 10 s);
 * 3. `sockhop forward --ssh=native` to the real sshd (this checkout as the remote sockhop)
 *    idle and with 100 tunnels open on its one SSH connection;
 * 4. flat memory: BENCH_SLOW_GIB (4) GiB through `sockhop connect` to a reader throttled to
 *    BENCH_SLOW_MBS (200) MB/s, RSS of both ends sampled every 0.5 s;
 * 5. scale: BENCH_SCALE_MIB (256) MiB in all as 1, 10 and 100 concurrent transfers, through
 *    the built-in server (OpenSSH clients) and through `sockhop forward` (one SSH connection,
 *    direct-streamlocal channels to sshd).
 *
 * `deno run -A bench/load.ts` runs it on its own.
 */

import {
  forwardMemory,
  handshakeRate,
  type HeldMemory,
  serverMemory,
  type SlowReader,
  slowReader,
} from "./_load_memory.ts";
import { startRig } from "./_load_rig.ts";
import { BUILTIN_PATH, FORWARD_PATH, measureScale, type ScaleRow } from "./_load_scale.ts";

export interface LoadResult {
  lines: string[];
  json: Record<string, unknown>;
}

const CLIENTS = 100;
const SCALE_COUNTS = [1, 10, 100] as const;

function _number(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  const n = Number(text ?? fallback);
  if (!(n > 0)) throw new Error(`${name}=${text}: give a positive number`);
  return n;
}

export async function measureLoad(log: (line: string) => void): Promise<LoadResult> {
  const slowGiB = _number("BENCH_SLOW_GIB", 4);
  const slowRate = _number("BENCH_SLOW_MBS", 200) * 1e6;
  const scaleMiB = _number("BENCH_SCALE_MIB", 256);
  const started = performance.now();
  log("load: starting sshd, sessions and the built-in server");
  await using rig = await startRig(Math.round(slowGiB * 2 ** 30), Math.round(scaleMiB * 2 ** 20));

  log(`load: built-in server with ${CLIENTS} OpenSSH clients (10 per source address)`);
  const server = await serverMemory(rig, CLIENTS);
  log(`load: built-in server with 20 clients from one source address`);
  const oneSource = await serverMemory(rig, 20, () => "127.0.0.1");
  log("load: handshakes for 10 s");
  const handshakes = await handshakeRate(rig, 10, 4);
  log(`load: sockhop forward with ${CLIENTS} tunnels`);
  const forward = await forwardMemory(rig, CLIENTS);
  log(`load: ${slowGiB} GiB to a reader at ${slowRate / 1e6} MB/s`);
  const slow = await slowReader(rig, Math.round(slowGiB * 2 ** 30), slowRate);
  log(`load: scale, ${scaleMiB} MiB in all as ${SCALE_COUNTS.join(", ")} transfers`);
  const scale = await measureScale(rig, SCALE_COUNTS, log);

  const seconds = (performance.now() - started) / 1000;
  return {
    lines: _summary(server, oneSource, handshakes.perSecond, forward, slow, scale, scaleMiB),
    json: { server, oneSource, handshakes, forward, slow, scale, seconds },
  };
}

const mib = (x: number) => x.toFixed(0);

function _held(m: HeldMemory, what: string): string {
  const failed = m.failures.length ? `, first failure: ${m.failures[0]}` : "";
  const held = `${m.connected} of ${m.clients} ${what} (opened in ${
    m.openSeconds.toFixed(0)
  } s${failed})`;
  return `RSS ${mib(m.idle)} MiB idle, ${mib(m.busy)} MiB with ${held}, ${mib(m.after)} MiB after`;
}

function _summary(
  server: HeldMemory,
  oneSource: HeldMemory,
  perSecond: number,
  forward: HeldMemory,
  slow: SlowReader,
  scale: readonly ScaleRow[],
  scaleMiB: number,
): string[] {
  const range = (r: SlowReader["connect"]) => `${mib(r.start)}/${mib(r.max)}/${mib(r.end)}`;
  const rates = (path: string) =>
    path + " " +
    scale.filter((r) => r.path === path).map((r) =>
      r.verified === r.streams ? r.mbs.toFixed(0) : `${r.mbs.toFixed(0)} (${r.verified} ok)`
    ).join(" / ");
  const gib = (slow.received / 2 ** 30).toFixed(1);
  const pace = `${slow.mbs.toFixed(0)} MB/s in ${slow.seconds.toFixed(0)} s`;
  const streams = SCALE_COUNTS.join(" / ");
  return [
    [
      `Built-in server: ${_held(server, "OpenSSH clients on a session")}`,
      `${oneSource.connected} of 20 held from one source address`,
      `${perSecond.toFixed(1)} handshakes/s (4 at a time).`,
    ].join("; "),
    `sockhop forward --ssh=native to sshd: ${_held(forward, "tunnels open")}.`,
    `Slow reader: ${gib} GiB through sockhop connect at ${pace}; RSS start/max/end: ` +
    `connect ${range(slow.connect)} MiB, serve ${range(slow.serve)} MiB.`,
    `Scale (${scaleMiB} MiB in all, aggregate MB/s at ${streams} streams): ` +
    `${rates(BUILTIN_PATH)}; ${rates(FORWARD_PATH)}.`,
  ];
}

if (import.meta.main) {
  const r = await measureLoad(console.error);
  console.log(r.lines.join("\n"));
}
