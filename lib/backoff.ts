/**
 * The one back-off of sockhop: a wait that starts at `first` ms and doubles at each attempt up
 * to `cap` ms. Reconnecting (`forward`) draws each wait between half and all of it (jitter);
 * a listener that cannot accept pauses for the whole of it.
 */

/** Reconnecting: 0.1 s, doubling each time, up to 5 minutes, as chisel does. */
export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;

/** The doubling wait before attempt `attempt` (1 is the first retry), in ms, no jitter. */
export function doublingMs(attempt: number, first: number, cap: number): number {
  return Math.min(cap, first * 2 ** Math.max(0, attempt - 1));
}

/**
 * The wait before reconnect attempt `attempt` (1 is the first retry), in ms: drawn between
 * half and all of the doubling wait, so that many forwards cut off together do not all come
 * back at the same instant.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const full = doublingMs(attempt, BACKOFF_FIRST_MS, BACKOFF_CAP_MS);
  return Math.round(full / 2 + random() * (full / 2));
}
