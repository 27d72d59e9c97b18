/**
 * What forward tells the user as it runs: on a terminal, one status line redrawn twice a
 * second (the addresses, the connection, the tunnels and bytes); otherwise a log line at each
 * change of the connection (timestamped by the logger).
 */

import type { ForwardStats } from "../lib/forward.ts";
import type { LinkState } from "../lib/forward_link.ts";
import type { Logger } from "../lib/logger.ts";
import { safeText } from "../lib/safe_text.ts";

export interface ForwardStatus {
  link(state: LinkState): void;
  listening(addrs: readonly string[]): void;
  stop(): void;
}

export function forwardStatus(
  stats: ForwardStats,
  logger: Logger,
  terminal: boolean,
  write: (bytes: Uint8Array) => void = (bytes) => Deno.stderr.writeSync(bytes),
): ForwardStatus {
  let state: LinkState = { kind: "connecting" };
  let addrs: readonly string[] = [];
  const enc = new TextEncoder();
  const draw = () => {
    const text = `${addrs.join(" ")}${addrs.length ? ": " : ""}${_linkText(state)}; ` +
      `${stats.open} open, ${stats.total} total${
        stats.failed ? `, ${stats.failed} failed` : ""
      }, ` +
      `${_size(stats.up)} up, ${_size(stats.down)} down`;
    // Made safe as the logger makes its lines: why a connection failed may quote the server.
    write(enc.encode(`\r\x1b[K${safeText(text, Infinity, true)}`));
  };
  const timer = terminal ? setInterval(draw, 500) : undefined;
  return {
    link(next: LinkState) {
      const changed = next.kind !== state.kind || next.kind !== "connected";
      state = next;
      if (!changed) return;
      if (terminal) draw();
      else logger.info(_linkText(next));
    },
    listening(list: readonly string[]) {
      addrs = list;
      // The line that says so starts on a line of its own.
      if (terminal) write(enc.encode("\r\x1b[K"));
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      draw();
      write(enc.encode("\n"));
    },
  };
}

function _linkText(s: LinkState): string {
  switch (s.kind) {
    case "connecting":
      return "connecting";
    case "connected":
      return "connected";
    case "reconnecting":
      return `reconnecting (attempt ${s.attempt}, next in ${
        (s.nextInMs / 1000).toFixed(1)
      } s, ${s.why})`;
    case "stopped":
      return `not reconnecting: ${s.why} (fix it, then send SIGHUP to try again)`;
  }
}

function _size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}
