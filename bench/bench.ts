/**
 * `deno task bench`: every path measured against OpenSSH, in one run on this machine, with a
 * real sshd started on loopback: throughput both ways (MB/s, the machine's CPU-seconds per GiB
 * and the client's own, SHA-256 checked), time to first byte, ratios to `ssh host cat`; the
 * same through a latency proxy at 20, 100 and 200 ms round trips (BENCH_LONG_MIB each way,
 * 0: none; BENCH_MIB=0 runs only this section); then memory, handshakes and scale
 * (bench/load.ts). Prints the tables and writes JSON to bench/results/.
 */

import { measureThroughput } from "./throughput.ts";
import { measureLoad } from "./load.ts";
import { formatTable } from "./report.ts";
import { formatTunnels, measureTunnels } from "./tunnels.ts";

const SIZE = Number(Deno.env.get("BENCH_MIB") ?? "256") * 1024 * 1024;
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? "3");
/** The long-link section's size each way (0: no long-link section). */
const LONG = Number(Deno.env.get("BENCH_LONG_MIB") ?? "128") * 1024 * 1024;

const started = performance.now();
const log = (line: string) => console.error(line);
const rows = await measureThroughput(SIZE, RUNS, log, LONG);
const load = Deno.env.get("BENCH_LOAD") === "no" ? undefined : await measureLoad(log);
const tunnels = await measureTunnels(log);
const machine = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
const summary = [
  `Machine: ${machine}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os}, Deno ${Deno.version.deno}; ${
    SIZE / 1048576
  } MiB each way (long link: ${LONG / 1048576} MiB), median of ${RUNS} runs, ${
    new Date().toISOString().slice(0, 16)
  } UTC.`,
  "Ratios: to `ssh host cat` with the same cipher (to socat for the local row), on the same link.",
  "MB/s: median (range) over the runs, whole command (login included). CPU: the machine's, and the client's own (its process and children).",
  ...(load?.lines ?? []),
  `Took ${((performance.now() - started) / 1000).toFixed(0)} s.`,
];
console.log(
  formatTable(rows) + "\n\n" + formatTunnels(tunnels) + "\n\n" + summary.join("\n"),
);
await Deno.mkdir("bench/results", { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
await Deno.writeTextFile(
  file,
  JSON.stringify(
    { size: SIZE, longSize: LONG, runs: RUNS, machine, rows, load: load?.json, tunnels },
    null,
    2,
  ),
);
console.error(`written ${file}`);
