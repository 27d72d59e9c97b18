/** Adapters that give sockets, pipes, child processes and stdio the relay's Duplex shape. */

import type { Readable, Writable } from "node:stream";
import type { Duplex } from "./relay.ts";

/** The most one read asks for: a socket may hold this much; a pipe gives 64 KiB at most. */
const READ_MAX = 256 * 1024;
/** Reads go into slabs of this size; each chunk is a view of the part its read filled. */
const SLAB_SIZE = 1024 * 1024;
/** A slab with less room than this left is retired and a new one started. */
const READ_MIN = 64 * 1024;

interface DenoConnLike {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  /** TCP only. */
  setNoDelay?(noDelay?: boolean): void;
  readonly remoteAddr?: Deno.Addr;
}

/** How often a unix socket that has given EOF is checked for having closed altogether. */
const CLOSED_PROBE_MS = 200;

/**
 * Chunks of `read` until EOF, each in room of its own. A failed read after `isClosed()` is
 * the end, not an error.
 */
export async function* readLoop(
  read: (p: Uint8Array) => Promise<number | null>,
  isClosed: () => boolean,
  onEof: () => void = () => {},
): AsyncGenerator<Uint8Array> {
  // Chunks are never overwritten (the relay may still be writing the last one), so each read
  // takes fresh room; a slab avoids a 256 KiB allocation for a read that fills 64 KiB.
  let slab = new Uint8Array(SLAB_SIZE);
  let used = 0;
  for (;;) {
    if (SLAB_SIZE - used < READ_MIN) {
      slab = new Uint8Array(SLAB_SIZE);
      used = 0;
    }
    const room = slab.subarray(used, used + READ_MAX);
    let n: number | null;
    try {
      n = await read(room);
    } catch (err) {
      if (isClosed()) return;
      throw err;
    }
    if (n === null) {
      onEof();
      return;
    }
    used += n;
    yield room.subarray(0, n);
  }
}

async function _writeAll(write: (p: Uint8Array) => Promise<number>, chunk: Uint8Array) {
  let off = 0;
  while (off < chunk.length) off += await write(chunk.subarray(off));
}

/**
 * A Deno.Conn (unix or TCP). A relay passes on what it reads as it reads it, so TCP goes
 * without Nagle's delay (as OpenSSH does for forwarded connections): a small reply is not held
 * back waiting for the peer's delayed ACK.
 */
export function fromDenoConn(conn: DenoConnLike): Duplex {
  conn.setNoDelay?.(true);
  let closed = false;
  let writeClosed = false;
  let eof = () => {};
  const sawEof = new Promise<void>((r) => eof = r);
  return {
    readable: readLoop((p) => conn.read(p), () => closed, eof),
    ...(conn.remoteAddr?.transport === "unix"
      ? { ended: sawEof.then(() => _peerClosed(conn, () => closed)) }
      : {}),
    write: (chunk) => _writeAll((p) => conn.write(p), chunk),
    async closeWrite() {
      if (closed || writeClosed) return;
      writeClosed = true;
      await conn.closeWrite();
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
    },
  };
}

/**
 * Resolves when the peer of a unix socket has closed it altogether, not just shut down its
 * writing: on Linux a write of zero bytes then fails with EPIPE, where after a half-close it
 * succeeds. Checked from the peer's EOF on, until this end closes.
 */
async function _peerClosed(conn: DenoConnLike, isClosed: () => boolean): Promise<void> {
  while (!isClosed()) {
    try {
      await conn.write(new Uint8Array(0));
    } catch {
      // EPIPE is the answer looked for; any other failure means nothing can be written to it
      // either: the session is as good as over.
      return;
    }
    await new Promise((r) => setTimeout(r, CLOSED_PROBE_MS));
  }
}

/** This process's stdin and stdout. closeWrite closes stdout, which is EOF for the reader. */
export function fromStdio(): Duplex {
  let outClosed = false;
  let inClosed = false;
  return {
    readable: readLoop((p) => Deno.stdin.read(p), () => inClosed),
    write: (chunk) => _writeAll((p) => Deno.stdout.write(p), chunk),
    closeWrite() {
      if (!outClosed) {
        outClosed = true;
        Deno.stdout.close();
      }
      return Promise.resolve();
    },
    close() {
      if (!outClosed) {
        outClosed = true;
        Deno.stdout.close();
      }
      if (!inClosed) {
        inClosed = true;
        Deno.stdin.close();
      }
    },
  };
}

/**
 * A node readable and writable pair: a net.Socket, an ssh2 channel, a child's stdout and stdin.
 * Every 'error' they emit is taken here (an 'error' with no listener would end the process:
 * a child that exits before reading its stdin gives EPIPE) and comes back from the next write,
 * or ends the reading.
 */
export function fromNodeStreams(
  readable: Readable,
  writable: Writable,
  destroy: () => void = () => {
    readable.destroy();
    writable.destroy();
  },
): Duplex {
  let closed = false;
  let failure: Error | undefined;
  const onError = (err: Error) => failure ??= err;
  readable.on("error", onError);
  if ((writable as unknown) !== readable) writable.on("error", onError);
  return {
    readable: _nodeChunks(readable, () => closed),
    write(chunk) {
      if (failure) return Promise.reject(failure);
      if (writable.destroyed || writable.writableEnded) {
        return Promise.reject(new Error("Write after the stream closed"));
      }
      if (writable.write(chunk)) return Promise.resolve();
      return _whenDrained(writable);
    },
    closeWrite() {
      if (writable.writableEnded || writable.destroyed) return Promise.resolve();
      // Also settled by 'close' and 'error': a stream that goes away with writes pending (an
      // ssh2 channel closed while waiting for window) never calls end's callback.
      return new Promise<void>((resolve) => {
        const done = () => {
          writable.off("close", done);
          writable.off("error", done);
          resolve();
        };
        writable.once("close", done);
        writable.once("error", done);
        writable.end(done);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      destroy();
    },
  };
}

/**
 * Chunks of a node readable. Its own async iterator destroys the stream when the iteration
 * ends, which for a duplex (socket, SSH channel) would cut the other direction: half-close
 * needs `destroyOnReturn: false`.
 */
export function nodeChunks(readable: Readable): AsyncIterator<Uint8Array> {
  return readable.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<
    Uint8Array
  >;
}

async function* _nodeChunks(readable: Readable, isClosed: () => boolean) {
  try {
    for await (const chunk of readable.iterator({ destroyOnReturn: false })) {
      yield chunk instanceof Uint8Array ? chunk : new TextEncoder().encode(String(chunk));
    }
  } catch (err) {
    if (!isClosed()) throw err;
  }
}

function _whenDrained(writable: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      writable.off("drain", onDrain);
      writable.off("error", onError);
      writable.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error("Stream closed while writing"));
    writable.on("drain", onDrain);
    writable.on("error", onError);
    writable.on("close", onClose);
  });
}

/** Prepend bytes already read (e.g. after a marker line) to a duplex's readable side. */
export function withPrefix(
  duplex: Duplex,
  prefix: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
): Duplex {
  async function* chunks() {
    if (prefix.length) yield prefix;
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { ...duplex, readable: chunks() };
}
