import assert from "node:assert/strict";
import { logTail, readyInLog, readyLine } from "../lib/detach.ts";
import { tempDir } from "./_cli.ts";

Deno.test("detach: the ready line is looked for only after where the log ended at the start", async () => {
  await using t = await tempDir();
  const log = `${t}/serve.log`;
  Deno.writeTextFileSync(log, `old\n${readyLine("a1", 10)}\n`);
  const offset = Deno.statSync(log).size;
  assert.equal(readyInLog(log, offset, "a1"), undefined, "an earlier serve's line");
  Deno.writeTextFileSync(log, `starting\n${readyLine("a1", 42)}\n`, { append: true });
  assert.equal(readyInLog(log, offset, "a1"), 42);
  assert.equal(readyInLog(log, offset, "b2"), undefined, "another start's id");
  assert.equal(readyInLog(`${t}/none.log`, 0, "a1"), undefined);
});

Deno.test("detach: a log's tail is its last lines, from its last 8 KiB, made safe", async () => {
  await using t = await tempDir();
  const log = `${t}/serve.log`;
  const early = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");
  Deno.writeTextFileSync(log, `${early}\n\n\x1b]0;title\x07end\n`);
  const tail = logTail(log, 3);
  assert.equal(tail.length, 3);
  assert.deepEqual(tail.slice(0, 2), ["line 1998", "line 1999"]);
  assert.ok(!tail[2]!.includes("\x1b"), tail[2]);
  assert.deepEqual(logTail(`${t}/none.log`), []);
});
