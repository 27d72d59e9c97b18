/**
 * sockhop's reading of ssh_config against OpenSSH's own: every case of _ssh_config_cases.ts
 * goes through the real `ssh -G` and through sockhop's --print-config (in-process for all,
 * through the CLI for a sample), and every keyword either prints must agree, or both must
 * reject the config (sockhop with a usage error naming the file and line ssh names).
 *
 * ssh takes `~`, the user config and the local user from the passwd entry, not from $HOME: so
 * ssh runs as throwaway users (created here, removed at the end) whose homes are temp dirs.
 * That needs root; elsewhere the test is skipped with a message (or fails, with
 * SOCKHOP_REQUIRE_PEERS=1).
 */

import assert from "node:assert/strict";
import { formatSshConfig, resolveSshConfig } from "../lib/ssh_config.ts";
import { REAL_FS } from "../lib/ssh_config_files.ts";
import { sshPort } from "../lib/route.ts";
import { UsageError } from "../lib/errors.ts";
import { runSockhop } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";
import { allCases, type Case, type FileSpec } from "./_ssh_config_cases.ts";
import { generatedConfigCases } from "./_ssh_config_gen.ts";

/** Seeded cases (fixed seeds: the same every run), on top of the hand-written ones. */
const SEEDS = [1, 2, 3];
const PER_SEED = 100;

/**
 * Where sockhop deliberately differs (README, "Differences from OpenSSH and xpra"). A
 * disagreement not listed here fails the test; an entry that no case needs fails it too.
 */
const ALLOWED: readonly {
  case: string | ((c: Case) => boolean);
  keyword: string;
  why: string;
}[] = [
  {
    case: "deviation: ~/.ssh/config writable by the owner's own group",
    keyword: "(accepted)",
    why: "Debian's ssh accepts a group-writable config whose group has no other member; " +
      "sockhop keeps upstream OpenSSH's rule: writable by its owner only",
  },
  {
    case: (c) =>
      c.host.includes("@") && c.l === undefined &&
      [...(c.o ?? []), ...(c.args ?? []).filter((a) => a.flag === "o").map((a) => a.value)]
        .some((o) => /^user[ =]/i.test(o)),
    keyword: "user",
    why: "sockhop takes the URL's user, as -l, before any -o; ssh lets an -o User given " +
      "before the destination win",
  },
  {
    case: (c) => /^\s*SessionType\s+subsystem/im.test(_text(c.config)),
    keyword: "(accepted)",
    why: "ssh checks SessionType subsystem against a missing command on its command line only; " +
      "sockhop refuses it wherever it is set: its own command is never a subsystem's name",
  },
];

function _text(spec: string | FileSpec | undefined): string {
  return typeof spec === "string" ? spec : spec?.text ?? "";
}

/** Throwaway users, one per concurrent worker. */
const WORKERS = 6;

interface User {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

type Outcome =
  | { readonly ok: true; readonly values: Map<string, string[]> }
  | { readonly ok: false; readonly message: string; readonly usage: boolean };

interface Difference {
  readonly case: string;
  readonly keyword: string;
  readonly ssh: string;
  readonly sockhop: string;
  /** On a keyword both print, or on whether the config is accepted at all. */
  readonly shared: boolean;
}

function _needRoot(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) {
    const message = "the ssh_config differential test runs ssh as throwaway users: run it as root";
    if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") throw new Error(message);
    console.log(`skipped: ${message}`);
    return false;
  }
  return true;
}

function _run(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

function _makeUsers(base: string): User[] {
  const tag = `${Deno.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const users: User[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) {
      const name = `sshcfg${tag}u${i}`;
      const home = `${base}/${name}`;
      Deno.mkdirSync(home, { mode: 0o755 });
      // Each user gets a group of its own (USERGROUPS_ENAB), as on a desktop.
      _run("useradd", ["-M", "-U", "-d", home, "-s", "/bin/sh", name]);
      users.push({
        name,
        home,
        uid: Number(_run("id", ["-u", name])),
        gid: Number(_run("id", ["-g", name])),
      });
    }
  } catch (err) {
    _removeUsers(users);
    throw err;
  }
  return users;
}

function _removeUsers(users: readonly User[]) {
  for (const u of users) {
    new Deno.Command("userdel", { args: [u.name], stdout: "null", stderr: "null" }).outputSync();
  }
}

const HOSTNAME = Deno.hostname();

/** Write the case's files into the user's empty home. */
function _prepare(c: Case, u: User): string | undefined {
  for (const e of Deno.readDirSync(u.home)) {
    Deno.removeSync(`${u.home}/${e.name}`, { recursive: true });
  }
  const write = (rel: string, spec: string | FileSpec) => {
    const path = `${u.home}/${rel}`;
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o755 });
    const f = typeof spec === "string" ? { text: spec } : spec;
    Deno.writeTextFileSync(path, f.text);
    Deno.chmodSync(path, f.mode ?? 0o644);
    if (f.owner !== undefined) {
      Deno.chownSync(path, f.owner === "user" ? u.uid : f.owner, f.owner === "user" ? u.gid : 0);
    }
  };
  for (const [rel, spec] of Object.entries(c.files ?? {})) write(rel, spec);
  const configPath = c.F ? `${u.home}/cfg` : `${u.home}/.ssh/config`;
  if (c.config !== undefined) write(configPath.slice(u.home.length + 1), c.config);
  return c.F ? configPath : undefined;
}

function _vars(c: Case, u: User): Record<string, string> {
  return {
    HOME: u.home,
    USER: u.name,
    LOGNAME: u.name,
    SHELL: "/bin/sh",
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    ...c.env,
  };
}

function _destination(c: Case): { user?: string; host: string } {
  const at = c.host.lastIndexOf("@");
  return at >= 0 ? { user: c.host.slice(0, at), host: c.host.slice(at + 1) } : { host: c.host };
}

function _flags(c: Case, configFile: string | undefined): string[] {
  return [
    ...(configFile ? ["-F", configFile] : []),
    ...(c.l !== undefined ? ["-l", c.l] : []),
    ...(c.p !== undefined ? ["-p", c.p] : []),
    ...(c.o ?? []).flatMap((o) => ["-o", o]),
    ...(c.args ?? []).flatMap((a) => [`-${a.flag}`, a.value]),
  ];
}

function _parse(text: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const sp = line.indexOf(" ");
    const keyword = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? "" : line.slice(sp + 1);
    values.set(keyword, [...(values.get(keyword) ?? []), value]);
  }
  return values;
}

async function _ssh(c: Case, u: User, configFile: string | undefined): Promise<Outcome> {
  const out = await new Deno.Command("ssh", {
    args: ["-G", ..._flags(c, configFile), c.host],
    uid: u.uid,
    gid: u.gid,
    cwd: u.home,
    clearEnv: true,
    env: _vars(c, u),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) return { ok: false, message: stderr.trim(), usage: true };
  return { ok: true, values: _parse(new TextDecoder().decode(out.stdout)) };
}

function _inProcess(c: Case, u: User, configFile: string | undefined): Outcome {
  const dest = _destination(c);
  const user = c.l ?? dest.user;
  try {
    const { config } = resolveSshConfig({
      host: dest.host,
      ...(user !== undefined ? { user } : {}),
      ...(c.p !== undefined ? { port: sshPort(c.p) } : {}),
      // ssh runs in the user's home: a relative -i is looked for there.
      fs: { ...REAL_FS, stat: (p) => REAL_FS.stat(p.startsWith("/") ? p : `${u.home}/${p}`) },
      options: c.o ?? [],
      ...(c.args ? { args: c.args } : {}),
      ...(configFile ? { configFile } : {}),
      matchExec: "run",
      env: {
        home: u.home,
        localUser: u.name,
        localHost: HOSTNAME,
        uid: u.uid,
        vars: _vars(c, u),
      },
    });
    return { ok: true, values: _parse(formatSshConfig(config)) };
  } catch (err) {
    return { ok: false, message: (err as Error).message, usage: err instanceof UsageError };
  }
}

async function _cli(c: Case, u: User, configFile: string | undefined): Promise<Outcome> {
  const dest = _destination(c);
  const host = dest.host.includes(":") ? `[${dest.host}]` : dest.host;
  const url = `ssh://${dest.user !== undefined ? `${dest.user}@` : ""}${host}/x`;
  const res = await runSockhop(["connect", url, "--print-config", ..._flags(c, configFile)], {
    env: _vars(c, u),
  });
  const stdout = new TextDecoder().decode(res.stdout);
  if (res.code === 0) return { ok: true, values: _parse(stdout) };
  return { ok: false, message: res.stderr.trim(), usage: res.code === 2 };
}

/** Where ssh says the error is: a file and line, the -o options, or a file alone. */
function _sshPlace(message: string): { file?: string; line?: number; option?: boolean } {
  for (const line of message.split("\n")) {
    if (/Unsupported option|Cannot forward agent|Deprecated option/.test(line)) continue;
    const m = /^(.*?):? line (\d+):/.exec(line);
    if (m) {
      return m[1] === "command-line" ? { option: true } : { file: m[1]!, line: Number(m[2]) };
    }
    const perm = /Bad owner or permissions on (\S+)/.exec(line);
    if (perm) return { file: perm[1]! };
  }
  return {};
}

function _compare(name: string, ssh: Outcome, mine: Outcome, via: string): Difference[] {
  const diff = (keyword: string, a: string, b: string, shared = true) => ({
    case: name,
    keyword,
    ssh: a,
    sockhop: `${b}${via}`,
    shared,
  });
  if (ssh.ok && mine.ok) {
    const out: Difference[] = [];
    for (const k of new Set([...ssh.values.keys(), ...mine.values.keys()])) {
      const a = ssh.values.get(k) ?? [];
      const b = mine.values.get(k) ?? [];
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        out.push(
          diff(
            k,
            a.join(" | ") || "(absent)",
            b.join(" | ") || "(absent)",
            !!a.length && !!b.length,
          ),
        );
      }
    }
    return out;
  }
  if (!ssh.ok && mine.ok) return [diff("(rejected)", ssh.message.split("\n")[0]!, "accepted")];
  if (ssh.ok && !mine.ok) return [diff("(accepted)", "accepted", mine.message)];
  if (ssh.ok || mine.ok) return [];
  const place = _sshPlace(ssh.message);
  const named = (place.file === undefined || mine.message.includes(place.file)) &&
    (place.line === undefined || mine.message.includes(`line ${place.line}`)) &&
    (!place.option || mine.message.includes("-o"));
  if (!mine.usage || !named) {
    return [
      diff(
        "(error)",
        ssh.message.split("\n")[0]!,
        `${mine.usage ? "" : "not usage: "}${mine.message}`,
      ),
    ];
  }
  return [];
}

Deno.test("ssh_config: sockhop --print-config agrees with ssh -G", async () => {
  if (
    !_needRoot() || !requirePeer("ssh", "ssh", "openssh-client") ||
    !requirePeer("useradd", "/usr/sbin/useradd", "passwd")
  ) return;
  const version = new TextDecoder().decode(
    new Deno.Command("ssh", { args: ["-V"], stderr: "piped" }).outputSync().stderr,
  ).trim();
  const generated = SEEDS.flatMap((seed) => generatedConfigCases(seed, PER_SEED));
  const cases = [...allCases(), ...generated];
  assert.ok(cases.length >= 200 + generated.length, `only ${cases.length} cases`);
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `two cases named ${c.name}`);
    names.add(c.name);
  }
  const base = Deno.makeTempDirSync({ prefix: "sockhop-sshcfg-" });
  Deno.chmodSync(base, 0o755);
  const users = _makeUsers(base);
  const differences: Difference[] = [];
  let viaCli = 0;
  try {
    await Promise.all(users.map(async (u, w) => {
      for (let i = w; i < cases.length; i += users.length) {
        const c = cases[i]!;
        const configFile = _prepare(c, u);
        const ssh = await _ssh(c, u, configFile);
        const mine = _inProcess(c, u, configFile);
        differences.push(..._compare(c.name, ssh, mine, ""));
        if (c.cli) {
          viaCli++;
          differences.push(..._compare(c.name, ssh, await _cli(c, u, configFile), " (CLI)"));
        }
      }
    }));
  } finally {
    _removeUsers(users);
    Deno.removeSync(base, { recursive: true });
  }
  const byName = new Map(cases.map((c) => [c.name, c]));
  const covers = (a: (typeof ALLOWED)[number], d: Difference) =>
    (typeof a.case === "string" ? a.case === d.case : a.case(byName.get(d.case)!)) &&
    (a.keyword === "*" || a.keyword === d.keyword);
  const unexplained = differences.filter((d) => !ALLOWED.some((a) => covers(a, d)));
  const stale = ALLOWED.filter((a) => !differences.some((d) => covers(a, d)));
  const disagreeing = new Set(differences.map((d) => d.case));
  const shared = new Set(differences.filter((d) => d.shared).map((d) => d.case));
  console.log(
    `ssh_config against ${version}: ${cases.length} cases (${generated.length} seeded, ` +
      `${viaCli} also through the CLI); ` +
      `${disagreeing.size} disagree (${differences.length} keywords), ` +
      `${shared.size} on a keyword both print or on accepting the config, ` +
      `${new Set(unexplained.map((d) => d.case)).size} of them unexplained`,
  );
  assert.deepEqual(
    unexplained.map((d) => `${d.case}: ${d.keyword}: ssh ${d.ssh} / sockhop ${d.sockhop}`),
    [],
  );
  assert.deepEqual(stale.map((a) => `${a.why}: ${a.keyword}`), [], "allowed but not seen");
});
