import assert from "node:assert/strict";
import { readUserFile } from "../lib/regular_file.ts";
import {
  isConnectionFile,
  parseConnectionFile,
  readConnectionFile,
} from "../lib/connection_file.ts";
import { SockhopError, UsageError } from "../lib/errors.ts";
import { tempDir } from "./_cli.ts";

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
  assert.deepEqual(f.warnings, [], "the launcher's own client settings are not warned about");
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
    /mode="tcp" is not an SSH/,
  );
  assert.ok(
    isConnectionFile("a/b.sockhop") && isConnectionFile("B.XPRA") && !isConnectionFile("db"),
  );
});

Deno.test("connection file: .xpra as xpra's launcher reads it", () => {
  const f = parseConnectionFile(
    [
      "! saved by hand",
      "mode=ssh -> ssh",
      "host=u:pw@box",
      "username=ignored",
      "no equals sign here",
      "port=-1",
      "ssh=ssh -x \\",
      "  -c aes128-ctr",
      "proxy_host=gw",
      "proxy_password=",
    ].join("\r"),
    "a.xpra",
  );
  assert.deepEqual(f.target, {
    kind: "ssh",
    host: "box",
    name: "",
    user: "u",
    password: "pw",
    jump: { host: "gw" },
  });
  assert.equal(f.options.ssh, "ssh -x  -c aes128-ctr");
  assert.match(f.warnings.join("\n"), /a.xpra line 5: not key=value, skipped/);
  const plain = parseConnectionFile("mode=ssh\nhost=box\nproxy_host=gw\ndisplay=7\n", "b.xpra");
  assert.equal(plain.target.jump, undefined, "mode=ssh has no jump host, as in xpra");
  assert.equal(plain.target.name, "");
  assert.match(plain.warnings.join("\n"), /proxy_host ignored.*mode=ssh -> ssh/);
  assert.match(plain.warnings.join("\n"), /display= is ignored/);
  for (
    const [text, re] of [
      ["host=box\n", /no mode=, which xpra reads as tcp: add mode=ssh/],
      ["mode=ssh\nhost=a\nhost=b\n", /line 3: "host" is given again \(first on line 2\)/],
      ["mode=ssh\nhost=u@x@box\n", /has two @/],
      ["mode=ssh\nhost=box\nport=abc\n", /line 3: bad port "abc"/],
      ["mode=ssh -> ssh\nhost=box\n", /needs proxy_host=/],
    ] as const
  ) {
    assert.throws(() => parseConnectionFile(text, "c.xpra"), re, text);
  }
});

Deno.test("connection file: junk is quoted clean and short in errors", () => {
  const junk = "\x1b]0;owned\x07\x1b[31m" + "x".repeat(20_000_000);
  assert.throws(
    () => parseConnectionFile(`host=h\n${junk}\n`, "j.sockhop"),
    (e: unknown) => {
      const m = (e as Error).message;
      // deno-lint-ignore no-control-regex
      return e instanceof UsageError && !/[\x00-\x1f]/.test(m) && m.length < 400 &&
        /more characters/.test(m);
    },
  );
  assert.throws(
    () => parseConnectionFile(`mode=\x1b[2J${"m".repeat(1000)}\nhost=h\n`, "j.xpra"),
    // deno-lint-ignore no-control-regex
    (e: unknown) => !/\x1b/.test((e as Error).message) && (e as Error).message.length < 400,
  );
});

Deno.test("connection file: a FIFO, a directory or a huge file is refused at once", async () => {
  await using dir = await tempDir();
  const fifo = `${dir}/x.sockhop`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mk.code, 0);
  // Nobody ever writes to the FIFO: a blocking open would hang this test.
  assert.throws(
    () => readConnectionFile(fifo),
    (e: unknown) => e instanceof SockhopError && /is not a regular file \(a FIFO\)/.test(e.message),
  );
  assert.throws(() => readUserFile(fifo, "--password-file"), /--password-file .*\(a FIFO\)/);
  assert.throws(() => readConnectionFile(`${dir}`), /not a regular file \(a directory\)/);
  await Deno.writeTextFile(`${dir}/big.xpra`, "");
  await Deno.truncate(`${dir}/big.xpra`, 17 << 20);
  assert.throws(() => readConnectionFile(`${dir}/big.xpra`), /more than 16777216 bytes/);
  assert.throws(() => readConnectionFile(`${dir}/none.xpra`), /Cannot read connection file/);
  await Deno.writeTextFile(`${dir}/ok.sockhop`, "host=h\n");
  assert.equal(readConnectionFile(`${dir}/ok.sockhop`).target.host, "h");
});
