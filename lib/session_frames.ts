/**
 * How a session ended, told to sockhop's own clients (`connect NAME`, `_proxy`, the built-in
 * server), and what a session is, told to `list` and `stop`. A unix stream socket cannot say
 * it: a service killed mid-stream and one that finished both look like EOF, then close. So
 * next to each session socket `DIR/HOST-NAME`, `serve` listens on a companion (the status
 * socket), `DIR/.framed2/HOST-NAME`, where every frame is
 *
 *     frame = type (1 byte), length (4 bytes, big-endian), payload (length bytes)
 *
 * The client speaks first, with one frame that says what it wants (session_status.ts):
 *     "C"  connect to the service: the relay below follows
 *     "P"  probe: serve answers one "I" frame (JSON: pid, target, start time, clients...)
 *          and closes, without connecting to its target (`list`)
 *     "Q"  stop: serve answers "I", then ends as on SIGTERM (`sockhop stop`)
 * After "C", the service-to-client direction is framed:
 *     "D"  data: the service's bytes
 *     "E"  end of the service's output (EOF); the client may go on sending
 *     "S"  the status, always last, then the connection closes: JSON, one of
 *          {"exit":N}  {"signal":"SIGKILL"}  {"error":"message"}
 *
 * The client-to-service direction is the raw bytes, half-close is EOF, as on the session
 * socket. A connection that ends without an "S" frame ended abnormally (serve was killed).
 * The session socket itself is unchanged, so socat, `ssh -L`, direct-streamlocal and xpra see
 * exactly the service's bytes; a client that finds no companion (an xpra socket, an older
 * serve) uses the session socket and learns no status. This is version 2 (version 1, in
 * `.framed`, had no first frame): another format takes another directory name, so a client
 * and a serve of different versions never misread each other.
 *
 * A Windows session is a named pipe, which has no half-close and no companion: after the
 * handshake (pipe_auth.ts) the pipe itself carries the same frames, "C" first, and the
 * client-to-service direction is framed too ("D" for its bytes, "E" for its end of input), so
 * that end of input and the end status travel inside the one stream.
 */

import { baseName, joinPath, parentDir } from "./platform_paths.ts";
import type { Duplex } from "./relay.ts";
import { connectSession, type SessionSocketOptions } from "./session_socket.ts";
import { fromDenoConn, withPrefix } from "./streams.ts";

/** The directory of the companion sockets, inside a session dir. */
export const FRAMED_DIR = ".framed2";

/** How a session's service ended, as `serve` tells it. */
export type EndStatus =
  | { readonly exit: number }
  | { readonly signal: string }
  | { readonly error: string };

/** What a client learns: the status, or that none came and why. */
export type SessionEnd = EndStatus | { readonly lost: string };

/** A session connection; `status` is there when it came through the companion socket. */
export interface SessionDuplex extends Duplex {
  readonly status?: Promise<SessionEnd>;
}

const DATA = 0x44;
const EOF = 0x45;
const STATUS = 0x53;
/** The client's first frame: connect to the service (see session_status.ts for the others). */
export const HELLO_CONNECT = 0x43;
/** The bytes of a frame's header. */
export const HEADER = 5;
/** A status is a short JSON object; anything longer is not this protocol. */
const STATUS_MAX = 64 * 1024;
/** How long `finish` waits for a client that does not read before closing without a status. */
const FINISH_WAIT_MS = 10_000;
/** A data frame is put together in a buffer of this size, kept for it (see write). */
const SCRATCH_SIZE = 256 * 1024 + HEADER;

/** The companion socket of a session socket path. */
export function framedPath(sessionPath: string): string {
  return joinPath([parentDir(sessionPath), FRAMED_DIR, baseName(sessionPath)]);
}

/** The exit status a status stands for: the command's own, 128+N for a signal, 1 otherwise. */
export function endExitCode(end: SessionEnd): number {
  if ("exit" in end) return end.exit;
  if ("signal" in end) return 128 + (_SIGNALS[end.signal] ?? 0);
  return 1;
}

/** One line saying how the session ended; undefined for a clean end (exit 0). */
export function endMessage(end: SessionEnd): string | undefined {
  if ("exit" in end) {
    return end.exit === 0 ? undefined : `The session's command exited with status ${end.exit}`;
  }
  if ("signal" in end) return `The session's command was killed by ${end.signal}`;
  if ("error" in end) return end.error;
  return `The session ended without a status (${end.lost}): its sockhop serve was stopped or killed, the output may be incomplete`;
}

const _SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/**
 * Connect to a session: through its companion when there is one that is this user's (a
 * socket, not a link, in a directory only this user can write), else the session socket.
 */
export async function connectSessionFramed(
  path: string,
  options: SessionSocketOptions = {},
): Promise<SessionDuplex> {
  if (options.key || Deno.build.os === "windows") {
    // A session pipe: framed both ways once its handshake is done.
    const pipe = await connectSession(path, options);
    try {
      await pipe.write(encodeFrame(HELLO_CONNECT, new Uint8Array(0)));
    } catch (err) {
      pipe.close();
      throw err;
    }
    return framedClient(pipe, { framedOutput: true });
  }
  if (trustedCompanion(framedPath(path))) {
    let conn: Deno.UnixConn | undefined;
    try {
      conn = await Deno.connect({ transport: "unix", path: framedPath(path) });
    } catch (err) {
      // A companion left by a killed serve: the session socket says what is going on.
      if (
        !(err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.NotFound)
      ) throw err;
    }
    if (conn) {
      try {
        await writeAll(conn, encodeFrame(HELLO_CONNECT, new Uint8Array(0)));
      } catch (err) {
        conn.close();
        throw err;
      }
      return framedClient(fromDenoConn(conn));
    }
  }
  // No companion: the session itself, without a status.
  return await connectSession(path, options);
}

/**
 * A session's bytes, its status left aside (a direct-streamlocal channel, an upgraded TCP
 * connection): the session socket itself, or on Windows its pipe, framed as it must be.
 */
export async function connectSessionStream(
  path: string,
  options: SessionSocketOptions = {},
): Promise<Duplex> {
  if (options.key || Deno.build.os === "windows") return await connectSessionFramed(path, options);
  return await connectSession(path, options);
}

/** Whether the companion socket at `path` is this user's (or root's), and not a link. */
export function trustedCompanion(path: string): boolean {
  const uid = Deno.uid();
  const mine = (info: Deno.FileInfo) =>
    (info.uid === uid || info.uid === 0) && ((info.mode ?? 0) & 0o022) === 0;
  try {
    const dir = Deno.lstatSync(parentDir(path));
    const sock = Deno.lstatSync(path);
    return dir.isDirectory && mine(dir) && sock.isSocket === true && mine(sock);
  } catch {
    return false;
  }
}

type Frame =
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  | { readonly kind: "eof" }
  | { readonly kind: "status"; readonly end: SessionEnd };

/**
 * The frames of a byte stream. Data is passed on as it arrives, in pieces of the chunks read;
 * the data of several frames in one chunk is moved together over their headers (a read of
 * 200 KiB stays one piece, one write, not four). A header or a status split across reads is
 * put together. A read error or a close before the status frame ends it with a "lost" status.
 */
export async function* readFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const cursor = new FrameCursor();
  let status: Uint8Array | undefined;
  let got = 0;
  try {
    for await (const chunk of chunks) {
      // The data of this chunk so far is chunk[outStart, outEnd).
      let outStart = 0;
      let outEnd = 0;
      let at = 0;
      while (at < chunk.length) {
        if (!cursor.inFrame) {
          at = cursor.header(chunk, at);
          if (!cursor.inFrame) break;
          if (cursor.type === DATA) continue;
          if (outEnd > outStart) yield { kind: "data", bytes: chunk.subarray(outStart, outEnd) };
          outStart = outEnd = at;
          if (cursor.type === EOF && cursor.left === 0) {
            cursor.take(0);
            yield { kind: "eof" };
            continue;
          }
          if (cursor.type !== STATUS || cursor.left > STATUS_MAX) {
            yield { kind: "status", end: { lost: "not sockhop's framing" } };
            return;
          }
          status = new Uint8Array(cursor.left);
          got = 0;
        }
        const type = cursor.type;
        const n = Math.min(cursor.left, chunk.length - at);
        if (type === DATA) {
          if (outEnd === outStart) outStart = outEnd = at;
          if (at !== outEnd) chunk.copyWithin(outEnd, at, at + n);
          outEnd += n;
        } else {
          status!.set(chunk.subarray(at, at + n), got);
          got += n;
        }
        at += n;
        if (cursor.take(n) && type === STATUS) {
          if (outEnd > outStart) yield { kind: "data", bytes: chunk.subarray(outStart, outEnd) };
          yield { kind: "status", end: _parseStatus(status!) };
          return;
        }
      }
      if (outEnd > outStart) yield { kind: "data", bytes: chunk.subarray(outStart, outEnd) };
    }
    yield { kind: "status", end: { lost: "the connection closed" } };
  } catch (err) {
    yield { kind: "status", end: { lost: (err as Error).message } };
  }
}

/**
 * One whole frame from `chunks`, read with the one frame reader: its type, its payload, and what
 * came after it in the chunk it ended in. Undefined when the stream ends first, or the length is
 * over `maxLength` (not this protocol, or not the frame expected).
 */
export async function readOneFrame(
  chunks: AsyncIterator<Uint8Array>,
  maxLength: number,
): Promise<{ type: number; payload: Uint8Array; rest: Uint8Array } | undefined> {
  const cursor = new FrameCursor(0, maxLength);
  let payload = new Uint8Array(0);
  let got = 0;
  for (;;) {
    const r = await chunks.next();
    if (r.done) return undefined;
    let at = 0;
    if (!cursor.inFrame) {
      try {
        at = cursor.header(r.value, 0);
      } catch {
        return undefined; // a length over maxLength: not the frame expected
      }
      if (!cursor.inFrame) continue;
      payload = new Uint8Array(cursor.left);
    }
    const n = Math.min(payload.length - got, r.value.length - at);
    payload.set(r.value.subarray(at, at + n), got);
    got += n;
    if (got === payload.length) {
      return { type: cursor.type, payload, rest: r.value.subarray(at + n) };
    }
  }
}

/**
 * The one reader of the frame format: a frame's header (type, length, and with `prefix` the
 * stream id that starts a mux frame's payload) put together across reads, then how much of
 * its payload is still to come. The payload stays in the chunks read: the caller takes it
 * from there, a piece per chunk, with no copy and no work per byte.
 */
export class FrameCursor {
  readonly #header: Uint8Array;
  readonly #view: DataView;
  #have = 0;
  /** The current frame's type. */
  type = 0;
  /** Its stream id, with a prefix (0 without). */
  id = 0;
  /** Its payload bytes (after the prefix) still to come. */
  left = 0;

  /** `prefix`: bytes of a stream id (big-endian) that start every payload, 0 or 4. */
  constructor(readonly prefix: 0 | 4 = 0, readonly maxLength = 0xffffffff) {
    this.#header = new Uint8Array(HEADER + prefix);
    this.#view = new DataView(this.#header.buffer);
  }

  /** Whether the current frame's header is all in (its payload, if any, is what comes). */
  get inFrame(): boolean {
    return this.#have === this.#header.length;
  }

  /**
   * Read header bytes from `chunk` at `at`; returns where they end. Throws on a length the
   * prefix does not fit in or longer than `maxLength`: not this protocol.
   */
  header(chunk: Uint8Array, at: number): number {
    const n = Math.min(this.#header.length - this.#have, chunk.length - at);
    this.#header.set(chunk.subarray(at, at + n), this.#have);
    this.#have += n;
    if (this.inFrame) {
      const length = this.#view.getUint32(1);
      if (length < this.prefix || length > this.maxLength) {
        throw new Error("Not sockhop's stream framing");
      }
      this.type = this.#header[0]!;
      this.id = this.prefix ? this.#view.getUint32(HEADER) : 0;
      this.left = length - this.prefix;
    }
    return at + n;
  }

  /** `n` payload bytes were taken (at most `left`); true when that ends the frame. */
  take(n: number): boolean {
    this.left -= n;
    if (this.left > 0) return false;
    this.#have = 0;
    return true;
  }
}

function _parseStatus(bytes: Uint8Array): SessionEnd {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (Number.isInteger(v?.exit) && v.exit >= 0 && v.exit < 256) return { exit: v.exit };
    if (typeof v?.signal === "string") return { signal: v.signal.slice(0, 32) };
    if (typeof v?.error === "string") return { error: v.error };
  } catch {
    // not JSON: as unknown as any other
  }
  return { lost: "a status sockhop does not know" };
}

export interface FramedClientOptions {
  /** The client's bytes are framed too ("D", then "E" for end of input): a session pipe. */
  readonly framedOutput?: boolean;
}

/** The client's end of a framed connection: a companion socket, or a session pipe. */
export function framedClient(raw: Duplex, options: FramedClientOptions = {}): SessionDuplex {
  let closed = false;
  let settle!: (end: SessionEnd) => void;
  const status = new Promise<SessionEnd>((r) => settle = r);
  const frames = readFrames(raw.readable)[Symbol.asyncIterator]();
  // After the service's EOF the status is still to come: read on for it while the client
  // goes on sending.
  const readStatus = async () => {
    for (;;) {
      const r = await frames.next();
      if (r.done) return settle({ lost: "the connection closed" });
      if (r.value.kind === "status") return settle(r.value.end);
      if (r.value.kind === "data") return settle({ lost: "data after the end of output" });
    }
  };
  async function* chunks() {
    for (;;) {
      const r = await frames.next();
      if (r.done) return settle({ lost: "the connection closed" });
      const frame = r.value;
      if (frame.kind === "data") yield frame.bytes;
      else if (frame.kind === "status") return settle(frame.end);
      else {
        readStatus();
        return;
      }
    }
  }
  let inputEnded = false;
  return {
    readable: chunks(),
    write: options.framedOutput ? (chunk) => raw.write(encodeFrame(DATA, chunk)) : raw.write,
    closeWrite: options.framedOutput
      ? () => {
        if (inputEnded) return Promise.resolve();
        inputEnded = true;
        return raw.write(encodeFrame(EOF, new Uint8Array(0))).catch(() => {});
      }
      : raw.closeWrite,
    close() {
      if (closed) return;
      closed = true;
      settle({ lost: "closed before the session ended" });
      raw.close();
    },
    // The session is over when its status has come, stdin open or not; and not before,
    // even when both directions are done (the command may still be running).
    ended: status.then(() => {}),
    settled: status.then(() => {}),
    status,
  };
}

/**
 * serve's end of a companion connection: the client's bytes raw, the service's framed.
 * close() (as the relay calls it) only stops the relay's use of it; `finish` then sends the
 * status and closes the connection, `abort` closes it at once.
 */
export interface FramedServerEnd extends Duplex {
  /** Write the status frame (after what is still being written) and close. */
  finish(end: EndStatus): Promise<void>;
  abort(): void;
  /** Whether the client has closed the connection altogether. */
  gone(): boolean;
}

/** `first`: the client's bytes read with its first frame, passed on before any others. */
export interface FramedServerOptions {
  /** The client's bytes come framed too ("D", "E"): a session pipe, which has no half-close. */
  readonly framedInput?: boolean;
  /**
   * Put each data frame together in one buffer kept for it: only where a write is done with
   * its bytes once it resolves (a Deno connection; a node stream may still hold them).
   */
  readonly reuseBuffer?: boolean;
  /** The client's bytes read with its first frame, passed on before any others. */
  readonly first?: Uint8Array;
}

export function framedServerEnd(raw: Duplex, options: FramedServerOptions = {}): FramedServerEnd {
  let released = false;
  let aborted = false;
  let gone = false;
  let onGone = () => {};
  const release = () => wake?.({ done: true, value: undefined });
  let writing: Promise<unknown> = Promise.resolve();
  const scratch = options.reuseBuffer ? new Uint8Array(SCRATCH_SIZE) : undefined;
  let scratchBusy = false;
  const send = (frame: Uint8Array) => {
    const p = writing.then(() => raw.write(frame));
    writing = p.catch(() => {});
    return p;
  };
  const source = withPrefix(
    raw,
    options.first ?? new Uint8Array(0),
    raw.readable[Symbol.asyncIterator](),
  ).readable;
  const framedInput = options.framedInput ? _framedInput(source, () => onGone()) : undefined;
  const input = framedInput ?? source[Symbol.asyncIterator]();
  // A read cannot be taken back; once released, the pending one is not waited for.
  let wake: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  async function* chunks() {
    while (!released) {
      const r = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        wake = resolve;
        input.next().then(resolve, reject);
      });
      wake = undefined;
      if (r.done) return;
      yield r.value;
    }
  }
  // A socket tells when its peer closed it altogether; a framed pipe, when its frames end
  // without a close of input or after one.
  const closedByPeer = options.framedInput ? new Promise<void>((r) => onGone = r) : raw.ended;
  const ended = closedByPeer?.then(() => {
    gone = true;
  });
  return {
    readable: chunks(),
    ...(ended ? { ended } : {}),
    write(chunk) {
      if (released) return Promise.reject(new Error("Write after the stream closed"));
      // Header and data in one write, through one buffer kept for it (the relay has one
      // write in flight at most): a new buffer for each chunk costs more than the copy.
      let frame: Uint8Array;
      if (!scratch || scratchBusy || chunk.length > SCRATCH_SIZE - HEADER) {
        frame = encodeFrame(DATA, chunk);
      } else {
        scratchBusy = true;
        frame = encodeFrame(DATA, chunk, scratch);
      }
      const p = send(frame);
      if (frame.buffer === scratch?.buffer) p.finally(() => scratchBusy = false).catch(() => {});
      return p;
    },
    closeWrite() {
      if (released) return Promise.resolve();
      return send(encodeFrame(EOF, new Uint8Array(0))).then(() => {}, () => {});
    },
    close() {
      released = true;
      release();
    },
    async finish(end) {
      released = true;
      release();
      if (aborted) return;
      const payload = new TextEncoder().encode(JSON.stringify(end));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => timer = setTimeout(r, FINISH_WAIT_MS));
      try {
        // A client that reads nothing more gets no status: it is not waiting for one.
        // Flushed before the close: a node stream's write resolves once its bytes are queued.
        // A pipe is closed by its client, once it has the status: a pipe server that closes
        // first throws away what its client has not read yet.
        const sent = send(encodeFrame(STATUS, payload)).then(() => raw.closeWrite()).then(() =>
          framedInput?.drain()
        );
        await Promise.race([sent.catch(() => {}), late]);
      } finally {
        clearTimeout(timer);
        raw.close();
      }
    },
    abort() {
      aborted = true;
      released = true;
      release();
      raw.close();
    },
    gone: () => gone,
  };
}

/** One frame: `type`, the payload's length, the payload (put together in `into` if given). */
export function encodeFrame(type: number, payload: Uint8Array, into?: Uint8Array): Uint8Array {
  const frame = into
    ? into.subarray(0, HEADER + payload.length)
    : new Uint8Array(HEADER + payload.length);
  frame[0] = type;
  new DataView(frame.buffer, frame.byteOffset).setUint32(1, payload.length);
  frame.set(payload, HEADER);
  return frame;
}

/** Write all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** A status frame's payload as a SessionEnd (what `readFrames` makes of it). */
export function parseEndStatus(bytes: Uint8Array): SessionEnd {
  return _parseStatus(bytes);
}

/**
 * The client's bytes of a framed pipe: its data frames, done at its "E" (or when the frames
 * end without one). `onGone` is called once the connection has closed.
 */
function _framedInput(
  readable: AsyncIterable<Uint8Array>,
  onGone: () => void,
): AsyncIterator<Uint8Array> & { drain(): Promise<void> } {
  const frames = readFrames(readable)[Symbol.asyncIterator]();
  let over = false;
  let draining: Promise<void> | undefined;
  let reading: Promise<unknown> = Promise.resolve();
  // What the client still sends is dropped; reading on sees the connection close.
  const drain = () =>
    draining ??= reading.then(async () => {
      over = true;
      for (;;) {
        const r = await frames.next();
        if (r.done || r.value.kind === "status") return onGone();
      }
    });
  return {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (over) return { done: true, value: undefined };
      const pending = frames.next();
      reading = pending.catch(() => {});
      const r = await pending;
      if (!r.done && r.value.kind === "data") return { done: false, value: r.value.bytes };
      over = true;
      if (!r.done && r.value.kind === "eof") drain();
      else onGone();
      return { done: true, value: undefined };
    },
    drain,
  };
}
