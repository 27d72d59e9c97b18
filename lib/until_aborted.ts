/** Waiting for a connection that the user may interrupt (Ctrl-C while connecting). */

import { SockhopError } from "./errors.ts";

/** The promise, or an "Interrupted" error as soon as the signal aborts (Ctrl-C while connecting). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SockhopError("Interrupted while connecting", "interrupted"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
