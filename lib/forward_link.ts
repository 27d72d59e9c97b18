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

/**
 * A failure that trying again cannot mend: a refused login, a host key problem, a usage error.
 * Told by the error's code, which the reader of ssh's output gives (ssh_decisive_line.ts).
 */
export function needsUser(err: unknown): boolean {
  if (err instanceof UsageError) return true;
  return err instanceof SockhopError &&
    /^(auth-|host-key|usage|ssh-missing|no-sshpass|no-prompt)/.test(err.code);
}

export function forwardLink(options: LinkOptions): Link {
  return new _Link(options);
}

type _Waiter = { resolve: (c: Connection) => void; reject: (e: Error) => void };

class _Link implements Link {
  #current: Connection | undefined;
  /** A failure that needs the user: no attempt until SIGHUP. */
  #stopped: Error | undefined;
  #closed = false;
  #trying = false;
  #skipWait: (() => void) | undefined;
  readonly #waiters: _Waiter[] = [];
  readonly #closing = new AbortController();
  #fail!: (err: Error) => void;
  readonly fatal = new Promise<Error>((r) => this.#fail = r);

  constructor(private readonly options: LinkOptions) {}

  async start() {
    if (this.options.retry) return void this.#reconnect(undefined);
    this.options.onState({ kind: "connecting" });
    const signal = this.#closing.signal;
    this.#connected(await untilAborted(this.options.connector.connect(signal), signal), 1);
  }

  async open(): Promise<SessionStream> {
    for (;;) {
      const c = await this.#connection();
      try {
        return await Promise.race([c.open(), new Promise<never>((_, no) => c.lost.then(no))]);
      } catch (err) {
        // The connection went while the stream was being opened: on the next one.
        if (this.#current === c || this.#closed) throw err;
      }
    }
  }

  wake() {
    if (this.#stopped && !this.#trying && !this.#current) {
      this.#stopped = undefined;
      this.#reconnect(undefined);
    } else this.#skipWait?.();
  }

  async close() {
    this.#closed = true;
    this.#closing.abort();
    this.#skipWait?.();
    const stopping = new SockhopError("forward is stopping", "interrupted");
    for (const w of this.#waiters.splice(0)) w.reject(stopping);
    await this.#current?.close();
    this.#current = undefined;
  }

  #connected(c: Connection, attempts: number) {
    if (this.#closed) return void c.close();
    this.#current = c;
    this.options.onState({ kind: "connected", attempts });
    for (const w of this.#waiters.splice(0)) w.resolve(c);
    c.lost.then((why) => {
      if (this.#current !== c || this.#closed) return;
      this.#current = undefined;
      c.close();
      this.#reconnect(why);
    });
  }

  #stop(err: Error) {
    this.#stopped = err;
    this.options.onState({ kind: "stopped", why: err.message });
    for (const w of this.#waiters.splice(0)) w.reject(_notConnected(err));
    if (!this.options.retry) this.#fail(err);
  }

  /** Attempts until one connects or the failure needs the user; `why` the connection lost. */
  async #reconnect(why: Error | undefined) {
    const { connector, onState, random } = this.options;
    for (let attempt = 1; !this.#closed; attempt++) {
      const wait = why === undefined && attempt === 1 ? 0 : backoffMs(attempt, random);
      if (why) onState({ kind: "reconnecting", attempt, nextInMs: wait, why: why.message });
      else onState({ kind: "connecting" });
      // A local client already waiting: no wait at all.
      if (!this.#waiters.length) await _sleep(wait, (skip) => this.#skipWait = skip);
      this.#skipWait = undefined;
      if (this.#closed) break;
      this.#trying = true;
      try {
        return this.#connected(await connector.connect(this.#closing.signal), attempt);
      } catch (err) {
        why = err instanceof Error ? err : new Error(String(err));
        if (needsUser(err)) return this.#stop(why);
      } finally {
        this.#trying = false;
      }
    }
  }

  #connection(): Promise<Connection> {
    if (this.#current) return Promise.resolve(this.#current);
    if (this.#stopped) return Promise.reject(_notConnected(this.#stopped));
    if (this.#closed) {
      return Promise.reject(new SockhopError("forward is stopping", "interrupted"));
    }
    this.#skipWait?.();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
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
