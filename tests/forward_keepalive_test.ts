import assert from "node:assert/strict";
import { opensshKeepalive, sshConfigWords } from "../lib/forward_keepalive.ts";
import { tempDir } from "./_cli.ts";

Deno.test("forward keepalive: ssh's -F and -o found among its words, other flags skipped", () => {
  assert.deepEqual(
    sshConfigWords(["ssh", "-4", "-i", "k", "-oBatchMode=yes", "-F", "/x", "-o", "A b", "-p22"]),
    { file: "/x", options: ["BatchMode=yes", "A b"] },
  );
  assert.deepEqual(sshConfigWords(["ssh", "-Fcfg", "-v", "host", "-o", "X=1"]), {
    file: "cfg",
    options: [],
  });
});

Deno.test("forward keepalive: ssh gets 15 s x 3 unless its config or -o sets them", async () => {
  await using dir = await tempDir();
  const dest = { host: "h.example" };
  const none = opensshKeepalive(["ssh", "-F", "/dev/null"], dest);
  assert.deepEqual(none.words, [
    "-o",
    "ServerAliveInterval=15",
    "-o",
    "ServerAliveCountMax=3",
  ]);
  assert.equal(none.keepalive.interval, 15);
  assert.match(none.keepalive.source, /forward's default/);
  const file = `${dir}/config`;
  await Deno.writeTextFile(file, "Host h.example\n  ServerAliveInterval 40\n");
  const fromFile = opensshKeepalive(["ssh", "-F", file], dest);
  assert.deepEqual(fromFile.words, ["-o", "ServerAliveCountMax=3"]);
  assert.equal(fromFile.keepalive.interval, 40);
  const fromO = opensshKeepalive(
    ["ssh", "-F", "/dev/null", "-o", "ServerAliveInterval=0", "-o", "ServerAliveCountMax=9"],
    dest,
  );
  assert.deepEqual(fromO.words, []);
  assert.equal(fromO.keepalive.interval, 0);
  assert.match(fromO.keepalive.source, /from the ssh config/);
});
