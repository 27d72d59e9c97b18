/** What `--ssh=` means, and the argv sockhop builds for ssh and plink (pure logic). */

import assert from "node:assert/strict";
import { parseSshOption } from "../lib/ssh_option.ts";
import { type BuildOptions, buildSshInvocation } from "../lib/openssh_argv.ts";

const all = (p: string) => `/usr/bin/${p}`;
const base: BuildOptions = {
  flavor: "openssh",
  words: ["ssh", "-x"],
  hopWords: ["ssh", "-x"],
  dest: { host: "db", port: 2222, user: "alice" },
  remoteCommand: "sh -c 'x'",
  interactive: false,
  which: all,
};

Deno.test("--ssh: keywords, aliases and command lines", () => {
  assert.deepEqual(parseSshOption("auto"), { backend: "auto" });
  assert.deepEqual(parseSshOption("native"), { backend: "native" });
  assert.deepEqual(parseSshOption("paramiko"), { backend: "native" });
  assert.deepEqual(parseSshOption("openssh"), {
    backend: "program",
    flavor: "openssh",
    words: ["ssh", "-x"],
  });
  assert.deepEqual(parseSshOption("plink"), {
    backend: "program",
    flavor: "plink",
    words: ["plink", "-ssh", "-agent"],
  });
  assert.deepEqual(parseSshOption(`ssh -o 'ProxyCommand=nc %h %p'`), {
    backend: "program",
    flavor: "openssh",
    words: ["ssh", "-o", "ProxyCommand=nc %h %p"],
  });
  assert.equal(
    (parseSshOption("C:\\Tools\\PLINK.EXE -ssh") as { flavor: string }).flavor,
    "plink",
  );
  assert.throws(() => parseSshOption(" "), /--ssh is empty/);
});

Deno.test("ssh argv: the user's words first, then -T -p -l, host, command; sshpass -e", () => {
  assert.deepEqual(buildSshInvocation(base).argv, [
    "ssh",
    "-x",
    "-T",
    "-p",
    "2222",
    "-l",
    "alice",
    "db",
    "sh -c 'x'",
  ]);
  const pw = buildSshInvocation({ ...base, dest: { ...base.dest, password: "s3cret" } });
  assert.deepEqual(pw.argv.slice(0, 3), ["sshpass", "-e", "ssh"]);
  assert.deepEqual(pw.env, { SSHPASS: "s3cret" });
  assert.ok(!pw.argv.some((a) => a.includes("s3cret")));
  assert.throws(
    () =>
      buildSshInvocation({
        ...base,
        dest: { ...base.dest, password: "x" },
        which: (p) => p === "sshpass" ? all(p) : undefined,
      }),
    /ssh not found: install it \(OpenSSH: apt-get install openssh-client\)/,
  );
});

Deno.test("jump hosts: the user's % tokens are escaped for the ProxyCommand", () => {
  const words = ["ssh", "-o", "ControlPath=~/.ssh/cm-%C"];
  const inv = buildSshInvocation({
    ...base,
    words: [...words, "-o", "User=alice", "-i", "/k/dest"],
    hopWords: words,
    jump: { host: "gw", user: "bob" },
  });
  const proxy = inv.argv.find((a) => a.startsWith("ProxyCommand="))!;
  assert.match(proxy, /ControlPath=~\/\.ssh\/cm-%%C/);
  assert.match(proxy, / -W %h:%p /);
  // The outer ssh keeps the user's token as it is.
  assert.ok(inv.argv.includes("ControlPath=~/.ssh/cm-%C"));
  // -o and -i given to sockhop are the destination's; the hop has its own words only.
  assert.doesNotMatch(proxy, /User=alice|\/k\/dest/);
  const plink = buildSshInvocation({
    ...base,
    flavor: "plink",
    words: ["plink", "-ssh"],
    hopWords: ["plink", "-ssh"],
    jump: { host: "gw", port: 22 },
  });
  const cmd = plink.argv[plink.argv.indexOf("-proxycmd") + 1]!;
  assert.match(cmd, /^plink -ssh -batch -P 22 -nc '?%host:%port'? gw$/);
  assert.deepEqual(plink.argv.slice(0, 7), ["plink", "-ssh", "-batch", "-T", "-P", "2222", "-l"]);
});

Deno.test("a host or user that starts with - never becomes an option", () => {
  for (const dest of [{ host: "-oProxyCommand=x" }, { host: "db", user: "-F/tmp/x" }]) {
    assert.throws(() => buildSshInvocation({ ...base, dest }), /starts with "-": fix the URL/);
  }
  assert.throws(
    () => buildSshInvocation({ ...base, dest: { host: "db" }, jump: { host: "-x" } }),
    /jump host "-x"/,
  );
});
