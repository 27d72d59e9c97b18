/** The benchmark's table: one row per path, with its ratio to its baseline. */

import type { Row } from "./throughput.ts";

export function formatTable(rows: readonly Row[]): string {
  const lines = [
    "| path | cipher | up MB/s | down MB/s | ratio up / down | CPU s/GiB | first byte ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const b = r.baseline &&
      rows.find((x) => x.path === r.baseline!.path && x.cipher === r.baseline!.cipher);
    const ratio = b
      ? `${(r.upMBs / b.upMBs).toFixed(2)} / ${(r.downMBs / b.downMBs).toFixed(2)}`
      : "1 (baseline)";
    lines.push(
      `| ${r.path} | ${r.cipher} | ${r.upMBs.toFixed(0)} | ${r.downMBs.toFixed(0)} | ${ratio} | ${
        r.cpuPerGiB.toFixed(1)
      } | ${r.ttfbMs.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}
