/**
 * forward's one connection, kept up: made at start (its failure ends forward, as ssh's
 * ExitOnForwardFailure, unless --retry), made again with back-off when it goes (at once when
 * a local client is waiting, or on SIGHUP), never again on its own for a refused login or a
 * host key problem: those need the user.
 */

import { SockhopError, UsageError } from "./errors.ts";
import { backoffMs } from "./backoff.ts";
import { untilAborted } from "./until_aborted.ts";
import type { Connection, Connector, SessionStream } from "./transport.ts";

export type LinkState =
  | { readonly kind: "connecting" }
  | { readonly kind: "connected"; readonly attempts: number }
  | {
    readonly kind: "reconnecting";
    readonly attempt: number;
    readonly nextInMs: number;
    readonly why: string;
  }
  | { readonly kind: "stopped"; readonly why: string };

export interface LinkOptions {
  readonly connector: Connector;
  /** --retry: keep trying the first connection too; a refused login stops retrying only. */
  readonly retry: boolean;
  readonly onState: (state: LinkState) => void;
  /** For the jitter (tests pass their own). */
  readonly random?: () => number;
}

export interface Link {
  /** The first connection. Without --retry its failure is thrown; with, it goes on behind. */
  start(): Promise<void>;
  /** A stream over the connection; waits for it (and hurries it) when there is none. */
  open(): Promise<SessionStream>;
  /** SIGHUP: skip the back-off wait, or try again after a refused login. */
  wake(): void;
  /** Resolves with the failure that ends forward (a refused login, without --retry). */
  readonly fatal: Promise<Error>;
  close(): Promise<void>;
}

/** A failure that trying again cannot mend: a refused login, a host key problem, a usage error. */
export function needsUser(err: unknown): boolean {
  if (err instanceof UsageError) return true;
  if (
    err instanceof SockhopError &&
    /^(auth-|host-key|usage|ssh-missing|no-sshpass|no-prompt)/.test(err.code)
  ) return true;
  const text = err instanceof Error ? err.message : String(err);
  return _NEEDS_USER.test(text);
}

/** What ssh and plink say when the login or the host key is refused. */
const _NEEDS_USER = new RegExp(
  [
    "Permission denied \\(",
    "Host key verification failed",
    "REMOTE HOST IDENTIFICATION HAS CHANGED",
    "No supported authentication methods",
    "Server refused our key",
    "host key is not cached",
    "Host key does not match",
    "Too many authentication failures",
    "Wrong password",
    "host key is not known",
  ].join("|"),
  "i",
);

export function forwardLink(options: LinkOptions): Link {
  const { connector, onState } = options;
  let current: Connection | undefined;
  let stopped: Error | undefined;
  let closed = false;
  let trying = false;
  let skipWait: (() => void) | undefined;
  const waiters: { resolve: (c: Connection) => void; reject: (e: Error) => void }[] = [];
  const closing = new AbortController();
  let fail!: (err: Error) => void;
  const fatal = new Promise<Error>((r) => fail = r);

  const connected = (c: Connection, attempts: number) => {
    if (closed) return void c.close();
    current = c;
    onState({ kind: "connected", attempts });
    for (const w of waiters.splice(0)) w.resolve(c);
    c.lost.then((why) => {
      if (current !== c || closed) return;
      current = undefined;
      c.close();
      reconnect(why);
    });
  };
  const stop = (err: Error) => {
    stopped = err;
    onState({ kind: "stopped", why: err.message });
    for (const w of waiters.splice(0)) w.reject(_notConnected(err));
    if (!options.retry) fail(err);
  };
  /** Attempts until one connects or the failure needs the user; `why` the connection lost. */
  const reconnect = async (why: Error | undefined) => {
    for (let attempt = 1; !closed; attempt++) {
      const wait = why === undefined && attempt === 1 ? 0 : backoffMs(attempt, options.random);
      if (why) {
        onState({ kind: "reconnecting", attempt, nextInMs: wait, why: why.message });
      } else onState({ kind: "connecting" });
      // A local client already waiting: no wait at all.
      if (!waiters.length) await _sleep(wait, (skip) => skipWait = skip);
      skipWait = undefined;
      if (closed) break;
      trying = true;
      try {
        connected(await connector.connect(closing.signal), attempt);
        return;
      } catch (err) {
        why = err instanceof Error ? err : new Error(String(err));
        if (needsUser(err)) return stop(why);
      } finally {
        trying = false;
      }
    }
  };
  const connection = (): Promise<Connection> => {
    if (current) return Promise.resolve(current);
    if (stopped) return Promise.reject(_notConnected(stopped));
    if (closed) return Promise.reject(new SockhopError("forward is stopping", "interrupted"));
    skipWait?.();
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  return {
    async start() {
      if (options.retry) {
        reconnect(undefined);
        return;
      }
      onState({ kind: "connecting" });
      connected(await untilAborted(connector.connect(closing.signal), closing.signal), 1);
    },
    async open() {
      for (;;) {
        const c = await connection();
        try {
          return await Promise.race([
            c.open(),
            new Promise<never>((_, reject) => c.lost.then(reject)),
          ]);
        } catch (err) {
          // The connection went while the stream was being opened: on the next one.
          if (current === c || closed) throw err;
        }
      }
    },
    wake() {
      if (stopped && !trying && !current) {
        stopped = undefined;
        reconnect(undefined);
      } else skipWait?.();
    },
    fatal,
    async close() {
      closed = true;
      closing.abort();
      skipWait?.();
      for (const w of waiters.splice(0)) {
        w.reject(new SockhopError("forward is stopping", "interrupted"));
      }
      await current?.close();
      current = undefined;
    },
  };
}

function _notConnected(why: Error): SockhopError {
  return new SockhopError(`Not connected: ${why.message}`, "ssh-failed", { cause: why });
}

/** Wait `ms`, or less when the function handed to `onSkip` is called. */
function _sleep(ms: number, onSkip: (skip: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onSkip(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
