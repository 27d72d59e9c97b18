/**
 * Throughput of every path, both ways, against its baseline in the same run: `ssh host cat`
 * (same cipher) for the SSH paths, socat for the local relay. Uploads land in a file and
 * downloads in another, each checked by SHA-256 after the run (outside the timing).
 */

import { sockhopArgv, startServe, tempDir, testEnv } from "../tests/_cli.ts";
import { nativeFlags, startSshd } from "../tests/_sshd.ts";
import { markerWrapper, sockhopWrapper, sshOption } from "../tests/_remote.ts";
import { median, sha256File, timed, ttfb } from "./_measure.ts";
import { startLatencyProxy } from "./latency_proxy.ts";

export type Stream = "up" | "down" | "hello";

export interface PathDef {
  readonly path: string;
  readonly cipher: string;
  /** The row this one is compared with (its `path` and `cipher`); none for a baseline. */
  readonly baseline?: { readonly path: string; readonly cipher: string };
  readonly argv: (stream: Stream) => string[];
  readonly runs?: number;
  /** Through the latency proxy: its round trip. */
  readonly rttMs?: number;
}

export interface Row {
  readonly path: string;
  readonly cipher: string;
  readonly baseline?: { readonly path: string; readonly cipher: string };
  readonly upMBs: number;
  readonly downMBs: number;
  readonly cpuPerGiB: number;
  /** The client's own CPU (the command and what it waited for), beside the machine's. */
  readonly clientCpuPerGiB: number;
  readonly ttfbMs: number;
  readonly rttMs?: number;
  /** Every run's MB/s, for the spread. */
  readonly ups: readonly number[];
  readonly downs: readonly number[];
}

export const SSH_BASELINE = "ssh host cat";
export const SOCAT_BASELINE = "socat unix relay";
const CHACHA = "chacha20-poly1305@openssh.com";
const GCM = "aes128-gcm@openssh.com";
export const CIPHERS = [CHACHA, GCM, "aes256-gcm@openssh.com", "aes128-ctr"] as const;

/** Round trips of the long-link section (through bench/latency_proxy.ts). */
export const LONG_LINK_RTTS = [20, 100, 200] as const;

/**
 * Measure every path; `size` bytes each way (0: none), `runs` times each. Then, with
 * `longSize` bytes (0: none), the long-link section: the same sshd and server behind a
 * latency proxy at each round trip.
 */
export async function measureThroughput(
  size: number,
  runs: number,
  log: (line: string) => void,
  longSize = 0,
): Promise<Row[]> {
  await using dir = await tempDir("sockhop-bench-");
  const data = `${dir}/data.bin`;
  const upFile = `${dir}/up.bin`;
  const downFile = `${dir}/down.bin`;
  const fill = async (n: number) => {
    await new Deno.Command("sh", { args: ["-c", `head -c ${n} /dev/urandom > '${data}'`] })
      .output();
    return await sha256File(data);
  };
  const want = await fill(size || longSize);
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  await using sshd = await startSshd();
  await using _up = await startServe(["up", "exec:sh", "-c", `cat > '${upFile}'`], env);
  await using _down = await startServe(["down", "exec:cat", data], env);
  await using _hello = await startServe(["hello", "exec:echo", "ready"], env);
  await Deno.writeTextFile(`${dir}/ak`, await Deno.readTextFile(`${sshd.clientKey}.pub`));
  await using builtin = await startServe(
    ["--bind-ssh=127.0.0.1:0", `--authorized-keys=${dir}/ak`],
    env,
  );
  const bport = Number(/listening on ssh:127\.0\.0\.1:(\d+)/.exec(builtin.log())![1]);
  await using _socat = await _startSocat(`${dir}/socat`, {
    up: `SYSTEM:cat > ${upFile}`,
    down: `SYSTEM:cat ${data}`,
    hello: "SYSTEM:echo ready",
  });
  await new Deno.Command("puttygen", {
    args: [sshd.clientKey, "-O", "private", "-o", `${dir}/client.ppk`],
  }).output();

  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const remoteCat: Record<Stream, string> = {
    up: await markerWrapper(`${dir}`, `cat > '${upFile}'`),
    down: await markerWrapper(`${dir}`, `cat '${data}'`),
    hello: await markerWrapper(`${dir}`, "echo ready"),
  };
  const catCommand: Record<Stream, string> = {
    up: `cat > '${upFile}'`,
    down: `cat '${data}'`,
    hello: "echo ready",
  };
  const sh = sockhopArgv();
  const user = sshd.user;
  const ssh = (cipher: string, port = sshd.port) => [
    ...sshd.sshWords(),
    "-c",
    cipher,
    "-p",
    String(port),
    `${user}@127.0.0.1`,
  ];
  // The built-in server's host key is new in every run: not in the harness's known_hosts.
  const sshToBuiltin = (cipher: string, port = bport) =>
    ssh(cipher, port).map((a) =>
      a.startsWith("UserKnownHostsFile=")
        ? "UserKnownHostsFile=/dev/null"
        : a === "StrictHostKeyChecking=yes"
        ? "StrictHostKeyChecking=no"
        : a
    );
  const native = (cipher: string, port: number, name: Stream, extra: string[]) => [
    ...sh,
    "connect",
    ...nativeFlags(sshd, cipher),
    ...extra,
    `ssh://${user}@127.0.0.1:${port}/${name}`,
  ];
  const sshBase = (cipher: string) => ({ path: SSH_BASELINE, cipher });

  const paths: PathDef[] = [];
  for (const cipher of CIPHERS) {
    paths.push(
      { path: SSH_BASELINE, cipher, argv: (n) => [...ssh(cipher), catCommand[n]] },
      {
        path: "sockhop native client, remote cat",
        cipher,
        baseline: sshBase(cipher),
        argv: (n) => native(cipher, sshd.port, n, [`--remote-sockhop=${remoteCat[n]}`]),
      },
    );
  }
  paths.push(
    {
      path: "sockhop connect --ssh=native",
      cipher: CHACHA,
      baseline: sshBase(CHACHA),
      argv: (n) => native(CHACHA, sshd.port, n, [`--remote-sockhop=${wrapper}`]),
    },
    {
      path: "sockhop connect --ssh=openssh",
      cipher: CHACHA,
      baseline: sshBase(CHACHA),
      argv: (n) => [
        ...sh,
        "connect",
        `ssh://${user}@127.0.0.1:${sshd.port}/${n}`,
        `--ssh=${sshOption([...sshd.sshWords(), "-c", CHACHA])}`,
        `--remote-sockhop=${wrapper}`,
      ],
    },
    {
      // plink's own ceiling: it reads from the SSH channel much more slowly than ssh does.
      path: "plink host cat",
      cipher: "plink's choice",
      runs: 1,
      argv: (n) => [
        "plink",
        "-ssh",
        "-batch",
        "-noagent",
        "-i",
        `${dir}/client.ppk`,
        "-hostkey",
        sshd.hostKeyFingerprint,
        "-P",
        String(sshd.port),
        `${user}@127.0.0.1`,
        catCommand[n],
      ],
    },
    {
      path: "sockhop connect --ssh=plink",
      cipher: "plink's choice",
      baseline: { path: "plink host cat", cipher: "plink's choice" },
      runs: 1,
      argv: (n) => [
        ...sh,
        "connect",
        `ssh://${user}@127.0.0.1:${sshd.port}/${n}`,
        `--ssh=plink -ssh -noagent -i ${dir}/client.ppk`,
        `--host-key=${sshd.hostKeyFingerprint}`,
        `--remote-sockhop=${wrapper}`,
      ],
    },
    ...[CHACHA, GCM].map((cipher) => ({
      path: "OpenSSH ssh -> sockhop server",
      cipher,
      baseline: sshBase(cipher),
      // xpra's command line: the raw stream, no marker line.
      argv: (n: Stream) => [...sshToBuiltin(cipher), "xpra", "_proxy", n],
    })),
    {
      path: "sockhop native -> sockhop server",
      cipher: CHACHA,
      baseline: sshBase(CHACHA),
      argv: (n) => native(CHACHA, bport, n, ["--insecure-accept-any-host-key"]),
    },
    {
      path: SOCAT_BASELINE,
      cipher: "-",
      argv: (n) => ["socat", "-", `UNIX-CONNECT:${dir}/socat/${n}`],
    },
    {
      path: "sockhop connect NAME (local)",
      cipher: "-",
      baseline: { path: SOCAT_BASELINE, cipher: "-" },
      argv: (n) => [...sh, "connect", n],
    },
  );

  const rows: Row[] = [];
  if (size > 0) {
    const rig = { env, data, upFile, downFile, want, log };
    for (const p of paths) rows.push(await _measurePath(p, size, runs, rig));
  }
  if (longSize > 0) {
    // The same paths read and write the same file: it is made again at this size.
    const rig = { env, data, upFile, downFile, want: await fill(longSize), log };
    for (const rttMs of LONG_LINK_RTTS) {
      await using toSshd = startLatencyProxy(sshd.port, rttMs / 2);
      await using toBuiltin = startLatencyProxy(bport, rttMs / 2);
      await Deno.writeTextFile(
        sshd.knownHosts,
        `[127.0.0.1]:${toSshd.port} ${sshd.hostKeyLine}\n`,
        { append: true },
      );
      const base = { path: SSH_BASELINE, cipher: CHACHA };
      const long: PathDef[] = [
        { ...base, rttMs, argv: (n) => [...ssh(CHACHA, toSshd.port), catCommand[n]] },
        {
          path: "sockhop connect --ssh=openssh",
          cipher: CHACHA,
          baseline: base,
          rttMs,
          argv: (n) => [
            ...sh,
            "connect",
            `ssh://${user}@127.0.0.1:${toSshd.port}/${n}`,
            `--ssh=${sshOption([...sshd.sshWords(), "-c", CHACHA])}`,
            `--remote-sockhop=${wrapper}`,
          ],
        },
        {
          path: "sockhop connect --ssh=native",
          cipher: CHACHA,
          baseline: base,
          rttMs,
          argv: (n) => native(CHACHA, toSshd.port, n, [`--remote-sockhop=${wrapper}`]),
        },
        {
          path: "OpenSSH ssh -> sockhop server",
          cipher: CHACHA,
          baseline: base,
          rttMs,
          argv: (n) => [...sshToBuiltin(CHACHA, toBuiltin.port), "xpra", "_proxy", n],
        },
        {
          path: "sockhop native -> sockhop server",
          cipher: CHACHA,
          baseline: base,
          rttMs,
          argv: (n) => native(CHACHA, toBuiltin.port, n, ["--insecure-accept-any-host-key"]),
        },
      ];
      for (const p of long) rows.push(await _measurePath(p, longSize, runs, rig));
    }
  }
  return rows;
}

interface _Rig {
  readonly env: Record<string, string>;
  readonly data: string;
  readonly upFile: string;
  readonly downFile: string;
  readonly want: string;
  readonly log: (line: string) => void;
}

/** One path, both ways, `runs` times: medians, SHA-256 checked after each transfer. */
async function _measurePath(p: PathDef, size: number, runs: number, rig: _Rig): Promise<Row> {
  const { env, data, upFile, downFile, want, log } = rig;
  const ups: number[] = [];
  const downs: number[] = [];
  const cpus: number[] = [];
  const clientCpus: number[] = [];
  const ttfbs: number[] = [];
  for (let i = 0; i < (p.runs ?? runs); i++) {
    await Deno.remove(upFile).catch(() => {});
    const up = await timed(p.argv("up"), env, data);
    if (await sha256File(upFile) !== want) throw new Error(`${p.path}: upload hash differs`);
    const down = await timed(p.argv("down"), env, undefined, downFile);
    if (await sha256File(downFile) !== want) throw new Error(`${p.path}: download hash differs`);
    ups.push(size / 1e6 / up.seconds);
    downs.push(size / 1e6 / down.seconds);
    cpus.push((up.cpu + down.cpu) / 2 / (size / 2 ** 30));
    clientCpus.push((up.clientCpu + down.clientCpu) / 2 / (size / 2 ** 30));
    ttfbs.push(await ttfb(p.argv("hello"), env));
  }
  const row: Row = {
    path: p.path,
    cipher: p.cipher,
    ...(p.baseline ? { baseline: p.baseline } : {}),
    ...(p.rttMs ? { rttMs: p.rttMs } : {}),
    upMBs: median(ups),
    downMBs: median(downs),
    cpuPerGiB: median(cpus),
    clientCpuPerGiB: median(clientCpus),
    ttfbMs: median(ttfbs),
    ups,
    downs,
  };
  log(
    `${row.rttMs ? `[${row.rttMs} ms] ` : ""}${row.path} [${row.cipher}]: up ${
      ups.map((x) => x.toFixed(0)).join("/")
    } MB/s, down ${downs.map((x) => x.toFixed(0)).join("/")} MB/s, first byte ${
      row.ttfbMs.toFixed(0)
    } ms`,
  );
  return row;
}

/** socat listeners on unix sockets in `dir`, one per name, each running its address. */
async function _startSocat(dir: string, specs: Record<string, string>) {
  await Deno.mkdir(dir);
  const children = Object.entries(specs).map(([name, address]) =>
    new Deno.Command("socat", {
      args: [`UNIX-LISTEN:${dir}/${name},fork`, address],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  for (const name of Object.keys(specs)) {
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(`${dir}/${name}`).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    async [Symbol.asyncDispose]() {
      for (const c of children) {
        c.kill("SIGTERM");
        await c.status;
      }
    },
  };
}
