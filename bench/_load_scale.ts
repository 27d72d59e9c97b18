/**
 * Scale: the same total amount as 1, 10 and 100 concurrent transfers of session `blob`, all
 * connected first and then started together; aggregate MB/s, each transfer's bytes checked
 * by length and SHA-256 (after the clock stops). Two paths: OpenSSH's client against sockhop's
 * server, and sockhop's client (`forward`, one SSH connection) against OpenSSH's server.
 */

import { sha256 } from "../tests/_cli.ts";
import { type Link, openBatched, sshLink, tcpLink } from "./_load_link.ts";
import { sleep, startSockhop } from "./_load_procs.ts";
import type { Rig } from "./_load_rig.ts";
import { sourceOf } from "./_load_memory.ts";

export const BUILTIN_PATH = "OpenSSH ssh -> built-in server";
export const FORWARD_PATH = "sockhop forward --ssh=native -> sshd (direct-streamlocal)";

export interface ScaleRow {
  readonly path: string;
  readonly streams: number;
  readonly connected: number;
  /** Connecting them all, before the clock starts. */
  readonly openSeconds: number;
  /** Transfers whose length and SHA-256 were right. */
  readonly verified: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mbs: number;
  readonly failures: readonly string[];
}

type Opener = (count: number, stack: AsyncDisposableStack) => ReturnType<typeof openBatched>;

/** Every scale row, for both paths; `log` gets one line per row. */
export async function measureScale(
  rig: Rig,
  counts: readonly number[],
  log: (line: string) => void,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const run = async (path: string, open: Opener) => {
    for (const n of counts) {
      const row = await _transfers(rig.data, path, n, open, log);
      log(`  ${path}, ${n} at once: ${row.mbs.toFixed(0)} MB/s, ${row.verified}/${n} verified`);
      rows.push(row);
      await sleep(500); // let the closed sessions go before the next round
    }
  };
  await run(BUILTIN_PATH, (n, stack) =>
    openBatched(n, 10, (i) => {
      const argv = rig.sshToBuiltin(sourceOf(i), "sockhop", "_proxy", "blob");
      return sshLink(argv, rig.env, "ready\n");
    }, stack));
  // direct-streamlocal: one channel per transfer and no remote process, so this path is
  // sockhop's client against OpenSSH's server, the mirror of the one above.
  await using forward = await startSockhop(
    rig.forwardArgs("blob", rig.blobSocket),
    rig.env,
    /forwarding tcp:127\.0\.0\.1:(\d+) to/,
  );
  const port = Number(forward.match[1]);
  await run(FORWARD_PATH, (n, stack) => openBatched(n, n, () => tcpLink(port, "ready\n"), stack));
  return rows;
}

/** `n` transfers of `data.length / n` bytes each, timed from the moment all are asked. */
async function _transfers(
  data: Uint8Array,
  path: string,
  n: number,
  open: Opener,
  log: (line: string) => void,
) {
  await using stack = new AsyncDisposableStack();
  const per = Math.floor(data.length / n);
  const want = await sha256(data.subarray(0, per));
  const opening = performance.now();
  const { ready, failed } = await open(n, stack);
  const t0 = performance.now();
  const outs = await Promise.all(ready.map((l) => _fetch(l, per, log)));
  const seconds = (performance.now() - t0) / 1000;
  let verified = 0;
  for (const out of outs) {
    if (out.length === per && await sha256(out) === want) verified++;
  }
  const bytes = outs.reduce((sum, out) => sum + out.length, 0);
  return {
    path,
    streams: n,
    connected: ready.length,
    openSeconds: (t0 - opening) / 1000,
    verified,
    bytes,
    seconds,
    mbs: bytes / 1e6 / seconds,
    failures: failed,
  } satisfies ScaleRow;
}

/** Ask for `bytes` and read them; a failed transfer gives nothing and fails verification. */
async function _fetch(
  link: Link,
  bytes: number,
  log: (line: string) => void,
): Promise<Uint8Array> {
  try {
    await link.send(`${bytes}\n`, true);
    return await link.drain();
  } catch (err) {
    log(`  a transfer failed: ${(err as Error).message} ${link.why()}`);
    return new Uint8Array();
  }
}
