/** Processes under load: their memory, sampled, and a sockhop command kept running. */

import { sockhopArgv } from "../tests/_cli.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of `pid` in MiB (VmRSS), or undefined once it has exited. */
export function rssMiB(pid: number): number | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** Like rssMiB, for a process that must be running. */
export function liveRss(pid: number): number {
  const mib = rssMiB(pid);
  if (mib === undefined) throw new Error(`process ${pid} is gone`);
  return mib;
}

export interface RssRange {
  readonly start: number;
  readonly max: number;
  readonly end: number;
  /** Every sample, rounded to 0.1 MiB. */
  readonly series: readonly number[];
}

/** Sample the RSS of each named process every `everyMs`, until stop(). */
export function sampleRss(pids: Record<string, number>, everyMs = 500) {
  const seen: Record<string, number[]> = {};
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const mib = rssMiB(pid);
      if (mib !== undefined) (seen[name] ??= []).push(mib);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop(): Record<string, RssRange> {
      clearInterval(timer);
      const out: Record<string, RssRange> = {};
      for (const [name, xs] of Object.entries(seen)) {
        const series = xs.map((x) => Math.round(x * 10) / 10);
        out[name] = { start: xs[0]!, max: Math.max(...xs), end: xs.at(-1)!, series };
      }
      return out;
    },
  };
}

/** A sockhop subcommand running in the background. */
export interface SockhopProcess extends AsyncDisposable {
  readonly pid: number;
  /** What `ready` matched in its stderr (e.g. the address it listens on). */
  readonly match: RegExpExecArray;
  log(): string;
}

/** Start `sockhop ARGS` and wait until its stderr matches `ready`. */
export async function startSockhop(
  args: readonly string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<SockhopProcess> {
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (text) => void (log += text) }),
  );
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const stop = async () => {
    if (!exited) child.kill("SIGINT");
    await status;
    await reading;
  };
  const deadline = Date.now() + 15000;
  let match: RegExpExecArray | null;
  while (!(match = ready.exec(log))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      await stop();
      throw new Error(`sockhop ${args[0]} did not start:\n${log}`);
    }
    await sleep(50);
  }
  return { pid: child.pid, match, log: () => log, [Symbol.asyncDispose]: stop };
}
