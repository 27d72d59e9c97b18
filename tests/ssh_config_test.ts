import assert from "node:assert/strict";
import {
  formatSshConfig,
  nativeUnsupportedReason,
  parseSshConfigText,
  resolveSshConfig,
} from "../lib/ssh_config.ts";
import { matchPatternList } from "../lib/ssh_config_match.ts";

const env = { home: "/home/al", localUser: "al", localHost: "here" };

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
  assert.deepEqual(config.identityFiles, [
    "/home/al/.ssh/id_dba_db-prod.example.com",
    "/home/al/.ssh/id_all",
  ]);
  assert.deepEqual(config.proxyJump, ["gw1", "gw2"]);
  assert.equal(config.serverAliveInterval, 15);
  assert.equal(config.strictHostKeyChecking, "accept-new");
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
  assert.deepEqual(c.identityFiles, ["/k1"]);
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
  assert.equal(resolveSshConfig({ host: "inc", readFile: read, env }).config.port, 5);
  assert.equal(resolveSshConfig({ host: "inc", readFile: read, env }).config.user, "included");
  assert.equal(resolveSshConfig({ host: "other", readFile: read, env }).config.port, 1);
});

Deno.test("ssh_config: defaults filled last", () => {
  const c = resolveSshConfig({ host: "plain", readFile: () => undefined, env }).config;
  assert.equal(c.hostName, "plain");
  assert.equal(c.user, "al");
  assert.equal(c.port, 22);
  assert.deepEqual(c.userKnownHostsFiles, [
    "/home/al/.ssh/known_hosts",
    "/home/al/.ssh/known_hosts2",
  ]);
  assert.equal(c.strictHostKeyChecking, "ask");
  assert.equal(c.numberOfPasswordPrompts, 3);
  assert.equal(nativeUnsupportedReason(c), undefined);
});

Deno.test("ssh_config: printed settings parse back to the same", () => {
  const read = files({ "/home/al/.ssh/config": USER_CONFIG + "\nHost *\n  Ciphers +aes128-ctr\n" });
  for (const host of ["db-prod", "db-test", "other"]) {
    const c = resolveSshConfig({ host, readFile: read, env }).config;
    const text = formatSshConfig(c);
    assert.deepEqual({ ...parseSshConfigText(text, host, env), host }, { ...c, host }, text);
  }
});

Deno.test("ssh_config: what native cannot do, and unsupported keywords", () => {
  const read = files({
    "/home/al/.ssh/config":
      "Host a\n ProxyCommand nc %h %p\nHost b\n ControlMaster auto\nHost *\n GSSAPIKexAlgorithms x\n",
  });
  const a = resolveSshConfig({ host: "a", readFile: read, env });
  assert.match(nativeUnsupportedReason(a.config)!, /ProxyCommand nc %h %p/);
  assert.equal(a.unsupported[0]?.keyword, "GSSAPIKexAlgorithms");
  assert.match(a.unsupported[0]!.where, /config line 6/);
  const b = resolveSshConfig({ host: "b", readFile: read, env }).config;
  assert.match(nativeUnsupportedReason(b)!, /ControlMaster auto/);
});

Deno.test("ssh_config: bad values are named with file and line", () => {
  const read = files({ "/home/al/.ssh/config": "\nHost *\n  StrictHostKeyChecking maybe\n" });
  assert.throws(
    () => resolveSshConfig({ host: "h", readFile: read, env }),
    /Bad value "maybe" for stricthostkeychecking in \/home\/al\/.ssh\/config line 3: use yes, no, ask or accept-new/,
  );
  const port = files({ "/home/al/.ssh/config": "Port 99999\n" });
  assert.throws(
    () => resolveSshConfig({ host: "h", readFile: port, env }),
    /line 1: use a port number/,
  );
});

Deno.test("ssh_config: pattern lists", () => {
  assert.ok(matchPatternList(["*.example.com"], "a.example.com"));
  assert.ok(!matchPatternList(["*.example.com", "!b.example.com"], "b.example.com"));
  assert.ok(matchPatternList(["db?"], "db1"));
  assert.ok(!matchPatternList(["db?"], "db12"));
  assert.ok(!matchPatternList(["!x"], "y"), "only negations never match");
});
