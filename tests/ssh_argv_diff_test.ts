/**
 * `sockhop ssh -G` against the real `ssh -G`: a few hundred generated command lines (options
 * before and after the destination, `-o` in its three spellings, `--`, clusters, missing
 * arguments, unknown letters, ssh:// and user@ destinations) must give the same stdout and
 * the same exit status (0, or 255). In-process for all, through the CLI for a sample.
 * ARGV_SEED=N generates another set (seeds 1 to 5 agree as well).
 */

import assert from "node:assert/strict";
import { parseSshArgv, SshArgvError } from "../cli/ssh_argv.ts";
import { SshExit, sshInvocation, type SshItem } from "../lib/ssh_cli_options.ts";
import { printedConfig, resolveInvocation } from "../lib/ssh_client.ts";
import { runSockhop, tempDir } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";

/** A small deterministic generator (mulberry32), so a failure names a case that comes back. */
function _random(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function _pools(key: string, config: string) {
  const options: string[][] = [
    ["-p", "2222"],
    ["-p2200"],
    ["-p", "0"],
    ["-p", "x"],
    ["-l", "alice"],
    ["-lbob"],
    ["-o", "Port=33"],
    ["-o", "Port 44"],
    ["-oPort=55"],
    ["-o", "User=carol"],
    ["-oUser dave"],
    ["-o", "SendEnv=GIT_PROTOCOL"],
    ["-o", "SendEnv GIT_*"],
    ["-o", "SetEnv=A=1"],
    ["-o", "ControlMaster=auto"],
    ["-o", "ControlPersist=60s"],
    ["-o", "ControlPath=/tmp/cp-%C"],
    ["-o", "PreferredAuthentications=gssapi-with-mic,publickey"],
    ["-o", "KbdInteractiveAuthentication=no"],
    ["-o", "ConnectTimeout=10"],
    ["-o", "BatchMode=yes"],
    ["-o", "StrictHostKeyChecking=accept-new"],
    ["-o", "ProxyCommand=nc %h %p"],
    ["-o", "RequestTTY=force"],
    ["-o", "RemoteCommand=none"],
    ["-oPermitLocalCommand=no"],
    ["-oClearAllForwardings=yes"],
    ["-oForwardAgent=no"],
    ["-o", "ForwardX11 no"],
    ["-o", "NoSuchOption=1"],
    ["-o", "Port=notaport"],
    ["-4"],
    ["-6"],
    ["-A"],
    ["-a"],
    ["-C"],
    ["-T"],
    ["-t"],
    ["-tt"],
    ["-n"],
    ["-N"],
    ["-f"],
    ["-o", "ForkAfterAuthentication=yes"],
    ["-o", "SessionType=subsystem"],
    ["-o", "SessionType none"],
    ["-o", "RemoteCommand=uptime"],
    ["-s"],
    ["-q"],
    ["-v"],
    ["-vvv"],
    ["-x"],
    ["-X"],
    ["-Y"],
    ["-g"],
    ["-k"],
    ["-K"],
    ["-M"],
    ["-MM"],
    ["-2"],
    ["-P"],
    ["-y"],
    ["-E", "/dev/null"],
    ["-i", key],
    ["-i", "/nonexistent/key"],
    ["-J", "jump"],
    ["-J", "u@j1:2022,j2"],
    ["-J", "none"],
    ["-W", "target:80"],
    ["-W", "nope"],
    ["-L", "8080:localhost:80"],
    ["-L", "bad"],
    ["-R", "9090:localhost:90"],
    ["-D", "1080"],
    ["-w", "any"],
    ["-w", "bad:x"],
    ["-e", "^A"],
    ["-e", "none"],
    ["-e", "xx"],
    ["-c", "aes128-ctr"],
    ["-c", "nosuchcipher"],
    ["-m", "hmac-sha2-256"],
    ["-m", "nosuchmac"],
    ["-b", "127.0.0.1"],
    ["-B", "lo"],
    ["-S", "/tmp/ctl"],
    ["-S", "none"],
    ["-I", "/usr/lib/pkcs11.so"],
    ["-F", config],
    ["-O", "check"],
    ["-O", "bogus"],
    ["-z"],
    ["-h"],
    ["--"],
    ["-Ct4"],
    ["-vp", "99"],
  ];
  const dests = [
    "host",
    "alice@host",
    "a@b@host",
    "ssh://u@host:2022",
    "ssh://host",
    "ssh://host/path",
    "Example.COM",
    "127.0.0.1",
    "@host",
    "-bad",
  ];
  const commands = [[], ["true"], ["git-upload-pack", "'/repo'"], ["sftp"], ["ls", "-l"], ["-v"]];
  return { options, dests, commands };
}

/** Generated argv, always starting with -G (and sometimes only reaching it after the host). */
export function generatedArgv(count: number, key: string, config: string): string[][] {
  const rnd = _random(Number(Deno.env.get("ARGV_SEED") ?? 20261206));
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const { options, dests, commands } = _pools(key, config);
  const out: string[][] = [];
  for (let i = 0; i < count; i++) {
    const before = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(options)).flat();
    const after = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(options)).flat();
    const g = rnd() < 0.8 ? "before" : "after";
    const words = [
      ...(g === "before" ? ["-G"] : []),
      ...before,
      pick(dests),
      ...(g === "after" ? ["-G"] : []),
      ...after,
      ...pick(commands),
    ];
    // Without -F, the tests read this config rather than the machine's.
    out.push(words.includes("-F") ? words : ["-F", config, ...words]);
  }
  return out;
}

/** What sockhop ssh -G does with argv, in-process: stdout and exit status. */
export function sockhopG(argv: string[]): { stdout: string; code: number } {
  let items: SshItem[];
  let command: readonly string[] = [];
  try {
    const parsed = parseSshArgv(argv);
    items = [...parsed.items];
    command = parsed.command;
  } catch (err) {
    if (!(err instanceof SshArgvError)) throw err;
    items = [...err.items, { error: err.message }];
  }
  try {
    const inv = sshInvocation(items, command, {
      version: "v",
    });
    const resolved = resolveInvocation(inv);
    // Only -G cases are generated; one that never reached -G is reported by its status.
    if (!inv.configTest) return { stdout: "", code: -1 };
    return { stdout: printedConfig(inv, resolved.config), code: 0 };
  } catch (err) {
    if (err instanceof SshExit) {
      return err.exit.kind === "print"
        ? { stdout: err.exit.stdout ?? "", code: 0 }
        : { stdout: "", code: 255 };
    }
    throw err;
  }
}

async function _ssh(argv: string[]): Promise<{ stdout: string; code: number }> {
  const out = await new Deno.Command("ssh", {
    args: argv,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  })
    .output();
  return { stdout: new TextDecoder().decode(out.stdout), code: out.code };
}

Deno.test("ssh -G and sockhop ssh -G agree on generated command lines", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sockhop-argv-");
  const key = `${dir}/id_test`;
  await Deno.writeTextFile(key, "not a key, only a file that exists\n");
  const config = `${dir}/config`;
  await Deno.writeTextFile(
    config,
    "Host jump\n  HostName 127.0.0.2\n  User jumper\nHost *.com\n  Port 2022\nHost *\n  ServerAliveInterval 7\n",
  );
  const cases = generatedArgv(1000, key, config);
  const differences: string[] = [];
  let accepted = 0;
  for (const argv of cases) {
    const ssh = await _ssh(argv);
    // ssh -G exits 0 only when it printed; the cases that never reach -G are not compared.
    const mine = sockhopG(argv);
    if (mine.code === -1 && ssh.code === 255) continue;
    if (ssh.code === 0) accepted++;
    if (ssh.code !== mine.code || ssh.stdout !== mine.stdout) {
      const line = _firstDiff(ssh.stdout, mine.stdout);
      differences.push(`${JSON.stringify(argv)}: ssh ${ssh.code}, sockhop ${mine.code} ${line}`);
    }
  }
  console.log(
    `${cases.length} command lines, ${accepted} accepted by ssh -G, ${differences.length} differences`,
  );
  assert.deepEqual(differences, []);
  // The generator must exercise both outcomes.
  assert.ok(accepted > 100, `only ${accepted} cases accepted`);
  assert.ok(cases.length - accepted > 50);
});

Deno.test("sockhop ssh -G through the CLI: same stdout and status as ssh -G", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir("sockhop-argv-");
  const config = `${dir}/config`;
  await Deno.writeTextFile(config, "Host h\n  Port 2200\n");
  const samples = [
    ["-F", config, "-G", "h"],
    ["-F", config, "h", "-G", "-p", "1", "-l", "u"],
    ["-F", config, "-G", "-o", "SendEnv GIT_PROTOCOL", "-oPort=7", "u@h", "cmd", "-p", "9"],
    ["-F", config, "-G", "--", "h", "-p", "5"],
    ["-F", config, "-G", "-z", "h"],
    ["-F", config, "-G"],
    ["-F", "none", "-G", "-s", "h"],
  ];
  for (const argv of samples) {
    const ssh = await _ssh(argv);
    const r = await runSockhop(["ssh", ...argv]);
    const mine = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, ssh.code, `${JSON.stringify(argv)}: ${r.stderr}`);
    assert.equal(mine, ssh.stdout, JSON.stringify(argv));
  }
});

function _firstDiff(a: string, b: string): string {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `(ssh: ${JSON.stringify(x[i])}, sockhop: ${JSON.stringify(y[i])})`;
  }
  return "";
}
