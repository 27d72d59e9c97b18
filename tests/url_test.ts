import assert from "node:assert/strict";
import { parseHostPort } from "../lib/address.ts";
import { parseTarget } from "../lib/url.ts";
import { UsageError } from "../lib/errors.ts";

const TABLE: [string, unknown][] = [
  ["ssh://host/db", { kind: "ssh", host: "host", name: "db" }],
  ["ssh://alice@host/db", { kind: "ssh", host: "host", user: "alice", name: "db" }],
  ["ssh://alice:s3cret@host:2222/db", {
    kind: "ssh",
    host: "host",
    port: 2222,
    user: "alice",
    password: "s3cret",
    name: "db",
  }],
  ["ssh://al%40ice:p%3Aw%2Fd@host/my%2Bdb", {
    kind: "ssh",
    host: "host",
    user: "al@ice",
    password: "p:w/d",
    name: "my+db",
  }],
  ["ssh://[::1]:2022/db", { kind: "ssh", host: "::1", port: 2022, name: "db" }],
  ["ssh://[::1]/db", { kind: "ssh", host: "::1", name: "db" }],
  ["ssh://u@[fe80::1]:22/:100", {
    kind: "ssh",
    host: "fe80::1",
    port: 22,
    user: "u",
    name: ":100",
  }],
  ["ssh://host/100", { kind: "ssh", host: "host", name: "100" }],
  ["ssh://host", { kind: "ssh", host: "host", name: "" }],
  ["ssh://host/", { kind: "ssh", host: "host", name: "" }],
  ["ssh://host/10,encoding=rgb", { kind: "ssh", host: "host", name: "10" }],
  ["SSH://Host/db", { kind: "ssh", host: "Host", name: "db" }],
  ["xpra+ssh://host/:7", { kind: "ssh", host: "host", name: ":7" }],
  ["ssh://u@host/db?key=%7E%2F.ssh%2Fid_work", {
    kind: "ssh",
    host: "host",
    user: "u",
    name: "db",
    key: "~/.ssh/id_work",
  }],
  ["ssh://u@target/db?proxy_host=jump&proxy_port=2200&proxy_username=j&proxy_key=/k", {
    kind: "ssh",
    host: "target",
    user: "u",
    name: "db",
    jump: { host: "jump", port: 2200, user: "j", key: "/k" },
  }],
  ["ssh:myhost:10", { kind: "ssh", host: "myhost", name: "10" }],
  ["ssh:myhost:db", { kind: "ssh", host: "myhost", name: "db" }],
  // xpra's own forms: the last separator splits off the display; nothing percent-decoded
  ["ssh:u:p%41@myhost:2222:100", {
    kind: "ssh",
    host: "myhost",
    port: 2222,
    user: "u",
    password: "p%41",
    name: "100",
  }],
  ["ssh/u@myhost/100", { kind: "ssh", host: "myhost", user: "u", name: "100" }],
  ["ssh:myhost", { kind: "ssh", host: "myhost", name: "" }],
  ["ssh:myhost:100?proxy=gw", { kind: "ssh", host: "myhost", name: "100", jump: { host: "gw" } }],
  // xpra 3.x's jump host syntax
  ["ssh://h/100?proxy=ju:jp@ss@gw:2200", {
    kind: "ssh",
    host: "h",
    name: "100",
    jump: { host: "gw", port: 2200, user: "ju", password: "jp@ss" },
  }],
  ["ssh://h/100?proxy=ju:@gw", {
    kind: "ssh",
    host: "h",
    name: "100",
    jump: { host: "gw", user: "ju" },
  }],
  // an empty password is none, as xpra reads it
  ["ssh://u:@h/db", { kind: "ssh", host: "h", user: "u", name: "db" }],
  // bare IPv6: a five-digit last group or what follows the zone is the port
  ["ssh://fe80::1:10022/db", { kind: "ssh", host: "fe80::1", port: 10022, name: "db" }],
  ["ssh://fe80::1%eth0:2222/db", { kind: "ssh", host: "fe80::1%eth0", port: 2222, name: "db" }],
  ["ssh://fe80::1:22/db", { kind: "ssh", host: "fe80::1:22", name: "db" }],
  // the screen number and a fragment go
  ["ssh://h/100.0", { kind: "ssh", host: "h", name: "100" }],
  ["ssh://h/:100.0#x", { kind: "ssh", host: "h", name: ":100" }],
  ["db", { kind: "local", name: "db" }],
  [":100", { kind: "local", name: ":100" }],
];

Deno.test("url: the table of forms", () => {
  for (const [text, want] of TABLE) {
    assert.deepEqual(parseTarget(text), want, text);
  }
});

Deno.test("url: mistakes are usage errors that name the fix", () => {
  const bad: [string, RegExp][] = [
    ["ssh://host:99999/db", /Bad port "99999".*1-65535/],
    ["ssh://host:x/db", /Bad port "x"/],
    ["ssh://[::1/db", /Missing \]/],
    ["ssh:///db", /No host/],
    ["ssh://host/db?bogus=1", /Unknown URL option "bogus".*proxy_host/],
    ["ssh://host/db?proxy_port=22", /no proxy_host/],
    ["ssh://host/%zz", /Bad percent-encoding/],
    ["tcp://host/db", /Unsupported URL/],
    ["ssh:/host/100", /Unknown form.*ssh:HOST:DISPLAY/],
    ["ssh://h/x?proxy=:pw@gw", /No user name before the password in proxy=/],
    ["ssh://h/x?proxy=gw:port", /Bad proxy=/],
    ["ssh://h/x?proxy=gw&proxy_host=gw", /both proxy= and proxy_host=/],
    ["ssh://h/x?key=a&key=b", /"key" given twice/],
    ["ssh://h/\x1b[2Jx?bogus=1", /^Unknown URL option "bogus" in "ssh:\/\/h\/x\?bogus=1"/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseTarget(text),
      (err: unknown) => err instanceof UsageError && re.test(err.message),
      text,
    );
  }
});

Deno.test("url: host and port", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:5432"), { host: "127.0.0.1", port: 5432 });
  assert.deepEqual(parseHostPort("[::1]:80"), { host: "::1", port: 80 });
  assert.deepEqual(parseHostPort("::1"), { host: "::1" });
  assert.deepEqual(parseHostPort("localhost"), { host: "localhost" });
});
