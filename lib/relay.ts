/**
 * The one place where bytes are copied. Every path (serve, _proxy, connect, forward, the
 * built-in server) hands two duplex ends to `relay`, which copies both ways with backpressure
 * (a write is awaited before the next read) and half-close (one side's EOF ends only the
 * other side's writing; the reply keeps flowing).
 *
 * The two ends are not alike: `a` is the client's side (stdin/stdout, a connection, a channel)
 * and `b` the service's. A service that stops reading its input (it exited, or closed its
 * stdin) ends only that direction: what the client still sends is read and dropped, as sshd
 * does, so its reply still arrives and the client is not reset. A client that stops reading
 * (stdout is a closed pipe, the connection went) ends the whole relay: nobody is left to take
 * the service's bytes, and a service writing for ever would otherwise be held for good.
 */

/** One end of a byte stream. */
export interface Duplex {
  /** Chunks until EOF. A chunk is not reused by the producer once yielded. */
  readonly readable: AsyncIterable<Uint8Array>;
  /** Resolves when the writer can take more; rejects when the stream is broken. */
  write(chunk: Uint8Array): Promise<void>;
  /** Signal EOF to the peer; reading goes on. */
  closeWrite(): Promise<void>;
  /** Release everything, at once. Safe to call more than once. */
  close(): void;
  /**
   * Resolves when this end is over for good (its process exited, its channel closed): once
   * what it sent has been delivered, the relay stops reading the other side, as ssh ends
   * when the remote command does, however long its stdin stays open.
   */
  readonly ended?: Promise<void>;
  /**
   * On the service's end (`b`): the relay keeps it open until this resolves, even once both
   * directions are done: the peer still has something to say (a session's end status, sent
   * when its command exits).
   */
  readonly settled?: Promise<void>;
}

/** Bytes moved each way, and the first error if a side failed. */
export interface RelayResult {
  readonly aToB: number;
  readonly bToA: number;
  readonly error?: Error;
  /** Which end failed: "a" when the client's side could not be read or written. */
  readonly failed?: "a" | "b";
}

/** A write to the client's side failed: the relay is over (see the module comment). */
export class ClientGone extends Error {
  override name = "ClientGone";
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export interface RelayOptions {
  /** Called with byte counts as data moves (for status lines and logs). */
  onBytes?: (direction: "aToB" | "bToA", n: number) => void;
  /** Aborting closes both ends and ends the relay. */
  signal?: AbortSignal;
}

/**
 * Copy `src` into `dst` until EOF, then close `dst`'s writing side. Returns the byte count.
 * One write may be in flight while the next chunk is read, so a slow writer holds at most two
 * chunks; the overlap keeps both sides busy where a strict read-write-read would leave each
 * idle half the time. `onWriteFailed` decides what a failed write means: true goes on reading
 * `src` and drops what it gives; false (or a throw) ends the copy with the write's error.
 */
export async function pump(
  src: Duplex,
  dst: Duplex,
  onBytes: ((n: number) => void) | undefined,
  onWriteFailed: (err: unknown) => boolean,
): Promise<number> {
  let total = 0;
  let dropping = false;
  let inFlight: Promise<void> = Promise.resolve();
  const write = async (chunk: Uint8Array): Promise<void> => {
    try {
      await dst.write(chunk);
    } catch (err) {
      if (!onWriteFailed(err)) throw err;
      dropping = true;
      return;
    }
    total += chunk.length;
    onBytes?.(chunk.length);
  };
  for await (const chunk of src.readable) {
    if (chunk.length === 0) continue;
    await inFlight;
    if (dropping) continue;
    inFlight = write(chunk);
    // Its failure is taken at the next await; this only keeps it from counting as unhandled
    // while the next read waits.
    inFlight.catch(() => {});
  }
  await inFlight;
  if (!dropping) await dst.closeWrite();
  return total;
}

/**
 * Relay between `a` (the client's side) and `b` (the service's) until both directions have
 * ended, or either fails. Both ends are closed when it returns; it never throws: a failure is
 * in the result.
 */
export async function relay(
  a: Duplex,
  b: Duplex,
  options: RelayOptions = {},
): Promise<RelayResult> {
  let aToB = 0;
  let bToA = 0;
  let error: Error | undefined;
  let failed: "a" | "b" | undefined;
  const closeBoth = () => {
    a.close();
    b.close();
  };
  const fail = (err: unknown, end: "a" | "b" | undefined) => {
    if (!error) {
      error = err instanceof Error ? err : new Error(String(err));
      failed = end;
    }
    onFail();
    closeBoth();
  };
  let onFail = () => {};
  const failedP = new Promise<void>((r) => onFail = r);
  const onAbort = () => fail(new Error("Relay aborted"), undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  // Toward the service: a write that fails means the service stopped reading; the rest of
  // the client's bytes are dropped, its reply goes on (see the module comment).
  const fromA = pump(a, b, (n) => {
    aToB += n;
    options.onBytes?.("aToB", n);
  }, () => true).catch((err) => fail(err, "a"));
  // Toward the client: a write that fails means nobody reads the service any more.
  const fromB = pump(b, a, (n) => {
    bToA += n;
    options.onBytes?.("bToA", n);
  }, (err) => {
    throw new ClientGone(err);
  }).catch((err) => fail(err, err instanceof ClientGone ? "a" : "b"));
  // Reading one side stops when the other is over (a read cannot be taken back: the end is
  // closed below, which also ends the read). After a failure or an abort nothing is waited
  // for: a write to a pipe nobody reads may never return.
  await Promise.race([
    Promise.all([
      Promise.race([fromA, _over(b, fromB)]),
      Promise.race([fromB, _over(a, fromA)]),
    ]),
    failedP,
  ]);
  // A client that is over (its channel closed) has nobody left to tell.
  if (!error && b.settled) await Promise.race([b.settled, failedP, a.ended ?? failedP]);
  options.signal?.removeEventListener("abort", onAbort);
  closeBoth();
  if (!error) return { aToB, bToA };
  return failed ? { aToB, bToA, error, failed } : { aToB, bToA, error };
}

/** Resolves once `end` is over and all it sent has been delivered; never without `ended`. */
function _over(end: Duplex, delivered: Promise<unknown>): Promise<void> {
  if (!end.ended) return new Promise<void>(() => {});
  return Promise.all([end.ended, delivered]).then(() => {});
}
