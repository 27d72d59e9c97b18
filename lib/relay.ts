/**
 * The one place where bytes are copied. Every path (serve, _proxy, connect, forward, the
 * built-in server) hands two duplex ends to `relay`, which copies both ways with backpressure
 * (a write is awaited before the next read) and half-close (one side's EOF ends only the
 * other side's writing; the reply keeps flowing).
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
}

/** Bytes moved each way, and the first error if a side failed. */
export interface RelayResult {
  readonly aToB: number;
  readonly bToA: number;
  readonly error?: Error;
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
 * idle half the time.
 */
export async function pump(
  src: Duplex,
  dst: Duplex,
  onBytes?: (n: number) => void,
): Promise<number> {
  let total = 0;
  let inFlight: Promise<boolean> = Promise.resolve(true);
  const write = async (chunk: Uint8Array): Promise<boolean> => {
    try {
      await dst.write(chunk);
    } catch (err) {
      // The reader went away (it closed or exited): this direction is over, the other may
      // still carry its reply, as with a shut-down socket.
      if (isPeerGone(err)) return false;
      throw err;
    }
    total += chunk.length;
    onBytes?.(chunk.length);
    return true;
  };
  for await (const chunk of src.readable) {
    if (chunk.length === 0) continue;
    if (!await inFlight) return total;
    inFlight = write(chunk);
    // Its failure is taken at the next await; this only keeps it from counting as unhandled
    // while the next read waits.
    inFlight.catch(() => {});
  }
  if (!await inFlight) return total;
  await dst.closeWrite();
  return total;
}

/** A write failed because the other end stopped reading (EPIPE, ECONNRESET). */
export function isPeerGone(err: unknown): boolean {
  if (err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset) {
    return true;
  }
  const code = err && typeof err === "object" && "code" in err ? err.code : undefined;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED";
}

/**
 * Relay between `a` and `b` until both directions have ended, or either fails. Both ends are
 * closed when it returns; it never throws: a failure is in the result.
 */
export async function relay(
  a: Duplex,
  b: Duplex,
  options: RelayOptions = {},
): Promise<RelayResult> {
  let aToB = 0;
  let bToA = 0;
  let error: Error | undefined;
  const closeBoth = () => {
    a.close();
    b.close();
  };
  const fail = (err: unknown) => {
    error ??= err instanceof Error ? err : new Error(String(err));
    closeBoth();
  };
  const onAbort = () => fail(new Error("Relay aborted"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const fromA = pump(a, b, (n) => {
    aToB += n;
    options.onBytes?.("aToB", n);
  }).catch(fail);
  const fromB = pump(b, a, (n) => {
    bToA += n;
    options.onBytes?.("bToA", n);
  }).catch(fail);
  // Reading one side stops when the other is over (a read cannot be taken back: the end is
  // closed below, which also ends the read).
  await Promise.all([
    Promise.race([fromA, _over(b, fromB)]),
    Promise.race([fromB, _over(a, fromA)]),
  ]);
  options.signal?.removeEventListener("abort", onAbort);
  closeBoth();
  return error ? { aToB, bToA, error } : { aToB, bToA };
}

/** Resolves once `end` is over and all it sent has been delivered; never without `ended`. */
function _over(end: Duplex, delivered: Promise<unknown>): Promise<void> {
  if (!end.ended) return new Promise<void>(() => {});
  return Promise.all([end.ended, delivered]).then(() => {});
}
