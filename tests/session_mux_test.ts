import assert from "node:assert/strict";
import { muxEndpoint, type MuxStream, WINDOW } from "../lib/session_mux.ts";
import { until } from "./_cli.ts";

/** One direction of an in-memory carrier: what is written comes out of `chunks`. */
function pipe(cuts: number[] = []) {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let turn = 0;
  return {
    write(bytes: Uint8Array) {
      // Cut as `cuts` says, in turn: frames split anywhere, headers included.
      for (let at = 0; at < bytes.length;) {
        const n = cuts.length ? cuts[turn++ % cuts.length]! : bytes.length;
        queue.push(bytes.slice(at, at + n));
        at += n;
      }
      wake?.();
      return Promise.resolve();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *chunks() {
      for (;;) {
        if (queue.length) yield queue.shift()!;
        else if (ended) return;
        else await new Promise<void>((r) => wake = r);
      }
    },
  };
}

/** A client and a server mux over two pipes; the server echoes each stream, status exit 0. */
function pair(onOpen?: (s: MuxStream) => void, cuts: number[] = []) {
  const up = pipe(cuts);
  const down = pipe(cuts);
  const server = muxEndpoint({
    chunks: up.chunks(),
    write: down.write,
    onOpen: onOpen ?? (async (s) => {
      await s.accept();
      for await (const chunk of s.readable) await s.write(chunk);
      await s.closeWrite();
      await s.finish({ exit: 0 });
    }),
  });
  const client = muxEndpoint({ chunks: down.chunks(), write: up.write });
  return { client, server, up, down };
}

async function readAll(s: MuxStream): Promise<Uint8Array> {
  return new Uint8Array(
    await new Blob([...await Array.fromAsync(s.readable)] as BlobPart[]).arrayBuffer(),
  );
}

for (const cuts of [[], [1, 2, 3, 5, 7, 9, 4099, 65541]]) {
  Deno.test(`mux: streams at once, each byte back in order, status last (cuts ${cuts})`, async () => {
    await echoes(cuts);
  });
}

async function echoes(cuts: number[]) {
  const { client, server } = pair(undefined, cuts);
  const runs = Array.from({ length: 10 }, async (_, i) => {
    const s = client.open();
    await s.opened;
    const data = new Uint8Array(3 * WINDOW + i).map((_, j) => (j * 7 + i) & 0xff);
    const reading = readAll(s);
    await s.write(data);
    await s.closeWrite();
    assert.deepEqual(await reading, data);
    assert.deepEqual(await s.status, { exit: 0 });
  });
  await Promise.all(runs);
  assert.equal(client.streams(), 0);
  client.close();
  server.close();
}

Deno.test("mux: a frame too short for its stream id is not this protocol", async () => {
  const down = pipe();
  const client = muxEndpoint({ chunks: down.chunks(), write: () => Promise.resolve() });
  down.write(new Uint8Array([0x44, 0, 0, 0, 2, 0, 0, 0, 0]));
  assert.match((await client.closed).message, /Not sockhop's stream framing/);
});

Deno.test("mux: a stream nobody reads holds up its own sender only", async () => {
  const held: MuxStream[] = [];
  const { client, server } = pair(async (s) => {
    await s.accept();
    if (s.id === 1) return void held.push(s); // never reads
    for await (const chunk of s.readable) await s.write(chunk);
    await s.finish({ exit: 0 });
  });
  const stuck = client.open();
  let sent = 0;
  const filling = (async () => {
    for (;;) {
      await stuck.write(new Uint8Array(64 * 1024));
      sent += 64 * 1024;
    }
  })();
  filling.catch(() => {});
  // Its window filled (waited for, bounded), and no further.
  await until("the stuck stream's window is full", () => sent >= WINDOW);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(sent <= WINDOW, `${sent} bytes sent past a window of ${WINDOW}`);
  const other = client.open();
  await other.opened;
  const reading = readAll(other);
  await other.write(new TextEncoder().encode("still moving"));
  await other.closeWrite();
  assert.equal(new TextDecoder().decode(await reading), "still moving");
  client.close();
  server.close();
  await filling.catch(() => {});
});

Deno.test("mux: refused and given-up streams, a carrier that ends, a peer that stops answering", async () => {
  let abandoned = false;
  const { client, server, up, down } = pair(async (s) => {
    if (s.id === 1) return void await s.finish({ error: 'No session "x"' });
    await s.accept();
    await s.abandoned;
    abandoned = true;
  });
  await assert.rejects(client.open().opened, /No session "x"/);
  const given = client.open();
  await given.opened;
  given.close();
  await until("the stream is abandoned", () => abandoned);
  const last = client.open();
  await last.opened;
  up.end();
  down.end();
  assert.match((await client.closed).message, /closed/);
  assert.deepEqual(await last.status, { lost: "The connection closed" });
  server.close();

  // Pings that get no answer: the carrier is declared dead.
  const silent = pipe();
  const lonely = muxEndpoint({
    chunks: silent.chunks(),
    write: () => Promise.resolve(),
    ping: { intervalMs: 20, countMax: 3 },
  });
  assert.match((await lonely.closed).message, /keepalives .* the connection is dead/);
  silent.end();
});
