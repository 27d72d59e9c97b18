/**
 * One load client: a byte stream to a session (an OpenSSH `ssh` process, or a TCP connection
 * to a `sockhop forward` listener) that is "ready" once a given text has arrived.
 */

export interface Link extends AsyncDisposable {
  /** Whether the ready text arrived; false: the stream ended first, failed or timed out. */
  readonly ready: Promise<boolean>;
  /** Why it was not ready (or failed later), for the log. */
  why(): string;
  /** Write `text`; with `end`, half-close afterwards. */
  send(text: string, end?: boolean): Promise<void>;
  /** Everything after the ready text, to EOF. */
  drain(): Promise<Uint8Array>;
}

interface _Parts {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  closeWrite(writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void>;
  why(): string;
  dispose(): Promise<void>;
}

/**
 * Generous: through a real sshd each stream is a login (the user's shell and its rc files)
 * plus a remote sockhop, and 100 of them at once take a while on a small machine.
 */
const READY_TIMEOUT_S = 120;

/** `argv` (an `ssh ...` command line), ready once `readyText` is on its stdout. */
export function sshLink(
  argv: readonly string[],
  env: Record<string, string>,
  readyText: string,
): Link {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (text) => void (stderr += text) }),
  );
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  return _link({
    readable: child.stdout,
    writable: child.stdin,
    closeWrite: (writer) => writer.close(),
    why: () => stderr.trim().split("\n").at(-1) ?? "",
    async dispose() {
      if (!exited) child.kill("SIGKILL");
      await status;
      await reading;
    },
  }, readyText);
}

/** A TCP connection to 127.0.0.1:`port`; sends `greeting`, ready once `readyText` is back. */
export async function tcpLink(port: number, readyText: string, greeting = ""): Promise<Link> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return _link(
    {
      readable: conn.readable,
      writable: conn.writable,
      closeWrite: () => conn.closeWrite(),
      why: () => "",
      dispose: () => Promise.resolve(_closeConn(conn)),
    },
    readyText,
    greeting,
  );
}

function _closeConn(conn: Deno.Conn) {
  try {
    conn.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

function _link(parts: _Parts, readyText: string, greeting = ""): Link {
  const reader = parts.readable.getReader();
  const writer = parts.writable.getWriter();
  const rest: Uint8Array[] = [];
  let failure = "";
  const fail = (err: unknown) => {
    failure ||= err instanceof Error ? err.message : String(err);
    return false;
  };
  const waiting = (async () => {
    if (greeting) await writer.write(new TextEncoder().encode(greeting));
    // One char per byte, so an index in `seen` is a byte offset.
    const decoder = new TextDecoder("latin1");
    let seen = "";
    for (;;) {
      const r = await reader.read();
      if (r.done) return fail("the stream ended before it was ready");
      seen += decoder.decode(r.value);
      const at = seen.indexOf(readyText);
      if (at < 0) continue;
      const after = seen.length - at - readyText.length;
      if (after) rest.push(r.value.subarray(r.value.length - after));
      return true;
    }
  })().catch(fail);
  return {
    ready: _timeout(
      waiting,
      READY_TIMEOUT_S * 1000,
      () => fail(`not ready within ${READY_TIMEOUT_S} s`),
    ),
    why: () => [failure, parts.why()].filter(Boolean).join(": "),
    async send(text, end = false) {
      await writer.write(new TextEncoder().encode(text));
      if (end) await parts.closeWrite(writer);
    },
    async drain() {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        rest.push(r.value);
      }
      const out = new Uint8Array(rest.reduce((n, c) => n + c.length, 0));
      let off = 0;
      for (const c of rest.splice(0)) {
        out.set(c, off);
        off += c.length;
      }
      return out;
    },
    async [Symbol.asyncDispose]() {
      await reader.cancel().catch(fail);
      await writer.abort().catch(fail);
      await parts.dispose();
    },
  };
}

/** `p`, or `onTimeout()` after `ms`; the timer does not outlive the race. */
function _timeout<T>(p: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => timer = setTimeout(() => resolve(onTimeout()), ms));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Open `count` links `batch` at a time, each batch ready (or given up) before the next starts:
 * the built-in server caps unauthenticated connections per source address.
 */
export async function openBatched(
  count: number,
  batch: number,
  open: (i: number) => Link | Promise<Link>,
  stack: AsyncDisposableStack,
): Promise<{ ready: Link[]; failed: string[] }> {
  const ready: Link[] = [];
  const failed: string[] = [];
  for (let first = 0; first < count; first += batch) {
    const links: Link[] = [];
    for (let i = first; i < Math.min(count, first + batch); i++) {
      links.push(stack.use(await open(i)));
    }
    const oks = await Promise.all(links.map((l) => l.ready));
    links.forEach((l, i) => oks[i] ? ready.push(l) : failed.push(l.why()));
  }
  return { ready, failed };
}
