import assert from "node:assert/strict";
import { isConnectionFile, parseConnectionFile } from "../lib/connection_file.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("connection file: .sockhop keys, comments, unknown keys warned", () => {
  const f = parseConnectionFile(
    [
      "# office database",
      "host = db.example.com",
      "port=2222",
      "user=alice",
      "session=pg",
      "ssh=ssh -x -c aes128-gcm@openssh.com",
      "colour=blue",
      "proxy_host=gw",
      "proxy_port=22",
      "proxy_username=bob",
    ].join("\n"),
    "office.sockhop",
  );
  assert.deepEqual(f.target, {
    kind: "ssh",
    host: "db.example.com",
    name: "pg",
    port: 2222,
    user: "alice",
    jump: { host: "gw", port: 22, user: "bob" },
  });
  assert.deepEqual(f.options, { ssh: "ssh -x -c aes128-gcm@openssh.com" });
  assert.deepEqual(f.warnings, ['office.sockhop line 7: unknown key "colour" ignored']);
});

Deno.test("connection file: xpra's .xpra with port as the display", () => {
  const f = parseConnectionFile(
    "autoconnect=True\nmode=ssh\nhost=box\nssh_port=22\nusername=u\npassword=pw\nport=100\nencoding=rgb\n",
    "box.xpra",
  );
  assert.deepEqual(f.target, {
    kind: "ssh",
    host: "box",
    name: ":100",
    port: 22,
    user: "u",
    password: "pw",
  });
  assert.equal(f.warnings.length, 1);
});

Deno.test("connection file: url= form, bad lines named by number", () => {
  const f = parseConnectionFile("url=ssh://a@h:22/db\nexit_ssh=no\n", "x.sockhop");
  assert.equal(f.target.host, "h");
  assert.equal(f.options.exitSsh, "no");
  assert.throws(
    () => parseConnectionFile("host=h\njunk line\n", "x.sockhop"),
    (e: unknown) =>
      e instanceof UsageError && /x.sockhop line 2: expected key=value/.test(e.message),
  );
  assert.throws(() => parseConnectionFile("host=h\nport=99999\n", "x.sockhop"), /line 2: bad port/);
  assert.throws(() => parseConnectionFile("port=22\n", "x.sockhop"), /no host=/);
  assert.throws(
    () => parseConnectionFile("mode=tcp\nhost=h\n", "x.xpra"),
    /mode=tcp is not an SSH/,
  );
  assert.ok(
    isConnectionFile("a/b.sockhop") && isConnectionFile("B.XPRA") && !isConnectionFile("db"),
  );
});
