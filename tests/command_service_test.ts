/**
 * lib/command_service.ts, the exec: command of a Windows session, run here on its posix
 * side (Deno.Command is the same API); tools/wine_suite.sh runs it under Windows.
 */
import assert from "node:assert/strict";
import { spawnCommand } from "../lib/command_service.ts";
import { relay } from "../lib/relay.ts";
import type { Duplex } from "../lib/relay.ts";
import { randomBytes, sha256 } from "./_cli.ts";

/** A client end that sends `input`, ends it, and collects what comes back. */
function client(input: Uint8Array): { end: Duplex; received: () => Uint8Array } {
  const got: Uint8Array[] = [];
  return {
    end: {
      readable: (async function* () {
        for (let at = 0; at < input.length; at += 65536) yield input.slice(at, at + 65536);
      })(),
      write(chunk) {
        got.push(chunk.slice());
        return Promise.resolve();
      },
      closeWrite: () => Promise.resolve(),
      close() {},
    },
    received: () => {
      const out = new Uint8Array(got.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of got) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

Deno.test("command service: 8 MiB through cat both ways at once, then its exit status", async () => {
  const lines: string[] = [];
  const service = spawnCommand(
    ["sh", "-c", "cat; echo done >&2; exit 4"],
    (stderr) => stderr.on("data", (d) => lines.push(String(d).trim())),
    () => {},
    5000,
  );
  const data = randomBytes(8 * 1024 * 1024);
  const c = client(data);
  const result = await relay(c.end, service.duplex);
  assert.equal(result.error, undefined);
  assert.equal(await sha256(c.received()), await sha256(data));
  assert.deepEqual(await service.exited, { exit: 4 });
  assert.deepEqual(lines, ["done"]);
});

Deno.test("command service: kill ends a command that ignores its input", async () => {
  let exits = 0;
  const service = spawnCommand(["sleep", "600"], () => {}, () => exits++, 5000);
  service.kill();
  assert.deepEqual(await service.exited, { signal: "SIGTERM" });
  assert.equal(exits, 1);
  service.duplex.close();
});
