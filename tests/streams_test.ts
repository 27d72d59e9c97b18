/**
 * The adapters that give sockets, pipes and child processes the relay's Duplex shape: bytes
 * exact, half-close (EOF one way, the other way goes on), the end of the other side seen.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { PassThrough } from "node:stream";
import { fromDenoConn, fromNodeStreams, nodeChunks, withPrefix } from "../lib/streams.ts";
import { randomBytes, sha256, tempDir } from "./_cli.ts";

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

Deno.test("fromDenoConn: a unix socket, bytes exact both ways, half-close, the peer's end seen", async () => {
  await using dir = await tempDir();
  const path = `${dir}/s`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepted = listener.accept();
  const client = fromDenoConn(await Deno.connect({ transport: "unix", path }));
  const server = await accepted;
  const data = randomBytes(3 * 1024 * 1024);
  // The server reads to EOF, then replies: the client's closeWrite must not end its reading.
  const serving = (async () => {
    const got = await collect(fromDenoConn(server).readable);
    assert.equal(await sha256(got), await sha256(data));
    const reply = new TextEncoder().encode("reply after EOF");
    let off = 0;
    while (off < reply.length) off += await server.write(reply.subarray(off));
    server.close();
  })();
  await client.write(data);
  await client.closeWrite();
  assert.equal(new TextDecoder().decode(await collect(client.readable)), "reply after EOF");
  await serving;
  await client.ended;
  client.close();
  client.close();
  listener.close();
});

Deno.test("fromNodeStreams: back-pressure, EOF, writes after the end refused", async () => {
  const out = new PassThrough({ highWaterMark: 16 });
  const duplex = fromNodeStreams(new PassThrough(), out);
  let drained = false;
  const writing = duplex.write(new Uint8Array(64)).then(() => drained = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(drained, false, "a full writable holds the writer back");
  const reading = collect(out as AsyncIterable<Uint8Array>);
  await writing;
  await duplex.closeWrite();
  assert.equal((await reading).length, 64);
  await assert.rejects(duplex.write(new Uint8Array(1)), /Write after the stream closed/);
  duplex.close();
});

Deno.test("nodeChunks and withPrefix: EOF one way leaves a socket's other way open", async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  await new Promise((r) => client.once("connect", r));
  const peer = await accepted;
  peer.end("hello");
  const it = nodeChunks(client);
  const rest: Uint8Array[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  // Reading to the end did not destroy the socket: it still writes.
  assert.equal(client.destroyed, false);
  const echoed = new Promise<string>((resolve) => {
    let text = "";
    peer.setEncoding("utf8");
    peer.on("data", (t: string) => text += t);
    peer.on("end", () => resolve(text));
  });
  client.end("still here");
  assert.equal(await echoed, "still here");
  const prefixed = withPrefix(
    fromNodeStreams(new PassThrough(), new PassThrough()),
    new TextEncoder().encode("first "),
    (async function* () {
      yield* rest;
    })(),
  );
  assert.equal(new TextDecoder().decode(await collect(prefixed.readable)), "first hello");
  client.destroy();
  peer.destroy();
  await new Promise((r) => server.close(r));
});
