/**
 * Password guessing against the built-in server, beside a transfer (issue 10 item 7):
 *
 * 1. a 64 MiB upload through `serve --bind-ssh` (OpenSSH, key login) alone, then with
 *    BENCH_GUESSERS (30) paramiko clients sending wrong passwords all the while (ten per
 *    loopback source address: within the server's per-source cap);
 * 2. how long a password attempt takes to be refused for an unknown user and for the server's
 *    user with a wrong password (median of BENCH_TRIES (12) each, one attempt per connection).
 *
 * `deno run -A bench/password_guessers.ts` runs it on its own and prints the figures;
 * BENCH_MAX_CHECKS sets the server's --max-password-checks.
 */

import { randomBytes, tempDir, testEnv } from "../tests/_cli.ts";
import {
  authorizeClientKey,
  hashPasswordFile,
  opensshWords,
  startSshServe,
  USER,
} from "../tests/_serve_ssh.ts";
import { timed } from "./_measure.ts";

const PYTHON = "/usr/bin/python3";

/** Paramiko clients: `guess` keeps N threads guessing until stdin closes; `time` prints ms. */
const GUESSER = String.raw`
import socket, sys, threading, time, paramiko, logging
logging.disable(logging.CRITICAL)
mode, port, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def transport(source):
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    t = paramiko.Transport(sock)
    t.start_client(timeout=30)
    return t

def attempt(t, name, password):
    t0 = time.perf_counter()
    try:
        t.auth_password(name, password)
    except paramiko.AuthenticationException:
        pass
    return (time.perf_counter() - t0) * 1000

if mode == "guess":
    n = int(sys.argv[4])
    stop = threading.Event()
    count = [0]
    def guesser(i):
        source = "127.0.0.%d" % (2 + i // 10)
        while not stop.is_set():
            try:
                t = transport(source)
                for _ in range(6):
                    if stop.is_set(): break
                    attempt(t, user, "wrong-%d" % i)
                    count[0] += 1
                t.close()
            except Exception:
                time.sleep(0.05)
    threads = [threading.Thread(target=guesser, args=(i,), daemon=True) for i in range(n)]
    for th in threads: th.start()
    print("started", flush=True)
    sys.stdin.read()
    stop.set()
    print("attempts", count[0], flush=True)
else:
    tries = int(sys.argv[4])
    for name in ["nosuchuser", user]:
        ms = []
        for _ in range(tries):
            t = transport("127.0.0.1")
            ms.append(attempt(t, name, "wrong-password"))
            t.close()
        ms.sort()
        print(name, "%.1f" % ms[len(ms) // 2], " ".join("%.0f" % x for x in ms), flush=True)
`;

function _number(name: string, fallback: number): number {
  const v = Deno.env.get(name);
  return v ? Number(v) : fallback;
}

export async function passwordGuessers(): Promise<string[]> {
  const guessers = _number("BENCH_GUESSERS", 30);
  const tries = _number("BENCH_TRIES", 12);
  await using dir = await tempDir("sockhop-guess-");
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = await authorizeClientKey(dir, `${dir}/ak`);
  await hashPasswordFile(dir, env, "the-right-password");
  await using server = await startSshServe(`${dir}/ak`, [
    `--password-hashes=${dir}/passwords`,
    ...(Deno.env.get("BENCH_MAX_CHECKS")
      ? [`--max-password-checks=${Deno.env.get("BENCH_MAX_CHECKS")}`]
      : []),
    "sink",
    "exec:sha256sum",
  ], env);
  const port = String(server.port);
  const user = USER;
  const data = `${dir}/data.bin`;
  await Deno.writeFile(data, randomBytes(64 * 1024 * 1024));
  const ssh = [
    "ssh",
    ...opensshWords(key, { port, user }),
    "sockhop",
    "_proxy",
    "sink",
  ];
  const lines: string[] = [];
  const alone = await timed(ssh, env, data);
  lines.push(`64 MiB upload alone: ${alone.seconds.toFixed(2)} s`);

  const child = new Deno.Command(PYTHON, {
    args: ["-c", GUESSER, "guess", port, user, String(guessers)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("started")) said += (await out.read()).value ?? "";
  await new Promise((r) => setTimeout(r, 2000)); // all of them connected and guessing
  const busy = await timed(ssh, env, data);
  await child.stdin.close();
  while (!said.includes("attempts")) {
    const r = await out.read();
    if (r.done) break;
    said += r.value;
  }
  await child.status;
  const attempts = /attempts (\d+)/.exec(said)?.[1] ?? "?";
  lines.push(
    `64 MiB upload with ${guessers} password guessers: ${
      busy.seconds.toFixed(2)
    } s (${attempts} wrong passwords during the run)`,
  );

  const timing = await new Deno.Command(PYTHON, {
    args: ["-c", GUESSER, "time", port, user, String(tries)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  for (const line of new TextDecoder().decode(timing.stdout).trim().split("\n")) {
    const [name, med, ...all] = line.split(" ");
    lines.push(
      `${
        name === user ? "wrong password" : "unknown user"
      }: refused in ${med} ms (median of ${tries}: ${all.join(" ")})`,
    );
  }
  return lines;
}

if (import.meta.main) {
  for (const line of await passwordGuessers()) console.log(line);
}
