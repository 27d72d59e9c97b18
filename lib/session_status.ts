/**
 * What a session is, asked of its `serve` over the status socket (session_frames.ts): the
 * client's first frame is a probe ("P") or a stop ("Q") instead of a connect ("C"), and serve
 * answers one "I" frame without connecting to its target. `list` shows it, `stop` ends a serve
 * with it, and `start` knows its own serve by the id it gave it.
 */

import {
  encodeFrame,
  framedPath,
  HELLO_CONNECT,
  readOneFrame,
  trustedCompanion,
  writeAll,
} from "./session_frames.ts";
import { errorCode } from "./errors.ts";
import type { Duplex } from "./relay.ts";
import { connectPipe } from "./session_socket.ts";
import { fromDenoConn, readLoop } from "./streams.ts";

/** A session as its serve describes it. */
export interface SessionInfo {
  readonly name: string;
  readonly pid: number;
  /** The target as given, secrets masked (see maskSecrets). */
  readonly target: string;
  /** When serve started, ISO 8601. */
  readonly started: string;
  /** Connections open now. */
  readonly clients: number;
  /** The id serve was started with (`serve --start-id`), if any. */
  readonly id?: string;
  /** The log file serve writes, if it knows one. */
  readonly log?: string;
}

/** What a client's first frame asks for. */
export type HelloKind = "connect" | "probe" | "stop";

const PROBE = 0x50;
const STOP = 0x51;
const INFO = 0x49;
/** An info frame is a short JSON object; anything longer is not this protocol. */
const INFO_MAX = 16 * 1024;
/** How long serve waits for a client's first frame before closing the connection. */
export const HELLO_WAIT_MS = 10_000;

const _KINDS: Record<number, HelloKind> = {
  [HELLO_CONNECT]: "connect",
  [PROBE]: "probe",
  [STOP]: "stop",
};

/**
 * serve's side: the client's first frame, and the bytes read after it (the start of a
 * connect's data). Undefined when it is not one of ours, or does not come in `waitMs`.
 */
export function readHello(
  conn: Deno.Conn,
  waitMs = HELLO_WAIT_MS,
): Promise<{ kind: HelloKind; rest: Uint8Array } | undefined> {
  return readHelloChunks(readLoop((p) => conn.read(p), () => false), waitMs);
}

/** readHello from a stream's chunks: a session pipe, where the frames follow its handshake. */
export async function readHelloChunks(
  chunks: AsyncIterator<Uint8Array>,
  waitMs = HELLO_WAIT_MS,
): Promise<{ kind: HelloKind; rest: Uint8Array } | undefined> {
  // A hello has no payload: a longer frame is not one.
  const frame = await _within(readOneFrame(chunks, 0), waitMs, () => undefined);
  const kind = frame && _KINDS[frame.type];
  return kind ? { kind, rest: frame.rest } : undefined;
}

/** serve's answer to a probe or a stop. */
export async function sendInfo(conn: Deno.Conn, info: SessionInfo): Promise<void> {
  await writeAll(conn, infoFrame(info));
}

/**
 * Ask the serve of the session socket `path` (a probe, or a stop): over its status socket, or
 * with the session `key` (Windows: a session pipe, through its handshake) over the pipe itself.
 * Undefined when no status socket of this user's answers there: none (an xpra socket, an older
 * serve), or one whose serve is gone; throws Deno.errors.TimedOut when one took the connection
 * and said nothing in time (a busy serve). Never connects to a session's service.
 */
export async function askSession(
  path: string,
  request: "probe" | "stop",
  waitMs = 2000,
  key?: Uint8Array,
): Promise<SessionInfo | undefined> {
  const stream = key ? await connectPipe(path, key) : await _companion(path);
  if (!stream) return undefined;
  try {
    await stream.write(encodeFrame(request === "probe" ? PROBE : STOP, new Uint8Array(0)));
    return await _within(_readInfo(stream.readable[Symbol.asyncIterator]()), waitMs, () => {
      throw new Deno.errors.TimedOut(`its serve did not answer in ${waitMs / 1000} s`);
    });
  } catch (err) {
    // The serve went away while answering: as good as no answer.
    if (
      err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe ||
      errorCode(err) === "EPIPE" || errorCode(err) === "ECONNRESET"
    ) {
      return undefined;
    }
    throw err;
  } finally {
    stream.close();
  }
}

/** The status socket of the session socket `path`, when one of this user's accepts. */
async function _companion(path: string): Promise<Duplex | undefined> {
  const companion = framedPath(path);
  if (Deno.build.os === "windows" || !trustedCompanion(companion)) return undefined;
  try {
    return fromDenoConn(await Deno.connect({ transport: "unix", path: companion }));
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.NotFound) {
      return undefined;
    }
    throw err;
  }
}

async function _readInfo(chunks: AsyncIterator<Uint8Array>): Promise<SessionInfo | undefined> {
  const frame = await readOneFrame(chunks, INFO_MAX);
  if (frame?.type !== INFO) return undefined;
  return parseInfo(new TextDecoder().decode(frame.payload));
}

/** `promise`, or what `onLate` returns (or throws) once `ms` have passed. */
async function _within<T>(promise: Promise<T>, ms: number, onLate: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve, reject) =>
    timer = setTimeout(() => {
      try {
        resolve(onLate());
      } catch (err) {
        reject(err);
      }
    }, ms)
  );
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The frame that answers a probe or a stop. */
export function infoFrame(info: SessionInfo): Uint8Array {
  return encodeFrame(INFO, new TextEncoder().encode(JSON.stringify(info)));
}

/** An info frame's JSON, checked field by field; undefined when it is not one. */
export function parseInfo(text: string): SessionInfo | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const str = (x: unknown, max = 4096) => typeof x === "string" ? x.slice(0, max) : undefined;
  const name = str(v?.name, 256);
  const target = str(v?.target);
  const started = str(v?.started, 64);
  if (name === undefined || target === undefined || started === undefined) return undefined;
  if (!Number.isSafeInteger(v.pid) || !Number.isSafeInteger(v.clients)) return undefined;
  const id = str(v.id, 256);
  const log = str(v.log);
  return {
    name,
    pid: v.pid as number,
    target,
    started,
    clients: v.clients as number,
    ...(id !== undefined ? { id } : {}),
    ...(log !== undefined ? { log } : {}),
  };
}

/**
 * A target as `list` may show it: the password of a URL (`scheme://user:PASSWORD@`) and the
 * value of a word such as `--password=X` or `PGPASSWORD=X` masked.
 */
export function maskSecrets(target: string): string {
  return target
    .replace(/(\/\/[^/\s:@]*):[^/\s@]*@/g, "$1:***@")
    .replace(
      /((?:^|\s)(?:--?)?[A-Za-z_]*(?:pass(?:word)?|secret|token|key)[A-Za-z_]*=)\S+/gi,
      "$1***",
    );
}
