/**
 * Receive-window autotuning for ssh2's channels, on the built-in client and server alike.
 *
 * ssh2 (1.17.0) grants every channel a fixed 2 MiB window (lib/Channel.js MAX_WINDOW) and tops
 * it up to 2 MiB once half is used: one channel cannot move more than 2 MiB per round trip
 * (about 20 MB/s at 100 ms), whatever the link or the CPU. Here a channel's window grows with
 * the measured bandwidth-delay product, as HPN-SSH's does. The round trip is timed with a
 * keepalive request (what ssh2's keepalive sends; every server and client answers it), the
 * least one seen being the link's; the bandwidth is what the channel received over the last
 * round trip. When that product reaches half the window, the window was what held the sender
 * back: it grows fourfold. It halves each time the reader falls behind (ssh2's readable side is
 * full), so a slow reader holds at most one window of data. Windows are capped per channel
 * and, above ssh2's own 2 MiB, share one budget per process.
 *
 * ssh2 has no hook for any of this: the connection's CHANNEL_DATA handler is wrapped, the one
 * point where ssh2 counts the window down and tops it up (ssh2 looks the handler up for every
 * packet). It runs ssh2's own handler first, then tops the window up to the tuned size itself.
 * docs/upstream/channel-window-autotuning.md
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";

/** ssh2's window: what a channel starts with, and the least it goes back to. */
export const INITIAL_WINDOW = 2 * 1024 * 1024;
/** One channel's most: 168 MB/s at 100 ms, 84 MB/s at 200 ms. */
export const CHANNEL_MAX_WINDOW = 16 * 1024 * 1024;
/** All channels of the process together, above INITIAL_WINDOW each. */
export const PROCESS_EXTRA_WINDOW = 64 * 1024 * 1024;
/** The shortest span a bandwidth is measured over (a loopback round trip is far shorter). */
const MIN_EPOCH_MS = 10;
/** Round trips are timed at most this often while data flows. */
const PING_EVERY_MS = 2000;
/** A window that held the sender back grows this many times over (one round trip each). */
const GROWTH = 4;
/** A reader behind for longer than this is slower than the link. */
const SLOW_READER_MS = 250;

/** Window bytes granted beyond INITIAL_WINDOW, shared by a process's channels. */
export class WindowBudget {
  #used = 0;
  constructor(readonly limit: number) {}
  get used(): number {
    return this.#used;
  }
  /** Up to `n` bytes, as many as are left. */
  take(n: number): number {
    const got = Math.max(0, Math.min(n, this.limit - this.#used));
    this.#used += got;
    return got;
  }
  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}

const PROCESS_BUDGET = new WindowBudget(PROCESS_EXTRA_WINDOW);

/** A connection's round trip: the least time a keepalive request took to be answered. */
export class LinkRtt {
  #min: number | undefined;
  #sent: number[] = [];
  #last = -Infinity;
  constructor(private readonly send: () => void) {}
  /** Milliseconds, once one answer came. */
  get rtt(): number | undefined {
    return this.#min;
  }
  /** Send a request unless one is out or one went lately. */
  maybePing(now: number): void {
    if (this.#sent.length > 0 || now - this.#last < PING_EVERY_MS) return;
    this.#sent.push(now);
    this.#last = now;
    this.send();
  }
  /** An answer arrived (answers come in the order of the requests). */
  onReply(now: number): void {
    const sent = this.#sent.shift();
    if (sent !== undefined) this.#min = Math.min(this.#min ?? Infinity, now - sent);
  }
}

/** One channel's tuned window: pure logic, fed with what ssh2 saw. */
export class TunedWindow {
  #target = INITIAL_WINDOW;
  #behindSince: number | undefined;
  #released = false;
  #epochStart: number | undefined;
  #epochBytes = 0;
  constructor(
    private readonly budget: WindowBudget = PROCESS_BUDGET,
    private readonly max = CHANNEL_MAX_WINDOW,
    private readonly onResize: (window: number) => void = () => {},
  ) {}
  /** The window the channel is topped up to. */
  get target(): number {
    return this.#target;
  }
  /**
   * `bytes` arrived at `now` (ms): `readerSlow` whether the reader's buffer is full, `window`
   * what remains granted after ssh2's own top-up, `rtt` the link's round trip if known.
   * Returns how many bytes to grant now (0: none).
   */
  onData(bytes: number, now: number, readerSlow: boolean, window: number, rtt?: number): number {
    if (this.#released) return 0;
    if (readerSlow) this.#behindSince ??= now;
    this.#measure(bytes, now, rtt);
    return this.grant(window);
  }
  /**
   * The reader took what was buffered at `now`. Behind for longer than SLOW_READER_MS (a
   * burst of a whole window is read well within it), it is slower than the link: the window
   * halves, to hold less of what it has not read.
   */
  onDrain(now: number): void {
    if (this.#behindSince === undefined) return;
    if (now - this.#behindSince > SLOW_READER_MS) {
      this.#resize(Math.max(INITIAL_WINDOW, this.#target / 2));
    }
    this.#behindSince = undefined;
  }
  /** How many bytes to grant when `window` remains (0: none yet). */
  grant(window: number): number {
    if (this.#released || this.#behindSince !== undefined) return 0;
    return window <= this.#target / 2 ? this.#target - window : 0;
  }
  /** The channel is gone: its share of the budget goes back. */
  release(): void {
    if (this.#released) return;
    this.#resize(INITIAL_WINDOW);
    this.#released = true;
  }
  /** Bandwidth over at least a round trip; growing when its product fills half the window. */
  #measure(bytes: number, now: number, rtt: number | undefined) {
    if (this.#epochStart === undefined || rtt === undefined) {
      this.#epochStart = now;
      this.#epochBytes = 0;
      return;
    }
    this.#epochBytes += bytes;
    const span = now - this.#epochStart;
    if (span < Math.max(rtt, MIN_EPOCH_MS)) return;
    const product = this.#epochBytes / span * rtt;
    const keepingUp = this.#behindSince === undefined;
    if (keepingUp && product >= this.#target / 2 && this.#target < this.max) {
      this.#resize(Math.min(this.max, this.#target * GROWTH));
    }
    this.#epochStart = now;
    this.#epochBytes = 0;
  }
  #resize(want: number) {
    const was = this.#target;
    if (want > was) {
      this.#target += this.budget.take(want - was);
    } else {
      this.budget.give(was - want);
      this.#target = want;
    }
    if (this.#target !== was && !this.#released) this.onResize(this.#target);
  }
}

/** What of ssh2's channel and connection objects the tuning uses. */
interface Channel {
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _waitChanDrain: boolean;
  _channel?: Channel;
  _read(n: number): void;
  once(event: "close", listener: () => void): unknown;
}

type Handler = (...args: unknown[]) => unknown;

interface Internals {
  _protocol?: {
    _handlers?: Record<string, Handler | undefined>;
    channelWindowAdjust(id: number, amount: number): void;
    ping(): void;
  };
  _chanMgr?: { get(id: number): unknown };
  /** A Client's queue of answers awaited to its global requests (a server has none). */
  _callbacks?: Handler[];
}

const _windows = new WeakMap<Channel, TunedWindow>();

/**
 * Tune the windows of every channel of `conn`: a Client once `connect` was called, or a
 * server Connection from the server's "connection" event. `onResize` hears of every change of
 * a channel's window (for the debug log).
 */
export function autotuneWindows(
  conn: ssh2.Client | ssh2.Connection,
  onResize: (window: number) => void = () => {},
): void {
  const internals = conn as unknown as Internals;
  const proto = internals._protocol;
  const handlers = proto?._handlers;
  const original = handlers?.CHANNEL_DATA;
  if (
    !proto || !handlers || !original || typeof proto.channelWindowAdjust !== "function" ||
    typeof proto.ping !== "function"
  ) {
    throw new Error("ssh2's channel internals are not where they were: check ssh2");
  }
  const link = _linkRtt(internals, proto, handlers);
  // Timed once logged in, so that the first window can grow as soon as data flows.
  (conn as unknown as { once(e: "ready", f: () => void): unknown }).once(
    "ready",
    () => link.maybePing(performance.now()),
  );
  handlers.CHANNEL_DATA = (p: unknown, recipient: unknown, data: unknown) => {
    const channel = _channelOf(internals, recipient as number);
    const result = original(p, recipient, data);
    if (!channel || channel.outgoing.state === "closed") return result;
    const now = performance.now();
    link.maybePing(now);
    let tuned = _windows.get(channel);
    tuned ??= _tune(
      channel,
      (amount) => proto.channelWindowAdjust(channel.outgoing.id, amount),
      onResize,
    );
    const bytes = (data as Uint8Array).length;
    const window = channel.incoming.window;
    const grant = tuned.onData(bytes, now, channel._waitChanDrain, window, link.rtt);
    if (grant > 0) {
      channel.incoming.window += grant;
      proto.channelWindowAdjust(channel.outgoing.id, grant);
    }
    return result;
  };
}

/**
 * A channel's tuned window, released when it closes. When its reader catches up, ssh2 tops
 * the window up to its own 2 MiB: the tuned size is restored at the same moment.
 */
function _tune(
  channel: Channel,
  adjust: (amount: number) => void,
  onResize: (window: number) => void,
): TunedWindow {
  const tuned = new TunedWindow(PROCESS_BUDGET, CHANNEL_MAX_WINDOW, onResize);
  _windows.set(channel, tuned);
  channel.once("close", () => tuned.release());
  const read = channel._read;
  channel._read = function (this: Channel, n: number) {
    tuned.onDrain(performance.now());
    read.call(this, n);
    const grant = tuned.grant(this.incoming.window);
    if (grant > 0 && this.outgoing.state !== "closed") {
      this.incoming.window += grant;
      adjust(grant);
    }
  };
  return tuned;
}

/**
 * The round trip, timed with ssh2's own keepalive request. A Client matches answers with its
 * queue of callbacks (one is added, as ssh2's keepalive does); a server sends no other global
 * request, so each answer is ours.
 */
function _linkRtt(
  internals: Internals,
  proto: NonNullable<Internals["_protocol"]>,
  handlers: Record<string, Handler | undefined>,
): LinkRtt {
  const client = Array.isArray(internals._callbacks);
  const link = new LinkRtt(() => {
    if (client) internals._callbacks!.push(() => link.onReply(performance.now()));
    proto.ping();
  });
  if (!client) {
    for (const name of ["REQUEST_SUCCESS", "REQUEST_FAILURE"]) {
      const before = handlers[name];
      handlers[name] = (...args: unknown[]) => {
        link.onReply(performance.now());
        return before?.(...args);
      };
    }
  }
  return link;
}

/** The channel a packet is for (the server keeps a session's channel inside its Session). */
function _channelOf(internals: Internals, recipient: number): Channel | undefined {
  const entry = internals._chanMgr?.get(recipient) as Channel | undefined;
  const channel = entry && typeof entry === "object" && !entry.incoming ? entry._channel : entry;
  return channel && typeof channel === "object" && channel.incoming ? channel : undefined;
}

/** The window a channel is topped up to now (INITIAL_WINDOW if untuned), for tests and logs. */
export function tunedWindowOf(channel: unknown): number {
  return _windows.get(channel as Channel)?.target ?? INITIAL_WINDOW;
}

/** A debug line for a window change. */
export function windowMessage(window: number): string {
  return `channel receive window now ${window / 1048576} MiB`;
}
