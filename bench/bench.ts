/**
 * `deno task bench`: every path measured against OpenSSH, in one run on this machine, with a
 * real sshd started on loopback. Throughput both ways (MB/s and machine CPU-seconds per GiB,
 * SHA-256 checked), time to first byte, ratios to `ssh host cat`; memory and handshakes of
 * the built-in server. Prints one table and writes JSON to bench/results/.
 */

import { sockhopArgv, startServe, tempDir, testEnv } from "../tests/_cli.ts";
import { type Sshd, startSshd } from "../tests/_sshd.ts";
import { sockhopWrapper, sshOption } from "../tests/_remote.ts";

const SIZE = Number(Deno.env.get("BENCH_MIB") ?? "256") * 1024 * 1024;
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? "3");
const HZ = 100;

interface Row {
  path: string;
  cipher: string;
  upMBs: number;
  downMBs: number;
  cpuPerGiB: number;
  ttfbMs: number;
}

function cpuJiffies(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const f = line.split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]!; // user nice system irq softirq
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function sha256File(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: [path], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0]!;
}

/** Run argv with stdin from a file (or nothing); returns seconds, stdout text, cpu jiffies. */
async function timed(
  argv: string[],
  env: Record<string, string>,
  stdinFile?: string,
  stdoutFile?: string,
) {
  const cmd = stdinFile || stdoutFile
    ? [
      "sh",
      "-c",
      `"$@" ${stdinFile ? `< '${stdinFile}'` : "</dev/null"} ${
        stdoutFile ? `> '${stdoutFile}'` : ""
      }`,
      "sh",
      ...argv,
    ]
    : argv;
  const c0 = cpuJiffies();
  const t0 = performance.now();
  const out = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuJiffies() - c0) / HZ;
  if (out.code !== 0) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return { seconds, cpu, stdout: new TextDecoder().decode(out.stdout) };
}

/** Time to the first byte of a session's output. */
async function ttfb(argv: string[], env: Record<string, string>): Promise<number> {
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

async function main() {
  await using dir = await tempDir("sockhop-bench-");
  const data = `${dir}/data.bin`;
  await new Deno.Command("sh", { args: ["-c", `head -c ${SIZE} /dev/urandom > '${data}'`] })
    .output();
  const want = await sha256File(data);
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const sshd: Sshd = await startSshd();
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const servers = [
    await startServe(["up", "exec:sha256sum"], env),
    await startServe(["down", "exec:cat", data], env),
    await startServe(["hello", "exec:echo", "ready"], env),
  ];
  await Deno.writeTextFile(`${dir}/ak`, await Deno.readTextFile(`${sshd.clientKey}.pub`));
  const builtin = await startServe(["--bind-ssh=127.0.0.1:0", `--authorized-keys=${dir}/ak`], env);
  servers.push(builtin);
  const bport = /listening on ssh:127\.0\.0\.1:(\d+)/.exec(builtin.log())![1]!;
  const socatDir = `${dir}/socat`;
  await Deno.mkdir(socatDir);
  const socats = ["up:sha256sum", `down:cat ${data}`, "hello:echo ready"].map((spec) => {
    const [name, cmd] = spec.split(":");
    return new Deno.Command("socat", {
      args: [`UNIX-LISTEN:${socatDir}/${name},fork`, `EXEC:${cmd}`],
      stdout: "null",
      stderr: "null",
    }).spawn();
  });
  await new Promise((r) => setTimeout(r, 500));
  const sh = sockhopArgv();
  const user = sshd.user;
  const ssh = (
    cipher: string,
    port = sshd.port,
  ) => [...sshd.sshWords(), "-c", cipher, "-p", String(port), `${user}@127.0.0.1`];
  const sshNoKnown = (cipher: string, port: string) =>
    ssh(cipher, Number(port)).map((a) =>
      a.startsWith("UserKnownHostsFile=") ? "UserKnownHostsFile=/dev/null" : a
    )
      .map((a) => a === "StrictHostKeyChecking=yes" ? "StrictHostKeyChecking=no" : a);
  const native = (cipher: string, port: number, extra: string[] = []) => [
    "--ssh=native",
    "-F",
    "none",
    "-i",
    sshd.clientKey,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `Ciphers=${cipher}`,
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    ...extra,
    `ssh://${user}@127.0.0.1:${port}/`,
  ];
  type PathDef = { path: string; cipher: string; argv: (name: string) => string[]; runs?: number };
  const gcm = "aes128-gcm@openssh.com";
  const paths: PathDef[] = [];
  for (
    const cipher of [
      "aes128-gcm@openssh.com",
      "aes256-gcm@openssh.com",
      "chacha20-poly1305@openssh.com",
      "aes128-ctr",
    ]
  ) {
    paths.push({
      path: "ssh host cat (baseline)",
      cipher,
      argv: (
        n,
      ) => [
        ...ssh(cipher),
        n === "up" ? "sha256sum" : n === "down" ? `cat '${data}'` : "echo ready",
      ],
    });
    paths.push({
      path: "sockhop connect --ssh=native",
      cipher,
      argv: (
        n,
      ) => [
        ...sh,
        "connect",
        ...native(cipher, sshd.port).map((a) => a.endsWith("/") ? a + n : a),
        `--remote-sockhop=${wrapper}`,
      ],
    });
  }
  paths.push(
    {
      path: "socat unix relay (baseline)",
      cipher: "-",
      argv: (n) => ["socat", "-", `UNIX-CONNECT:${socatDir}/${n}`],
    },
    { path: "sockhop connect NAME (local)", cipher: "-", argv: (n) => [...sh, "connect", n] },
    {
      path: "sockhop connect --ssh=openssh",
      cipher: gcm,
      argv: (
        n,
      ) => [
        ...sh,
        "connect",
        `ssh://${user}@127.0.0.1:${sshd.port}/${n}`,
        `--ssh=${sshOption([...sshd.sshWords(), "-c", gcm])}`,
        `--remote-sockhop=${wrapper}`,
      ],
    },
    {
      path: "sockhop connect --ssh=plink",
      cipher: "aes256-ctr (plink)",
      runs: 1,
      argv: (
        n,
      ) => [
        ...sh,
        "connect",
        `ssh://${user}@127.0.0.1:${sshd.port}/${n}`,
        `--ssh=plink -ssh -noagent -i ${dir}/client.ppk`,
        `--host-key=${sshd.hostKeyFingerprint}`,
        `--remote-sockhop=${wrapper}`,
      ],
    },
    {
      path: "OpenSSH ssh -> sockhop server",
      cipher: gcm,
      argv: (n) => [...sshNoKnown(gcm, bport), "xpra", "_proxy", n], // raw: no marker line
    },
    {
      path: "sockhop native -> sockhop server",
      cipher: "chacha20-poly1305@openssh.com",
      argv: (
        n,
      ) => [
        ...sh,
        "connect",
        ...native("chacha20-poly1305@openssh.com", Number(bport), [
          "--insecure-accept-any-host-key",
        ]).map((a) => a.endsWith("/") ? a + n : a),
      ],
    },
  );
  await new Deno.Command("puttygen", {
    args: [sshd.clientKey, "-O", "private", "-o", `${dir}/client.ppk`],
  }).output();

  const rows: Row[] = [];
  const started = performance.now();
  for (const p of paths) {
    const ups: number[] = [];
    const downs: number[] = [];
    const cpus: number[] = [];
    const ttfbs: number[] = [];
    for (let i = 0; i < (p.runs ?? RUNS); i++) {
      const up = await timed(p.argv("up"), env, data);
      if (!up.stdout.includes(want)) {
        throw new Error(`${p.path}: upload hash differs: ${up.stdout}`);
      }
      const down = await timed(p.argv("down"), env, undefined, `${dir}/out.bin`);
      const got = await sha256File(`${dir}/out.bin`);
      if (got !== want) throw new Error(`${p.path}: download hash differs`);
      ups.push(SIZE / 1e6 / up.seconds);
      downs.push(SIZE / 1e6 / down.seconds);
      cpus.push((up.cpu + down.cpu) / 2 / (SIZE / 2 ** 30));
      ttfbs.push(await ttfb(p.argv("hello"), env));
    }
    const row = {
      path: p.path,
      cipher: p.cipher,
      upMBs: median(ups),
      downMBs: median(downs),
      cpuPerGiB: median(cpus),
      ttfbMs: median(ttfbs),
    };
    rows.push(row);
    console.error(
      `${row.path} [${row.cipher}]: up ${row.upMBs.toFixed(0)} MB/s, down ${
        row.downMBs.toFixed(0)
      } MB/s`,
    );
  }

  // The built-in server: memory with 100 connected clients, handshakes per second.
  const serverPid = builtin.child.pid;
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${serverPid}/status`))![1]) / 1024;
  const idleRss = rss();
  // Connect in batches: the server caps unauthenticated connections per source address.
  const ended = () => (builtin.log().match(/ssh \S+: (user=|dropped)/g) ?? []).length;
  const endedBefore = ended();
  const clients: Deno.ChildProcess[] = [];
  for (let batch = 0; batch < 10; batch++) {
    for (let k = 0; k < 10; k++) {
      clients.push(
        new Deno.Command("ssh", {
          args: [...sshNoKnown(gcm, bport), "sockhop", "_proxy", "up"],
          stdin: "piped",
          stdout: "null",
          stderr: "null",
        }).spawn(),
      );
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const connected = 100 - (ended() - endedBefore);
  const busyRss = rss();
  for (const c of clients) {
    await c.stdin.close();
    await c.status;
  }
  const hs0 = performance.now();
  let handshakes = 0;
  while (performance.now() - hs0 < 10000) {
    await Promise.all(
      Array.from(
        { length: 4 },
        () => timed([...sshNoKnown(gcm, bport), "sockhop", "_proxy", "hello"], env),
      ),
    );
    handshakes += 4;
  }
  const perSecond = handshakes / ((performance.now() - hs0) / 1000);

  for (const s of servers) await s.stop();
  for (const s of socats) {
    s.kill("SIGTERM");
    await s.status;
  }
  await sshd.stop();

  const base = (cipher: string) =>
    rows.find((r) => r.path.startsWith("ssh host cat") && r.cipher === cipher) ??
      rows.find((r) => r.path.startsWith("ssh host cat") && r.cipher === gcm)!;
  const socat = rows.find((r) => r.path.startsWith("socat"))!;
  const lines = [
    `| path | cipher | up MB/s | down MB/s | ratio up/down | CPU s/GiB | first byte ms |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const r of rows) {
    const b = r.cipher === "-" ? socat : base(r.cipher.includes("(plink)") ? gcm : r.cipher);
    lines.push(
      `| ${r.path} | ${r.cipher} | ${r.upMBs.toFixed(0)} | ${r.downMBs.toFixed(0)} | ${
        (r.upMBs / b.upMBs).toFixed(2)
      } / ${(r.downMBs / b.downMBs).toFixed(2)} | ${r.cpuPerGiB.toFixed(1)} | ${
        r.ttfbMs.toFixed(0)
      } |`,
    );
  }
  const cpuInfo = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  const summary = [
    `Machine: ${cpuInfo}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}; ${
      SIZE / 1048576
    } MiB each way, median of ${RUNS}`,
    "Ratios: to `ssh host cat` with the same cipher (to socat for the local rows).",
    `Built-in server: RSS ${idleRss.toFixed(0)} MiB idle, ${
      busyRss.toFixed(0)
    } MiB with ${connected} of 100 clients connected to a session; ${
      perSecond.toFixed(1)
    } handshakes/s (OpenSSH clients, 4 at a time).`,
    `Took ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ];
  console.log(lines.join("\n") + "\n\n" + summary.join("\n"));
  await Deno.mkdir("bench/results", { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify(
      {
        size: SIZE,
        runs: RUNS,
        rows,
        server: { idleRss, busyRss, handshakesPerSecond: perSecond },
        machine: cpuInfo,
      },
      null,
      2,
    ),
  );
  console.error(`written ${file}`);
}

await main();
