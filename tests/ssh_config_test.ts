import assert from "node:assert/strict";
import {
  formatSshConfig,
  nativeUnsupportedReason,
  parseSshConfigText,
  resolveSshConfig,
} from "../lib/ssh_config.ts";
import { UsageError } from "../lib/errors.ts";
import { matchPattern, matchPatternList } from "../lib/ssh_patterns.ts";
import { argvSplit, splitConfigLine } from "../lib/ssh_config_words.ts";
import { a2port, convtime, parseForward, parseJump, scanScaled } from "../lib/ssh_config_values.ts";
import { assembleNames } from "../lib/ssh_config_algorithms.ts";
import { fnmatch, globPaths, REAL_FS } from "../lib/ssh_config_files.ts";
import { expandTilde, expandTokens } from "../lib/ssh_config_expand.ts";
import { runSockhop, tempDir } from "./_cli.ts";
import { freePort, requirePeer } from "./_sshd.ts";

const env = {
  home: "/home/al",
  localUser: "al",
  localHost: "here.example.com",
  uid: 1000,
  vars: {},
};

function files(map: Record<string, string>) {
  return (path: string) => map[path];
}

const USER_CONFIG = `
# work
Host db-* !db-test
    HostName %h.example.com
    User dba
    Port 2200
    IdentityFile ~/.ssh/id_%r_%h
Host db-test
    HostName 10.0.0.9
Match originalhost db-prod user dba
    ProxyJump gw1,gw2
    ServerAliveInterval 15
Host *
    User fallback
    IdentityFile %d/.ssh/id_all
    StrictHostKeyChecking accept-new
    Include conf.d/*.conf
`;

Deno.test("ssh_config: patterns, negation, Match, Include, first value wins, tokens", () => {
  const read = files({
    "/home/al/.ssh/config": USER_CONFIG,
    "/etc/ssh/ssh_config": "Host *\n  ConnectTimeout 7\n  User system\n",
  });
  const { config, filesRead } = resolveSshConfig({ host: "db-prod", readFile: read, env });
  assert.equal(config.hostName, "db-prod.example.com");
  assert.equal(config.user, "dba");
  assert.equal(config.port, 2200);
  assert.deepEqual(config.auth.identityFiles, [
    "/home/al/.ssh/id_dba_db-prod.example.com",
    "/home/al/.ssh/id_all",
  ]);
  assert.deepEqual(config.proxyJump, ["gw1", "gw2"]);
  assert.equal(config.keepalive.interval, 15);
  assert.equal(config.knownHosts.strict, "accept-new");
  assert.equal(config.connectTimeout, 7);
  assert.deepEqual(filesRead, ["/home/al/.ssh/config", "/etc/ssh/ssh_config"]);

  const test = resolveSshConfig({ host: "db-test", readFile: read, env }).config;
  assert.equal(test.hostName, "10.0.0.9");
  assert.equal(test.user, "fallback");
  assert.deepEqual(test.proxyJump, []);
});

Deno.test("ssh_config: -o options and the command line win; -F reads one file", () => {
  const read = files({
    "/home/al/.ssh/config": "Host *\n User fileuser\n Port 1\n",
    "/x": "Port 3\n",
  });
  const c = resolveSshConfig({
    host: "h",
    user: "cli",
    options: ["Port=2", "IdentityFile /k1", "BatchMode yes"],
    readFile: read,
    env,
  }).config;
  assert.equal(c.user, "cli");
  assert.equal(c.port, 2);
  assert.equal(c.batchMode, true);
  assert.equal(c.keepalive.interval, 300, "Debian: BatchMode sends keepalives every 300 s");
  assert.deepEqual(c.auth.identityFiles, ["/k1"]);
  assert.equal(
    resolveSshConfig({ host: "h", configFile: "/x", readFile: read, env }).config.port,
    3,
  );
});

Deno.test("ssh_config: Include relative to ~/.ssh, inside an active Host block only", () => {
  const read = files({
    "/home/al/.ssh/config": "Host inc\n  Include extra.conf\nHost *\n  Port 1\n",
    "/home/al/.ssh/extra.conf": "Port 5\nUser included\n",
  });
  const fs = {
    readFile: read,
    stat: (p: string) => (read(p) === undefined ? undefined : { uid: 0, mode: 0o644 }),
    readDir: () => undefined,
  };
  assert.equal(resolveSshConfig({ host: "inc", fs, env }).config.port, 5);
  assert.equal(resolveSshConfig({ host: "inc", fs, env }).config.user, "included");
  assert.equal(resolveSshConfig({ host: "other", fs, env }).config.port, 1);
});

Deno.test("ssh_config: defaults filled last", () => {
  const c = resolveSshConfig({ host: "plain", readFile: () => undefined, env }).config;
  assert.equal(c.hostName, "plain");
  assert.equal(c.user, "al");
  assert.equal(c.port, 22);
  assert.deepEqual(c.knownHosts.userFiles, [
    "/home/al/.ssh/known_hosts",
    "/home/al/.ssh/known_hosts2",
  ]);
  assert.equal(c.knownHosts.strict, "ask");
  assert.equal(c.auth.passwordPrompts, 3);
  assert.deepEqual(c.auth.identityFiles, [], "the client's own defaults");
  assert.equal(nativeUnsupportedReason(c), undefined);
  const printed = new Map(c.printed);
  assert.equal(printed.get("pubkeyauthentication"), "true");
  assert.equal(printed.get("connecttimeout"), "none");
  assert.equal(printed.get("identityfile"), "~/.ssh/id_dsa", "the last of the seven defaults");
  assert.match(printed.get("kexalgorithms")!, /^sntrup761x25519-sha512,/);
});

Deno.test("ssh_config: printed settings parse back to the same", () => {
  const read = files({
    "/home/al/.ssh/config": USER_CONFIG +
      "\nHost *\n  Ciphers +aes128-cbc\n  LocalForward 8080 localhost:80\n  SendEnv LANG\n",
  });
  for (const host of ["db-prod", "db-test", "other"]) {
    const text = formatSshConfig(resolveSshConfig({ host, readFile: read, env }).config);
    assert.equal(formatSshConfig(parseSshConfigText(text, host, env)), text);
  }
});

Deno.test("ssh_config: what only ssh can honour, named with file and line", () => {
  const read = files({
    "/home/al/.ssh/config": [
      "Host a",
      " ProxyCommand nc %h %p",
      "Host b",
      " ControlMaster auto",
      "Host c",
      " PKCS11Provider /usr/lib/p11.so",
      'Match originalhost d exec "test -e /etc"',
      " Port 2",
      "Host *",
      " ForwardX11 yes",
    ].join("\n"),
  });
  const a = resolveSshConfig({ host: "a", readFile: read, env });
  assert.equal(
    nativeUnsupportedReason(a.config),
    "ProxyCommand nc %h %p (/home/al/.ssh/config line 2; the built-in client runs no proxy command)",
  );
  assert.deepEqual(a.unsupported, [
    { keyword: "ForwardX11 yes", where: "/home/al/.ssh/config line 10" },
  ]);
  const b = resolveSshConfig({ host: "b", readFile: read, env }).config;
  assert.match(
    nativeUnsupportedReason(b)!,
    /ControlMaster auto \(.*config line 4; connection sharing/,
  );
  const c = resolveSshConfig({ host: "c", readFile: read, env }).config;
  assert.match(nativeUnsupportedReason(c)!, /PKCS11Provider \/usr\/lib\/p11.so \(.*line 6/);
  const d = resolveSshConfig({ host: "d", readFile: read, env });
  assert.match(nativeUnsupportedReason(d.config)!, /^Match exec test -e \/etc \(.*line 7/);
  assert.equal(d.config.port, 22, "not run: read as if it failed");
  const ran = resolveSshConfig({ host: "d", readFile: read, env, matchExec: "run" }).config;
  assert.equal(ran.port, 2);
  assert.equal(nativeUnsupportedReason(ran), undefined);
});

Deno.test("ssh_config: rejected configs are usage errors naming file and line", () => {
  const reject = (config: string, message: RegExp) =>
    assert.throws(
      () =>
        resolveSshConfig({ host: "h", readFile: files({ "/home/al/.ssh/config": config }), env }),
      (err) => err instanceof UsageError && message.test(err.message),
    );
  reject(
    "\nHost *\n  StrictHostKeyChecking maybe\n",
    /^Config error in \/home\/al\/.ssh\/config line 3: unsupported option "maybe": fix that line$/,
  );
  reject("Port 99999\n", /line 1: Bad port '99999'/);
  reject("Host x\n  NoSuchThing 1\n", /line 2: Bad configuration option: nosuchthing/);
  reject("Port 22 23\n", /line 1: keyword port extra arguments at end of line/);
  reject("User\n", /line 1: no argument after keyword "user"/);
  reject('User ""\n', /line 1: Missing argument/);
  reject("ControlPath /tmp/%z\n", /ControlPath "\/tmp\/%z" \(.*line 1\): unknown key %z/);
  reject("Match host\n", /line 1: Missing Match criteria for host/);
  assert.throws(
    () => resolveSshConfig({ host: "h", options: ["Host x"], readFile: () => undefined, env }),
    /Config error in -o "Host x": Host is not allowed in -o/,
  );
  assert.doesNotThrow(() =>
    resolveSshConfig({
      host: "h",
      readFile: files({ "/home/al/.ssh/config": "IgnoreUnknown Use*\nUseKeychain yes\n" }),
      env,
    })
  );
});

Deno.test("ssh_config: config files others can write are refused", () => {
  const fs = (mode: number, uid: number) => ({
    readFile: (p: string) => (p === "/home/al/.ssh/config" ? "User x\n" : undefined),
    stat: (p: string) => (p === "/home/al/.ssh/config" ? { uid, mode } : undefined),
    readDir: () => undefined,
  });
  assert.equal(resolveSshConfig({ host: "h", fs: fs(0o644, 1000), env }).config.user, "x");
  assert.equal(resolveSshConfig({ host: "h", fs: fs(0o600, 0), env }).config.user, "x");
  for (const [mode, uid] of [[0o666, 1000], [0o620, 1000], [0o644, 1001]]) {
    assert.throws(
      () => resolveSshConfig({ host: "h", fs: fs(mode!, uid!), env }),
      /Bad owner or permissions on \/home\/al\/.ssh\/config/,
    );
  }
  // -F names a file to read whatever its mode, as ssh does.
  assert.equal(
    resolveSshConfig({ host: "h", fs: fs(0o666, 1000), env, configFile: "/home/al/.ssh/config" })
      .config.user,
    "x",
  );
});

Deno.test("ssh_config: an unreadable ~/.ssh/config is passed over, as ssh does; an Include is not", () => {
  const fs = (config: string) => ({
    readFile: (p: string) => {
      if (p === "/home/al/.ssh/secret.conf" || (p === "/home/al/.ssh/config" && !config)) {
        throw new Error("Permission denied");
      }
      return p === "/home/al/.ssh/config" ? config : undefined;
    },
    stat: () => ({ uid: 0, mode: 0o644 }),
    readDir: () => undefined,
  });
  const passed = resolveSshConfig({ host: "h", fs: fs(""), env });
  assert.equal(passed.config.user, "al");
  assert.match(passed.unsupported[0]!.keyword, /^\/home\/al\/.ssh\/config \(Cannot read/);
  assert.throws(
    () => resolveSshConfig({ host: "h", fs: fs("Include secret.conf\n"), env }),
    (err) =>
      err instanceof UsageError && /Cannot read \/home\/al\/.ssh\/secret.conf/.test(err.message),
  );
});

Deno.test("ssh_config: pattern lists", () => {
  assert.ok(matchPatternList(["*.example.com"], "a.example.com"));
  assert.ok(!matchPatternList(["*.example.com", "!b.example.com"], "b.example.com"));
  assert.ok(matchPatternList(["db?"], "db1"));
  assert.ok(!matchPatternList(["db?"], "db12"));
  assert.ok(!matchPatternList(["!x"], "y"), "only negations never match");
  assert.ok(matchPattern("web", "w*"));
  assert.ok(!matchPattern("WEB", "web"), "Host patterns are case-sensitive");
});

Deno.test("ssh_config: line syntax", () => {
  assert.deepEqual(splitConfigLine("Port=22")?.args, ["22"]);
  assert.deepEqual(splitConfigLine("  Port = 22 # c")?.args, ["22"]);
  assert.deepEqual(splitConfigLine("Port== 22")?.args, ["=", "22"]);
  assert.equal(splitConfigLine("# x"), undefined);
  assert.equal(splitConfigLine("   "), undefined);
  assert.deepEqual(argvSplit(`a "b c" 'd e' f\\ g h\\x "i\\"j"`, true), [
    "a",
    "b c",
    "d e",
    "f g",
    "h\\x",
    'i"j',
  ]);
  assert.deepEqual(argvSplit("a #b c", true), ["a"]);
  assert.deepEqual(argvSplit("a#b", true), ["a#b"]);
  assert.equal(argvSplit('a "b', true), undefined);
});

Deno.test("ssh_config: values", () => {
  assert.equal(convtime("1m30s"), 90);
  assert.equal(convtime("2W"), 1209600);
  assert.equal(convtime("5x"), -1);
  assert.equal(convtime("-1"), -1);
  assert.equal(a2port("ssh"), 22);
  assert.equal(a2port("+80"), 80);
  assert.equal(a2port("nosuchservice"), -1);
  assert.equal(scanScaled("1G"), 1073741824n);
  assert.equal(scanScaled("1.5K"), 1536n);
  assert.equal(scanScaled("1Q"), undefined);
  assert.deepEqual(parseForward("8080:localhost:80", false, false), {
    listenPort: 8080,
    connectHost: "localhost",
    connectPort: 80,
  });
  assert.equal(parseForward("8080", false, false), undefined);
  assert.deepEqual(parseJump("a@gw1,gw2:2200", false), {
    none: false,
    hop: { host: "gw2", port: 2200 },
    extra: "a@gw1",
  });
  assert.equal(parseJump("gw:notaport", false), undefined);
  assert.equal(parseJump("a;b@gw", true), undefined, "shell characters in -J");
});

Deno.test("ssh_config: algorithm lists", () => {
  const def = ["a", "b", "c"];
  const all = ["a", "b", "c", "d", "e1", "e2"];
  assert.deepEqual(assembleNames("+d,a", def, all), ["a", "b", "c", "d"]);
  assert.deepEqual(assembleNames("-b*", def, all), ["a", "c"]);
  assert.deepEqual(assembleNames("^e*", def, all), ["e1", "e2", "a", "b", "c"]);
  assert.deepEqual(assembleNames("c,a", def, all), ["c", "a"]);
  assert.deepEqual(assembleNames("-*", def, all), []);
  assert.equal(assembleNames("x", def, all), undefined);
  assert.equal(assembleNames("!a", def, all), undefined);
});

Deno.test("ssh_config: tokens and ~", () => {
  assert.equal(expandTokens("%h:%p %%", { h: "host", p: "22" }), "host:22 %");
  assert.throws(() => expandTokens("%z", { h: "x" }), /unknown key %z/);
  assert.equal(expandTokens("${A}/x", {}, (n) => (n === "A" ? "/a" : undefined)), "/a/x");
  assert.throws(() => expandTokens("${B}", {}, () => undefined), /has no value/);
  assert.equal(expandTokens("${B}", undefined), "${B}", "no ${} expansion unless asked");
  const home = (u: string) => (u === "bob" ? "/home/bob" : undefined);
  assert.equal(expandTilde("~", "/h", home), "/h/");
  assert.equal(expandTilde("~//x", "/h", home), "/h/x");
  assert.equal(expandTilde("~bob/k", "/h", home), "/home/bob/k");
  assert.throws(() => expandTilde("~eve/k", "/h", home), /No such user eve/);
});

Deno.test("ssh_config: Include globs as glob(3)", async () => {
  await using dir = await tempDir();
  for (const f of ["a.conf", "b.conf", ".h.conf", "x.txt", "d1/m.conf", "d2/m.conf"]) {
    await Deno.mkdir(`${dir}/${f}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${f}`, "");
  }
  const glob = (p: string) =>
    globPaths(`${dir}/${p}`, REAL_FS, "/h").map((f) => f.slice(dir.length + 1));
  assert.deepEqual(glob("*.conf"), ["a.conf", "b.conf"]);
  assert.deepEqual(glob(".*.conf"), [".h.conf"]);
  assert.deepEqual(glob("[!a]*"), ["b.conf", "d1", "d2", "x.txt"]);
  assert.deepEqual(glob("d*/m.conf"), ["d1/m.conf", "d2/m.conf"]);
  assert.deepEqual(glob("nothere.conf"), []);
  assert.ok(fnmatch("[[:alpha:]]?", "ab"));
  assert.ok(!fnmatch("?b", ".b"), "a leading dot only by a dot");
});

Deno.test("ssh_config: Include globs on Windows start at the drive, not in the working dir", () => {
  const dirs: Record<string, string[]> = {
    "C:\\PD\\ssh/conf.d": ["b.conf", "a.conf", "x.txt"],
    "C:\\Users\\al/.ssh/c": ["k.conf"],
  };
  const fs = {
    readFile: () => undefined,
    stat: (path: string) =>
      Object.keys(dirs).some((d) => path.startsWith(`${d}/`)) ? { uid: 0, mode: 0o644 } : undefined,
    readDir: (path: string) => dirs[path],
  };
  const glob = (p: string, os: "windows" | "linux") =>
    globPaths(p, fs, "C:\\Users\\al", () => undefined, os);
  assert.deepEqual(glob("C:\\PD\\ssh/conf.d/*.conf", "windows"), [
    "C:\\PD\\ssh/conf.d/a.conf",
    "C:\\PD\\ssh/conf.d/b.conf",
  ]);
  assert.deepEqual(glob("~/.ssh/c/*", "windows"), ["C:\\Users\\al/.ssh/c/k.conf"]);
  // On unix that is a relative name, looked for in the working dir.
  assert.deepEqual(glob("C:\\PD\\ssh/conf.d/*.conf", "linux"), []);
});

/** A config that needs ssh for hosts `pk`, `mx` and (through its jump host) `jh`. */
async function gapWorld() {
  const dir = await tempDir();
  const port = freePort();
  const config = `${dir}/config`;
  await Deno.writeTextFile(
    config,
    [
      "Host pk",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      "  PKCS11Provider /nonexistent/p11.so",
      "Host mx",
      "  HostName 127.0.0.1",
      'Match originalhost mx exec "test -d /"',
      `  Port ${port}`,
      "Host jh",
      "  ProxyJump pk",
    ].join("\n") + "\n",
  );
  return { dir, config, env: { HOME: dir, USER: "nobody" } };
}

Deno.test("ssh_config: --ssh=native refuses what only ssh can honour, naming option, file and line", async () => {
  const w = await gapWorld();
  await using _dir = w.dir;
  const cases: [string, RegExp][] = [
    ["pk", /PKCS11Provider \/nonexistent\/p11.so \(.*\/config line 4; keys on a token\)/],
    ["mx", /Match exec test -d \/ \(.*\/config line 7; the built-in client runs no commands/],
    ["jh", /PKCS11Provider .*line 4; keys on a token\), for jump host pk/],
  ];
  for (const [host, message] of cases) {
    const res = await runSockhop(
      ["connect", `ssh://${host}/x`, "--ssh=native", "-F", w.config],
      { env: w.env },
    );
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /The built-in client cannot honour /);
    assert.match(res.stderr, message);
    assert.match(res.stderr, /use --ssh=auto or --ssh=openssh/);
  }
});

Deno.test("ssh_config: --ssh=auto uses ssh for what only ssh can honour and says why", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  const w = await gapWorld();
  await using _dir = w.dir;
  for (const [host, why] of [["pk", "PKCS11Provider"], ["mx", "Match exec"]]) {
    const res = await runSockhop(
      ["connect", `ssh://${host}/x`, "--debug=ssh", "-F", w.config, "-o", "BatchMode=yes"],
      { env: w.env },
    );
    assert.notEqual(res.code, 0, "nothing listens there");
    assert.match(
      res.stderr,
      new RegExp(`--ssh=auto: using openssh, because of ${why} .*config line`),
    );
  }
  // Nothing that needs ssh: the built-in client.
  const plain = await runSockhop(
    ["connect", "ssh://127.0.0.1/x", "--debug=ssh", "-F", w.config, "-p", String(freePort())],
    { env: w.env },
  );
  assert.notEqual(plain.code, 0);
  assert.match(plain.stderr, /--ssh=auto: using the native client/);
});
