/** Measuring one command: wall time, the machine's CPU time, time to first byte. */

const HZ = 100;

/** CPU jiffies the whole machine spent busy (user nice system irq softirq). */
function _cpuJiffies(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const f = line.split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function sha256File(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: [path], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0]!;
}

export interface Timed {
  readonly seconds: number;
  /** CPU-seconds of the whole machine while it ran (both ends of a transfer run here). */
  readonly cpu: number;
  /** CPU-seconds of the command itself and what it waited for (the client's side alone). */
  readonly clientCpu: number;
  readonly stdout: string;
}

/** The children's user and system times from the last two lines of `times` in `stderr`. */
function _childTimes(stderr: string): number {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  const seconds = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) =>
    Number(m[1]) * 60 + Number(m[2])
  );
  return seconds.length === 2 ? seconds[0]! + seconds[1]! : NaN;
}

/** Run argv with stdin from a file (or nothing) and stdout to a file (or captured). */
export async function timed(
  argv: readonly string[],
  env: Record<string, string>,
  stdinFile?: string,
  stdoutFile?: string,
): Promise<Timed> {
  const redirect = `${stdinFile ? `< '${stdinFile}'` : "</dev/null"} ${
    stdoutFile ? `> '${stdoutFile}'` : ""
  }`;
  const c0 = _cpuJiffies();
  const t0 = performance.now();
  const out = await new Deno.Command("sh", {
    // `times` (after the command, on stderr): the CPU time of the shell's children.
    args: ["-c", `"$@" ${redirect}; rc=$?; times >&2; exit $rc`, "sh", ...argv],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (_cpuJiffies() - c0) / HZ;
  if (out.code !== 0) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    seconds,
    cpu,
    clientCpu: _childTimes(stderr),
    stdout: new TextDecoder().decode(out.stdout),
  };
}

/** Milliseconds from starting argv to the first byte of the word "ready" on its stdout. */
export async function ttfb(argv: readonly string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  let first = 0;
  while (!text.includes("ready")) {
    const r = await reader.read();
    if (r.done) break;
    text += new TextDecoder().decode(r.value);
    first = performance.now() - t0;
  }
  await reader.cancel();
  await child.status;
  return first;
}
