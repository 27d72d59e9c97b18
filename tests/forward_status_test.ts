import assert from "node:assert/strict";
import { forwardStatus } from "../cli/forward_status.ts";
import { silentLogger } from "../lib/logger.ts";

Deno.test("forward status line: why the link failed reaches the terminal without its escapes, on one line", () => {
  const written: string[] = [];
  const dec = new TextDecoder();
  const stats = { open: 0, total: 0, failed: 0, up: 0, down: 0 };
  const status = forwardStatus(stats, silentLogger, true, (b) => written.push(dec.decode(b)));
  try {
    status.listening(["tcp:127.0.0.1:5432"]);
    status.link({
      kind: "reconnecting",
      attempt: 2,
      nextInMs: 200,
      why: "Session db: \x1b]0;owned\x07gone\x1b[2J\nfor now",
    });
  } finally {
    status.stop();
  }
  const line = written.find((w) => w.includes("reconnecting"))!;
  assert.equal(
    line,
    "\r\x1b[Ktcp:127.0.0.1:5432: reconnecting (attempt 2, next in 0.2 s, Session db: gone for now); " +
      "0 open, 0 total, 0 B up, 0 B down",
  );
});
