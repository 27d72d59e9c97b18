/**
 * How long to wait before the next attempt to reconnect: 0.1 s, doubling each time, up to
 * 5 minutes, as chisel does; each wait is drawn between half and all of that (jitter), so
 * that many forwards cut off together do not all come back at the same instant.
 */

export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;

/** The wait before attempt `attempt` (1 is the first retry), in ms. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const full = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}
