/** The benchmark's tables: one row per path, with its ratio to its baseline. */

import type { Row } from "./throughput.ts";

const HEADER = [
  "| path | cipher | up MB/s | down MB/s | ratio up / down | CPU s/GiB machine / client | first byte ms |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
];

/** The loopback table, then the long-link one (rows through the latency proxy), if any. */
export function formatTable(rows: readonly Row[]): string {
  const local = rows.filter((r) => !r.rttMs);
  const long = rows.filter((r) => r.rttMs);
  const tables = [[...HEADER, ...local.map((r) => _line(r, rows))].join("\n")];
  if (long.length) {
    tables.push(
      [
        "Long link (bench/latency_proxy.ts: every byte delayed RTT/2 each way, no bandwidth limit):",
        "",
        HEADER[0]!.replace("| path |", "| RTT ms | path |"),
        HEADER[1]!.replace("| --- |", "| ---: | --- |"),
        ...long.map((r) => `| ${r.rttMs} ${_line(r, rows)}`),
      ].join("\n"),
    );
  }
  return tables.join("\n\n");
}

function _line(r: Row, rows: readonly Row[]): string {
  const b = r.baseline &&
    rows.find((x) =>
      x.path === r.baseline!.path && x.cipher === r.baseline!.cipher && x.rttMs === r.rttMs
    );
  const ratio = b
    ? `${(r.upMBs / b.upMBs).toFixed(2)} / ${(r.downMBs / b.downMBs).toFixed(2)}`
    : "1 (baseline)";
  return `| ${r.path} | ${r.cipher} | ${_spread(r.upMBs, r.ups)} | ${
    _spread(r.downMBs, r.downs)
  } | ${ratio} | ${r.cpuPerGiB.toFixed(1)} / ${r.clientCpuPerGiB.toFixed(1)} | ${
    r.ttfbMs.toFixed(0)
  } |`;
}

/** The median, and the range of the runs when there was more than one. */
function _spread(median: number, all: readonly number[]): string {
  if (all.length < 2) return median.toFixed(0);
  return `${median.toFixed(0)} (${Math.min(...all).toFixed(0)}-${Math.max(...all).toFixed(0)})`;
}
