/** Running the sockhop CLI as a subprocess, as a user would, in a throwaway socket dir. */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
export const DENO = Deno.execPath();

/**
 * What the tests run as sockhop: `SOCKHOP_BIN=PATH` names a built artifact (the bundle, or a
 * compiled binary in the release workflow), so the suite checks what ships; otherwise main.ts
 * from source. Also the path that identifies sockhop's own process in a command line.
 */
export const SOCKHOP = Deno.env.get("SOCKHOP_BIN") ? resolve(Deno.env.get("SOCKHOP_BIN")!) : MAIN;

/** The argv prefix that runs sockhop: SOCKHOP_BIN's artifact, or main.ts from source. */
export function sockhopArgv(): string[] {
  return artifactArgv(SOCKHOP);
}

/**
 * The argv that runs one sockhop artifact: a script through `deno run -A` (a bundle with no
 * config, as it runs where it is copied to), anything else directly.
 */
export function artifactArgv(path: string): string[] {
  if (path.endsWith(".ts")) return [DENO, "run", "-A", "--quiet", path];
  if (/\.[cm]?js$/.test(path)) return [DENO, "run", "-A", "--quiet", "--no-config", path];
  return [path];
}

/**
 * Wait until `ok()` holds, looking every 50 ms (after `step()`, if given), for at most `ms`:
 * bounded generously, as CI machines are slow at times; never a timed assertion.
 */
export async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms = 60000,
  step: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const deadline = Date.now() + ms;
  for (await step(); !(await ok()); await step()) {
    if (Date.now() > deadline) throw new Error(`Not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `promise`, or a failure naming `what` (and `context()`, a log) after `ms`: a guard against a
 * hang, which would stall the whole suite, not a measure of speed.
 */
export async function within<T>(
  ms: number,
  what: string,
  promise: Promise<T>,
  context: () => string = () => "",
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Not within ${ms / 1000} s: ${what}\n${context()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A temp dir for one test (in `parent`, by default the system's), removed by dispose. */
export async function tempDir(
  prefix = "sockhop-test-",
  parent?: string,
): Promise<string & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix, ...(parent ? { dir: `${parent}` } : {}) });
  return Object.assign(dir, {
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    },
  }) as string & AsyncDisposable;
}

export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Start sockhop (or `argv`'s program) with `args`, every stdio piped. */
export function spawnPiped(
  args: string[],
  env: Record<string, string>,
  opts: { argv?: string[]; cwd?: string } = {},
): Deno.ChildProcess {
  const [cmd, ...rest] = opts.argv ?? sockhopArgv();
  return new Deno.Command(cmd!, {
    args: [...rest, ...args],
    env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Run sockhop with `args`, feeding `stdin`, and collect everything. */
export async function runSockhop(
  args: string[],
  opts: {
    env?: Record<string, string>;
    stdin?: Uint8Array | ReadableStream<Uint8Array>;
    /** Another way to start sockhop than sockhopArgv(), e.g. inside a network namespace. */
    argv?: string[];
    cwd?: string;
    /** A guard against a hang (not a measure of speed): killed after this long. */
    limitMs?: number;
  } = {},
): Promise<RunResult> {
  const child = spawnPiped(args, opts.env ?? {}, {
    ...(opts.argv ? { argv: opts.argv } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const limitMs = opts.limitMs ?? HANG_MS;
  let killed = false;
  const timer = killAfter(child, limitMs, () => killed = true);
  const feeding = (async () => {
    if (opts.stdin instanceof ReadableStream) {
      await opts.stdin.pipeTo(child.stdin).catch(() => {});
    } else {
      const w = child.stdin.getWriter();
      if (opts.stdin) await w.write(opts.stdin).catch(() => {});
      await w.close().catch(() => {});
    }
  })();
  const [out] = await Promise.all([child.output(), feeding]).finally(() => clearTimeout(timer));
  const stderr = new TextDecoder().decode(out.stderr) +
    (killed ? `\n[the test killed sockhop ${args[0]} after ${limitMs / 1000} s]\n` : "");
  return { code: out.code, stdout: out.stdout, stderr };
}

/**
 * How long a test lets a process run that should end on its own, before it kills it: far
 * above any run here, only so that a hang fails its test instead of stalling the suite.
 */
export const HANG_MS = 300_000;

/** SIGKILL for `child` after `ms` unless the timer is cleared; `onKill` hears of it. */
function killAfter(child: Deno.ChildProcess, ms: number, onKill = () => {}) {
  return setTimeout(() => {
    onKill();
    try {
      child.kill("SIGKILL");
    } catch { /* ended meanwhile */ }
  }, ms);
}

/**
 * `child.output()`, the child killed after `ms` (a hang fails instead of stalling the suite;
 * a grandchild that keeps its pipes open fails it too, a little later).
 */
export async function outputOrKill(
  child: Deno.ChildProcess,
  what: string,
  ms = HANG_MS,
): Promise<Deno.CommandOutput> {
  const timer = killAfter(child, ms);
  try {
    return await within(ms + 15_000, what, child.output());
  } finally {
    clearTimeout(timer);
  }
}

/** After a stop signal, how long before SIGKILL. */
const STOP_KILL_MS = 30_000;

/** `child`'s status after `signal`, or after SIGKILL if it has not ended within STOP_KILL_MS. */
export async function stopChild(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
): Promise<Deno.CommandStatus> {
  try {
    child.kill(signal);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  const timer = killAfter(child, STOP_KILL_MS);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run sockhop with a stdin that stays open and silent: resolves with its output and how long
 * it took to end on its own (it is killed after `limitMs`).
 */
export async function runWithOpenStdin(
  args: string[],
  env: Record<string, string>,
  limitMs = 10000,
): Promise<RunResult & { ms: number }> {
  const t0 = Date.now();
  const child = spawnPiped(args, env);
  const timer = killAfter(child, limitMs);
  const out = await child.output();
  const ms = Date.now() - t0;
  clearTimeout(timer);
  await child.stdin.close().catch(() => {});
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr), ms };
}

/** A `sockhop serve` running in the background. */
export interface ServeProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Start `sockhop serve ARGS` and wait until its socket is up (or, given `ready`, until it says
 * so: a serve that logs to a file says nothing on stderr).
 */
export async function startServe(
  args: string[],
  env: Record<string, string>,
  opts: { argv?: string[]; cwd?: string; ready?: () => Promise<boolean>; startMs?: number } = {},
): Promise<ServeProcess> {
  const [cmd, ...rest] = opts.argv ?? sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, "serve", ...args],
    env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) log += decoder.decode(chunk, { stream: true });
  })();
  const outDone = child.stdout.pipeTo(new WritableStream());
  const deadline = Date.now() + (opts.startMs ?? 15000);
  const ready = args.some((a) => a.startsWith("--bind-")) ? /listening on / : / at (\/\S+)/;
  while (!(opts.ready ? await opts.ready() : ready.test(log))) {
    const status = await Promise.race([child.status, new Promise((r) => setTimeout(r, 50))]);
    if (status || Date.now() > deadline) {
      if (!status) child.kill("SIGKILL");
      await child.status;
      await reading;
      await outDone;
      throw new Error(`sockhop serve did not start:\n${log}`);
    }
  }
  let stopped: Promise<number> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      const status = await stopChild(child, signal);
      await reading;
      await outDone;
      return status.code;
    })();
    return stopped;
  };
  return { child, log: () => log, stop, [Symbol.asyncDispose]: async () => void await stop() };
}

export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `n` random bytes (crypto quality is not needed, only incompressible bytes). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

/** The environment a test gives sockhop: only what it needs, and its own socket dir. */
export function testEnv(
  socketDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const keep = ["PATH", "HOME", "USER", "LOGNAME", "DENO_DIR", "TMPDIR", "LANG"];
  const env: Record<string, string> = {};
  for (const k of keep) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return {
    ...env,
    SOCKHOP_SOCKET_DIRS: socketDir,
    SOCKHOP_XPRA_DIRS: `${socketDir}/xpra`,
    NO_COLOR: "1",
    ...extra,
  };
}
