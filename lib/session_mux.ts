/**
 * Many session streams over one byte stream: what `forward` carries over the one ssh/plink
 * process it keeps (`sockhop _proxy --mux NAME` at the other end), so that every tunnel rides
 * one SSH connection and one channel whatever the program (plink has no ControlMaster, and a
 * ControlMaster's sessions meet sshd's MaxSessions). Frames are those of the status socket
 * (session_frames.ts: type, 4-byte length, payload); here every payload starts with a 4-byte
 * stream id:
 *
 *     "O" open (client to server)       "A" opened: the session took it (server to client)
 *     "D" data         "E" end of this side's data
 *     "S" status, JSON as on the status socket: the stream is over (server to client)
 *     "C" the client gave the stream up  "W" window: 4-byte count of bytes taken
 *     "P" ping, "Q" its answer (stream 0)
 *
 * Each side sends at most WINDOW bytes of a stream that the other has not taken yet: a
 * stream whose reader is slow holds up its own sender only, never the other streams.
 */

import {
  encodeFrame,
  endMessage,
  type EndStatus,
  FrameCursor,
  parseEndStatus,
  type SessionEnd,
} from "./session_frames.ts";
import type { Duplex } from "./relay.ts";

const OPEN = 0x4f;
const ACCEPTED = 0x41;
const DATA = 0x44;
const EOF = 0x45;
const STATUS = 0x53;
const CLOSE = 0x43;
const WINDOW_FRAME = 0x57;
const PING = 0x50;
const PONG = 0x51;
/** Bytes of a stream in flight each way: 1 MiB, as a 64 KiB piece size keeps turns fair. */
export const WINDOW = 1024 * 1024;
const PIECE = 64 * 1024;
/** A frame longer than this is not this protocol. */
const FRAME_MAX = PIECE + 1024;

/** One stream of a mux; on the server side `finish` sends its status. */
export interface MuxStream extends Duplex {
  readonly id: number;
  /** Client side: how the session ended, as the server said (or lost, with why). */
  readonly status: Promise<SessionEnd>;
  /** Client side: resolves once the server has the session; rejects with why it has not. */
  readonly opened: Promise<void>;
  /** Server side: the session is open, tell the client. */
  accept(): Promise<void>;
  /** Server side: send the status; the stream is over. */
  finish(end: EndStatus): Promise<void>;
  /** Server side: resolves when the client gave the stream up. */
  readonly abandoned: Promise<void>;
}

export interface Mux {
  /** Client side: a new stream. */
  open(): MuxStream;
  /** Resolves when the carrier is gone (EOF, an error, no answer to pings), with why. */
  readonly closed: Promise<Error>;
  /** Streams open now. */
  streams(): number;
  close(reason?: Error): void;
}

export interface MuxOptions {
  /** The carrier's bytes in. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Into the carrier; resolves when it can take more. */
  readonly write: (bytes: Uint8Array) => Promise<void>;
  /** Server side: a stream the client opened. */
  readonly onOpen?: (stream: MuxStream) => void;
  /** Client side: ping every intervalMs; nothing heard for countMax pings is a dead carrier. */
  readonly ping?: { readonly intervalMs: number; readonly countMax: number };
}

/** Either end of a mux over a carrier. */
export function muxEndpoint(options: MuxOptions): Mux {
  const streams = new Map<number, _Stream>();
  let ended: Error | undefined;
  let settle!: (err: Error) => void;
  const closed = new Promise<Error>((r) => settle = r);
  let writing: Promise<void> = Promise.resolve();
  const send = (type: number, id: number, body: Uint8Array = new Uint8Array(0)) => {
    if (ended) return Promise.reject(ended);
    const payload = new Uint8Array(4 + body.length);
    new DataView(payload.buffer).setUint32(0, id);
    payload.set(body, 4);
    const frame = encodeFrame(type, payload);
    const p = writing.then(() => options.write(frame));
    writing = p.catch((err) => end(err instanceof Error ? err : new Error(String(err))));
    return p;
  };
  const end = (err: Error) => {
    if (ended) return;
    ended = err;
    for (const s of streams.values()) s.lost(err);
    streams.clear();
    settle(err);
  };
  let heard = Date.now();
  const dispatch = (type: number, id: number, body: Uint8Array) => {
    heard = Date.now();
    if (type === PING) return void send(PONG, 0).catch(() => {});
    if (type === PONG) return;
    if (type === OPEN && options.onOpen && !streams.has(id)) {
      const s = new _Stream(id, "server", send, () => streams.delete(id));
      streams.set(id, s);
      return options.onOpen(s.stream);
    }
    streams.get(id)?.receive(type, body);
  };
  _readFrames(options.chunks, dispatch).then(
    () => end(new Error("The connection closed")),
    (err) => end(err instanceof Error ? err : new Error(String(err))),
  );
  const pinger = options.ping ? _pinger(options.ping, () => heard, send, end) : undefined;
  closed.then(() => clearInterval(pinger));
  let serial = 0;
  return {
    open() {
      const id = ++serial;
      const s = new _Stream(id, "client", send, () => streams.delete(id));
      if (ended) s.lost(ended);
      else {
        streams.set(id, s);
        send(OPEN, id).catch(() => {});
      }
      return s.stream;
    },
    closed,
    streams: () => streams.size,
    close: (reason = new Error("Closed")) => end(reason),
  };
}

/**
 * A ping after each interval of silence; silence for countMax intervals ends the carrier.
 * Looked at every second (not every interval, as ssh does): a dead peer is found after
 * 45 s of silence at 15 s x 3, not up to an interval later.
 */
function _pinger(
  ping: { intervalMs: number; countMax: number },
  heard: () => number,
  send: (type: number, id: number) => Promise<void>,
  end: (err: Error) => void,
) {
  let pinged = 0;
  return setInterval(() => {
    const now = Date.now();
    const silent = now - heard();
    if (silent >= ping.intervalMs * ping.countMax) {
      end(
        new Error(
          `no answer for ${Math.round(silent / 1000)} s (${ping.countMax} keepalives ${
            ping.intervalMs / 1000
          } s apart): the connection is dead`,
        ),
      );
    } else if (silent >= ping.intervalMs && now - pinged >= ping.intervalMs) {
      pinged = now;
      send(PING, 0).catch(() => {});
    }
  }, Math.min(ping.intervalMs, 1000));
}

/**
 * Parse frames from the carrier and hand each to `dispatch`; throws on a malformed one. Data
 * goes on in pieces of the chunks read, as they come; any other frame's body (a few bytes) in
 * one piece, put together when a read split it.
 */
async function _readFrames(
  chunks: AsyncIterable<Uint8Array>,
  dispatch: (type: number, id: number, body: Uint8Array) => void,
): Promise<void> {
  const cursor = new FrameCursor(4, FRAME_MAX);
  let body: Uint8Array | undefined;
  let got = 0;
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      if (!cursor.inFrame) {
        at = cursor.header(chunk, at);
        if (!cursor.inFrame) break;
        body = undefined;
        got = 0;
      }
      const { type, id } = cursor;
      const n = Math.min(cursor.left, chunk.length - at);
      const piece = chunk.subarray(at, at + n);
      at += n;
      if (type === DATA) {
        cursor.take(n);
        if (n > 0) dispatch(type, id, piece);
      } else if (!body && n === cursor.left) {
        // The whole body is in this chunk (as it nearly always is).
        cursor.take(n);
        dispatch(type, id, piece);
      } else {
        body ??= new Uint8Array(cursor.left);
        body.set(piece, got);
        got += n;
        if (cursor.take(n)) {
          dispatch(type, id, body);
        }
      }
    }
  }
}

type _Send = (type: number, id: number, body?: Uint8Array) => Promise<void>;

/** A promise and the functions that settle it. */
function _deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The bytes the peer sent on one stream, until they are read; read ones are granted back. */
class _Inbox {
  readonly #queue: Uint8Array[] = [];
  #eof = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #taken = 0;

  constructor(readonly grant: (bytes: number) => void) {}

  push(chunk: Uint8Array) {
    this.#queue.push(chunk);
    this.#wake?.();
  }

  end(failure?: Error) {
    this.#eof = true;
    this.#failure ??= failure;
    this.#wake?.();
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk) {
        yield chunk;
        this.#taken += chunk.length;
        if (this.#taken >= WINDOW / 4) {
          this.grant(this.#taken);
          this.#taken = 0;
        }
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#eof) return;
      await new Promise<void>((r) => this.#wake = r);
      this.#wake = undefined;
    }
  }
}

/** One stream: its two directions, how it ends, and the frames that concern it. */
class _Stream {
  readonly #inbox: _Inbox;
  #credit = WINDOW;
  #creditWake: (() => void) | undefined;
  #done = false;
  #failure: Error | undefined;
  readonly #status = _deferred<SessionEnd>();
  readonly #abandoned = _deferred<void>();
  readonly #opened = _deferred<void>();
  readonly stream: MuxStream;

  constructor(
    readonly id: number,
    readonly role: "client" | "server",
    readonly send: _Send,
    readonly forget: () => void,
  ) {
    this.#opened.promise.catch(() => {});
    this.#inbox = new _Inbox((n) => {
      if (this.#done) return;
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, n);
      send(WINDOW_FRAME, id, body).catch(() => {});
    });
    this.stream = this.#api();
  }

  receive(type: number, body: Uint8Array) {
    if (type === ACCEPTED) this.#opened.resolve();
    else if (type === DATA) this.#inbox.push(body);
    else if (type === EOF) this.#inbox.end();
    else if (type === WINDOW_FRAME && body.length >= 4) {
      this.#credit += new DataView(body.buffer, body.byteOffset).getUint32(0);
      this.#creditWake?.();
    } else if (type === STATUS) this.#over(parseEndStatus(body));
    else if (type === CLOSE) {
      this.#abandoned.resolve();
      this.#over({ lost: "the client gave the stream up" });
    }
  }

  lost(err: Error) {
    this.#failure = err;
    this.#abandoned.resolve();
    this.#over({ lost: err.message });
  }

  #over(end: SessionEnd) {
    if (this.#done) return;
    this.#done = true;
    this.#opened.reject(new Error(endMessage(end) ?? "The stream ended before it opened"));
    this.forget();
    this.#status.resolve(end);
    this.#inbox.end(this.#failure);
    this.#creditWake?.();
  }

  async #write(chunk: Uint8Array) {
    for (let at = 0; at < chunk.length;) {
      while (this.#credit <= 0 && !this.#done) {
        await new Promise<void>((r) => this.#creditWake = r);
      }
      if (this.#done) throw this.#failure ?? new Error("Write after the stream closed");
      const n = Math.min(PIECE, this.#credit, chunk.length - at);
      this.#credit -= n;
      await this.send(DATA, this.id, chunk.subarray(at, at + n));
      at += n;
    }
  }

  #api(): MuxStream {
    const { id, send } = this;
    const status = this.#status.promise;
    return {
      id,
      readable: this.#inbox.chunks(),
      write: (chunk) => this.#write(chunk),
      closeWrite: () => this.#done ? Promise.resolve() : send(EOF, id).catch(() => {}),
      close: () => {
        // The server's end is let go by its relay before `finish` sends the status.
        if (this.#done || this.role === "server") return;
        send(CLOSE, id).catch(() => {});
        this.#over({ lost: "closed before the session ended" });
      },
      ended: status.then(() => {}),
      settled: status.then(() => {}),
      status,
      opened: this.#opened.promise,
      accept: () => send(ACCEPTED, id),
      finish: async (end) => {
        if (this.#done) return;
        await send(STATUS, id, new TextEncoder().encode(JSON.stringify(end))).catch(() => {});
        this.#over(end);
      },
      abandoned: this.#abandoned.promise,
    };
  }
}
