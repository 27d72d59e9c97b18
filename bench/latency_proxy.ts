/**
 * A long link on loopback: a TCP proxy that delays every byte `oneWayMs` each way and limits
 * nothing else (no bandwidth cap, no loss), so a round trip through it takes twice that. Each
 * chunk read is written to the other side once its time has come; what is queued (the bytes
 * "on the wire") is capped, past which the proxy stops reading, as a real link's buffers do.
 *
 * Run alone: deno run -A bench/latency_proxy.ts LISTEN_PORT TARGET_PORT ONE_WAY_MS
 */

/** Bytes queued in one direction before the proxy stops reading it. */
const MAX_QUEUED = 256 * 1024 * 1024;
const READ_SIZE = 256 * 1024;

export interface LatencyProxy extends AsyncDisposable {
  readonly port: number;
}

/** Listen on 127.0.0.1 (`port`, 0: any) and forward each connection to 127.0.0.1:`target`. */
export function startLatencyProxy(target: number, oneWayMs: number, port = 0): LatencyProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns = new Set<Deno.Conn>();
  const pairs: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      pairs.push(_pair(client, target, oneWayMs, conns));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const c of conns) _close(c);
      await Promise.allSettled(pairs);
    },
  };
}

async function _pair(
  client: Deno.TcpConn,
  target: number,
  oneWayMs: number,
  conns: Set<Deno.Conn>,
) {
  conns.add(client);
  let server: Deno.TcpConn;
  try {
    server = await Deno.connect({ hostname: "127.0.0.1", port: target });
  } catch {
    _close(client);
    conns.delete(client);
    return;
  }
  conns.add(server);
  client.setNoDelay(true);
  server.setNoDelay(true);
  await Promise.allSettled([
    _delayed(client, server, oneWayMs),
    _delayed(server, client, oneWayMs),
  ]);
  for (const c of [client, server]) {
    _close(c);
    conns.delete(c);
  }
}

/** Copy `from` to `to`, each chunk written `delayMs` after it was read; EOF is delayed too. */
async function _delayed(from: Deno.Conn, to: Deno.Conn, delayMs: number) {
  const queue: { due: number; chunk: Uint8Array | null }[] = [];
  let queued = 0;
  let wake = () => {};
  let roomWake = () => {};
  const writing = (async () => {
    for (;;) {
      const head = queue[0];
      if (!head) {
        await new Promise<void>((r) => wake = r);
        continue;
      }
      const wait = head.due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      queue.shift();
      if (head.chunk === null) {
        await to.closeWrite().catch(() => {});
        return;
      }
      let off = 0;
      while (off < head.chunk.length) off += await to.write(head.chunk.subarray(off));
      queued -= head.chunk.length;
      roomWake();
    }
  })();
  try {
    for (;;) {
      while (queued > MAX_QUEUED) await new Promise<void>((r) => roomWake = r);
      const buf = new Uint8Array(READ_SIZE);
      const n = await from.read(buf);
      queue.push({
        due: performance.now() + delayMs,
        chunk: n === null ? null : buf.subarray(0, n),
      });
      if (n !== null) queued += n;
      wake();
      if (n === null) break;
    }
  } catch {
    queue.push({ due: performance.now() + delayMs, chunk: null });
    wake();
  }
  await writing.catch(() => {
    _close(from);
  });
}

function _close(c: Deno.Conn) {
  try {
    c.close();
  } catch {
    // already closed
  }
}

if (import.meta.main) {
  const [listen, target, ms] = Deno.args.map(Number);
  if (!target || ms === undefined || Number.isNaN(ms)) {
    console.error("usage: latency_proxy.ts LISTEN_PORT TARGET_PORT ONE_WAY_MS");
    Deno.exit(2);
  }
  const proxy = startLatencyProxy(target, ms, listen);
  console.error(`127.0.0.1:${proxy.port} -> 127.0.0.1:${target}, ${ms} ms each way`);
}
