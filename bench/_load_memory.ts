/**
 * Memory under load: the built-in server with many OpenSSH clients held open, its handshake
 * rate, `sockhop forward` with many tunnels, and both ends of a transfer to a slow reader.
 */

import { sockhopArgv } from "../tests/_cli.ts";
import { type Link, openBatched, sshLink, tcpLink } from "./_load_link.ts";
import { liveRss, type RssRange, sampleRss, sleep, startSockhop } from "./_load_procs.ts";
import type { Rig } from "./_load_rig.ts";

const MARKER = "SOCKHOP/1 OK\n";

/** The `i`th client's source address: ten clients per loopback address. */
export const sourceOf = (i: number) => `127.0.0.${1 + Math.floor(i / 10)}`;

export interface HeldMemory {
  /** RSS in MiB before, while `connected` of `clients` are held, after they all closed. */
  readonly idle: number;
  readonly busy: number;
  readonly after: number;
  readonly clients: number;
  readonly connected: number;
  /** From the first connection to the last one ready (or given up). */
  readonly openSeconds: number;
  /** Of the connected, how many echoed "bye" back before closing. */
  readonly echoed: number;
  readonly failures: readonly string[];
}

/** Close each link after an echo round trip; how many echoed (a failed one counts as not). */
async function _closeEchoing(links: readonly Link[]): Promise<number> {
  const echo = async (l: Link) => {
    await l.send("bye\n", true);
    return new TextDecoder().decode(await l.drain()) === "bye\n";
  };
  const echoed = await Promise.all(links.map((l) => echo(l).then((ok) => ok, () => false)));
  return echoed.filter(Boolean).length;
}

/** Hold `clients` OpenSSH clients on session `cat` through the built-in server. */
export async function serverMemory(
  rig: Rig,
  clients: number,
  source: (i: number) => string = sourceOf,
): Promise<HeldMemory> {
  const pid = rig.builtin.child.pid;
  const idle = liveRss(pid);
  await using stack = new AsyncDisposableStack();
  const argv = (i: number) => rig.sshToBuiltin(source(i), "sockhop", "_proxy", "cat");
  const t0 = performance.now();
  const { ready, failed } = await openBatched(
    clients,
    10,
    (i) => sshLink(argv(i), rig.env, MARKER),
    stack,
  );
  const openSeconds = (performance.now() - t0) / 1000;
  await sleep(1000);
  const busy = liveRss(pid);
  const echoed = await _closeEchoing(ready);
  await sleep(1000);
  const after = liveRss(pid);
  return {
    idle,
    busy,
    after,
    clients,
    connected: ready.length,
    openSeconds,
    echoed,
    failures: failed,
  };
}

export interface Handshakes {
  readonly perSecond: number;
  readonly ok: number;
  readonly failed: number;
  readonly parallel: number;
  readonly seconds: number;
}

/** OpenSSH clients each doing `sockhop _proxy hello`, `parallel` at a time, for `seconds`. */
export async function handshakeRate(
  rig: Rig,
  seconds: number,
  parallel: number,
): Promise<Handshakes> {
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const argv = rig.sshToBuiltin("127.0.0.1", "sockhop", "_proxy", "hello");
  const worker = async () => {
    while (performance.now() - t0 < seconds * 1000) {
      const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stdin: "null" })
        .output();
      if (out.code === 0 && new TextDecoder().decode(out.stdout).endsWith("ready\n")) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  return { perSecond: ok / elapsed, ok, failed, parallel, seconds: elapsed };
}

/** `sockhop forward` (native, to the real sshd) idle and with `tunnels` open to `cat`. */
export async function forwardMemory(rig: Rig, tunnels: number): Promise<HeldMemory> {
  await using forward = await startSockhop(
    rig.forwardArgs("cat"),
    rig.env,
    /forwarding tcp:127\.0\.0\.1:(\d+) to/,
  );
  const port = Number(forward.match[1]);
  await sleep(1000);
  const idle = liveRss(forward.pid);
  await using stack = new AsyncDisposableStack();
  const t0 = performance.now();
  const { ready, failed } = await openBatched(
    tunnels,
    tunnels,
    () => tcpLink(port, "ping\n", "ping\n"),
    stack,
  );
  const openSeconds = (performance.now() - t0) / 1000;
  await sleep(1000);
  const busy = liveRss(forward.pid);
  const echoed = await _closeEchoing(ready);
  await sleep(1000);
  const after = liveRss(forward.pid);
  return {
    idle,
    busy,
    after,
    clients: tunnels,
    connected: ready.length,
    openSeconds,
    echoed,
    failures: failed,
  };
}

export interface SlowReader {
  readonly bytes: number;
  readonly received: number;
  readonly seconds: number;
  readonly mbs: number;
  /** RSS in MiB of `sockhop connect` and of the session's `sockhop serve`, sampled. */
  readonly connect: RssRange;
  readonly serve: RssRange;
}

/** `sockhop connect NAME` with its stdout to read; killed on dispose if still running. */
function _connect(rig: Rig, name: string) {
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, "connect", name],
    env: rig.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  return {
    child,
    status,
    stderr,
    async [Symbol.asyncDispose]() {
      if (!exited) child.kill("SIGKILL");
      await status;
      await stderr;
    },
  };
}

/** `sockhop connect zero` read at `rate` bytes/s at most, sampling both ends' RSS. */
export async function slowReader(rig: Rig, bytes: number, rate: number): Promise<SlowReader> {
  await using connect = _connect(rig, "zero");
  const reader = connect.child.stdout.getReader();
  let r = await reader.read();
  // Sampled from the first byte on: "start" is a running relay, not a process starting up.
  const sampler = sampleRss({ connect: connect.child.pid, serve: rig.zero.child.pid });
  using _stop = { [Symbol.dispose]: () => sampler.stop() };
  let received = 0;
  const t0 = performance.now();
  for (; !r.done; r = await reader.read()) {
    received += r.value.length;
    const ahead = received / rate * 1000 - (performance.now() - t0);
    if (ahead > 10) await sleep(ahead);
  }
  const seconds = (performance.now() - t0) / 1000;
  const ranges = sampler.stop();
  const status = await connect.status;
  if (!status.success || received !== bytes || !ranges.connect || !ranges.serve) {
    throw new Error(
      `sockhop connect zero: exit ${status.code}, ${received} of ${bytes} bytes: ${await connect
        .stderr}`,
    );
  }
  return {
    bytes,
    received,
    seconds,
    mbs: received / 1e6 / seconds,
    connect: ranges.connect,
    serve: ranges.serve,
  };
}
