/**
 * Who may use a session on Windows. Deno's node:net makes a pipe with tokio's ServerOptions
 * (deno's ext/node op_node_pipe_listen): the first instance only (a name already taken fails
 * the listen), remote clients rejected, and no security attributes, so Windows' default
 * security applies: full control for its creator, SYSTEM and Administrators, read access for
 * Everyone and anonymous logons. Another local user can therefore open the pipe for reading
 * (the server sees a connection, and whatever it sends first is theirs), and can create a pipe
 * under a session's name while that session is not running, so that this user's client
 * reaches theirs. The pipe namespace is shared by every user on the machine.
 *
 * So both ends prove they hold this user's session key (32 random bytes in a file in the
 * user's socket dir, which under the user profile only the user, SYSTEM and Administrators
 * can read) before a byte of the session moves, without sending it:
 *
 *   client → server: "SHP1" + client nonce (32)
 *   server → client: server nonce (32) + HMAC-SHA256(key, "server" + both nonces)
 *   client → server: HMAC-SHA256(key, "client" + both nonces)
 *
 * The client speaks first, so a reader that cannot write gets nothing; the server proves
 * itself before the client does, so a pipe someone else created learns nothing it could use.
 * Only sockhop's own clients can reach a Windows session: a program that would connect to
 * the pipe itself reaches it through `sockhop connect NAME` or `forward`.
 */

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { SockhopError } from "./errors.ts";

/** The key file's name in the socket dir. */
export const KEY_FILE = "session.key";
const KEY_BYTES = 32;
const MAGIC = new TextEncoder().encode("SHP1");
const NONCE_BYTES = 32;
const MAC_BYTES = 32;
/** A handshake that takes longer is given up: a peer that never answers holds nothing. */
export const HANDSHAKE_MS = 10_000;

/** This user's session key: the first key file in `dirs`, if any. */
export function readSessionKey(dirs: readonly string[]): Uint8Array | undefined {
  for (const dir of dirs) {
    const path = `${dir}/${KEY_FILE}`;
    let key: Uint8Array;
    try {
      key = Deno.readFileSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    if (key.length !== KEY_BYTES) {
      throw new SockhopError(
        `Session key ${path} is damaged (${key.length} bytes, not ${KEY_BYTES}): remove it and start your sessions again`,
        "session-key",
      );
    }
    return key;
  }
  return undefined;
}

/** The session key in `dir`, created if there is none (two `serve` at once agree on one). */
export function ensureSessionKey(dir: string): Uint8Array {
  const existing = readSessionKey([dir]);
  if (existing) return existing;
  const path = `${dir}/${KEY_FILE}`;
  const temp = `${path}.${randomBytes(6).toString("hex")}`;
  Deno.writeFileSync(temp, randomBytes(KEY_BYTES), { mode: 0o600, createNew: true });
  try {
    // A link fails if the key appeared meanwhile, where a rename would replace it and cut off
    // the sessions that use it.
    Deno.linkSync(temp, path);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  } finally {
    Deno.removeSync(temp);
  }
  return readSessionKey([dir])!;
}

function _mac(key: Uint8Array, who: "client" | "server", a: Uint8Array, b: Uint8Array) {
  return createHmac("sha256", key).update(who).update(a).update(b).digest();
}

/** Exactly `n` bytes from a paused socket (the rest stays buffered for the relay). */
function _readExact(sock: Socket, n: number, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      sock.off("readable", onReadable);
      sock.off("end", onEnd);
      sock.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onReadable = () => {
      const chunk = sock.read(n) as Uint8Array | null;
      if (chunk === null) return;
      cleanup();
      if (chunk.length < n) reject(new Error("the pipe closed during the handshake"));
      else resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("the pipe closed during the handshake"));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      reject(new Error("no handshake in time"));
    };
    sock.on("readable", onReadable);
    sock.once("end", onEnd);
    sock.once("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
    onReadable();
  });
}

function _write(sock: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.write(bytes, (err) => err ? reject(err) : resolve());
  });
}

/**
 * The client's side: prove the pipe is this user's session and that this is its user. Throws
 * a SockhopError naming the pipe when the server cannot prove it holds the key. A probe
 * (`prove: false`) stops once the server has proved itself: the session is not opened.
 */
export async function clientHandshake(
  sock: Socket,
  key: Uint8Array,
  pipe: string,
  prove = true,
  timeoutMs = HANDSHAKE_MS,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const mine = randomBytes(NONCE_BYTES);
  await _write(sock, new Uint8Array([...MAGIC, ...mine]));
  let reply: Uint8Array;
  try {
    reply = await _readExact(sock, NONCE_BYTES + MAC_BYTES, signal);
  } catch (err) {
    throw new SockhopError(
      `Pipe ${pipe} did not answer as a sockhop session of this user (${
        (err as Error).message
      }): stop whatever created it, then start the session again`,
      "session-refused",
      { cause: err },
    );
  }
  const theirs = reply.subarray(0, NONCE_BYTES);
  const proof = reply.subarray(NONCE_BYTES);
  if (!timingSafeEqual(proof, _mac(key, "server", mine, theirs))) {
    throw new SockhopError(
      `Pipe ${pipe} was not created by this user's sockhop serve: stop whatever created it, then start the session again`,
      "session-refused",
    );
  }
  if (prove) await _write(sock, _mac(key, "client", mine, theirs));
}

/**
 * The server's side: undefined when the client proved it holds the key (nothing of the
 * session has been sent to it before), else why it is not let in (read-only openers, other
 * users, `list`'s probes, clients that stall or go away).
 */
export async function serverHandshake(
  sock: Socket,
  key: Uint8Array,
  timeoutMs = HANDSHAKE_MS,
): Promise<string | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const hello = await _readExact(sock, MAGIC.length + NONCE_BYTES, signal);
    if (!MAGIC.every((b, i) => hello[i] === b)) return "not a sockhop client";
    const theirs = hello.subarray(MAGIC.length);
    const mine = randomBytes(NONCE_BYTES);
    await _write(sock, new Uint8Array([...mine, ..._mac(key, "server", theirs, mine)]));
    const proof = await _readExact(sock, MAC_BYTES, signal);
    return timingSafeEqual(proof, _mac(key, "client", theirs, mine))
      ? undefined
      : "the client does not hold this user's session key";
  } catch (err) {
    return (err as Error).message;
  }
}
