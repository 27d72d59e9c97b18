/**
 * A real OpenSSH sshd on 127.0.0.1 with a throwaway config, host key, authorized client key
 * and a free port, for tests. Everything it starts is stopped and removed by stop().
 */

import { tempDir, within } from "./_cli.ts";

const SSHD = "/usr/sbin/sshd";

/** Whether a peer program exists; skips (or, in CI, fails) when it does not. */
export function requirePeer(name: string, path: string = name, pkg = name): boolean {
  const found = path.includes("/") ? _isFile(path) : _onPath(path);
  if (found) return true;
  const message = `${name} is not installed (apt-get install ${pkg})`;
  if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") {
    throw new Error(`required peer missing: ${message}`);
  }
  console.log(`skipped: ${message}`);
  return false;
}

function _isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function _onPath(program: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((d) => _isFile(`${d}/${program}`));
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface Sshd extends AsyncDisposable {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  /** The host key's public line, "ssh-ed25519 AAAA...". */
  readonly hostKeyLine: string;
  /** Its SHA256 fingerprint, as ssh-keygen prints it. */
  readonly hostKeyFingerprint: string;
  /** A private key (0600) authorized for the current user. */
  readonly clientKey: string;
  /** A known_hosts file holding "[127.0.0.1]:PORT <host key>". */
  readonly knownHosts: string;
  /** ssh's words for this server: no user config, our key, our known_hosts, no questions. */
  sshWords(): string[];
  log(): Promise<string>;
  /** Kill sshd and its connections, then start it again on the same port and keys. */
  restart(): Promise<void>;
  /** The processes of its connections (every descendant of the listening sshd). */
  connectionPids(): number[];
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** More sshd_config lines, e.g. "ForceCommand /x/noise.sh". */
  extraConfig?: string[];
  /** Allow password logins (for a test user). */
  passwordAuth?: boolean;
  /** Keyboard-interactive through PAM (root only; for a test user). */
  kbdInteractive?: boolean;
  /** Words that start sshd inside a namespace (`nsenter --net=... --`); readiness from its log. */
  enter?: string[];
  /** The port (default: a free one); with `enter`, a namespace's own port 22 is free. */
  port?: number;
  /** Where its files go (default: the system's temp dir), e.g. outside a namespace's own /tmp. */
  parent?: string;
}

async function _run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Generate an ed25519 key pair at `path` (and `path.pub`). */
export async function keygen(path: string, passphrase = ""): Promise<string> {
  await _run("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    passphrase,
    "-C",
    "sockhop-test",
    "-f",
    path,
  ]);
  return (await Deno.readTextFile(`${path}.pub`)).trim();
}

/**
 * The harness's lines, then `extra`: sshd takes a keyword's first value, so a keyword that
 * `extra` sets (before any Match block) is left out of the harness's lines.
 */
function _withOverrides(lines: string[], extra: string[]): string {
  const end = extra.findIndex((l) => /^\s*match\s/i.test(l));
  const keyword = (l: string) => l.trim().split(/\s+/)[0]!.toLowerCase();
  // Keywords sshd takes many times over add to the harness's lines (one more host key or
  // listen address); the others replace them.
  const repeatable = new Set(["hostkey", "listenaddress", "hostcertificate", "acceptenv"]);
  const set = new Set(
    extra.slice(0, end < 0 ? undefined : end).map(keyword).filter((k) => !repeatable.has(k)),
  );
  return [...lines.filter((l) => !set.has(keyword(l))), ...extra, ""].join("\n");
}

/** Start sshd; resolves once it answers with an SSH banner. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const tmp = await tempDir("sockhop-sshd-", options.parent);
  const dir = `${tmp}`;
  await Deno.chmod(dir, 0o755);
  const port = options.port ?? freePort();
  const hostKey = `${dir}/host_ed25519`;
  const hostKeyLine = (await keygen(hostKey)).split(" ").slice(0, 2).join(" ");
  const hostKeyFingerprint = (await _run("ssh-keygen", ["-lf", `${hostKey}.pub`])).split(" ")[1]!;
  const clientKey = `${dir}/client_ed25519`;
  const clientPub = await keygen(clientKey);
  await Deno.writeTextFile(`${dir}/authorized_keys`, clientPub + "\n", { mode: 0o644 });
  const knownHosts = `${dir}/known_hosts`;
  await Deno.writeTextFile(knownHosts, `[127.0.0.1]:${port} ${hostKeyLine}\n`);
  const config = `${dir}/sshd_config`;
  await Deno.writeTextFile(
    config,
    _withOverrides([
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "StrictModes no",
      `UsePAM ${options.kbdInteractive ? "yes" : "no"}`,
      "PermitRootLogin yes",
      "PubkeyAuthentication yes",
      `PasswordAuthentication ${options.passwordAuth ? "yes" : "no"}`,
      `KbdInteractiveAuthentication ${options.kbdInteractive ? "yes" : "no"}`,
      "AllowTcpForwarding yes",
      "AllowStreamLocalForwarding yes",
      "X11Forwarding no",
      "PrintMotd no",
      "PrintLastLog no",
      "LogLevel VERBOSE",
      "MaxStartups 100",
      "MaxSessions 100",
      "AcceptEnv LANG",
    ], options.extraConfig ?? []),
  );
  if (Deno.uid() === 0) await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const logFile = `${dir}/sshd.log`;
  const [command, ...prefix] = [...(options.enter ?? []), SSHD];
  const spawn = () =>
    new Deno.Command(command!, {
      args: [...prefix, "-D", "-f", config, "-E", logFile],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  let child = spawn();
  const log = () => Deno.readTextFile(logFile).catch(() => "");
  const connectionPids = () => _descendantsOf(child.pid);
  const end = async () => {
    // Per-connection children of `sshd -D` outlive the listener: end them too (a stopped
    // one is continued first, or SIGTERM waits for it).
    for (const pid of connectionPids()) _kill(pid, "SIGCONT");
    for (const pid of _childrenOf(child.pid)) _kill(pid);
    _kill(child.pid);
    await child.status;
    for (const pid of _processesWith(config)) _kill(pid);
  };
  const stop = async () => {
    await end();
    await tmp[Symbol.asyncDispose]();
  };
  try {
    if (options.enter) await _waitForLog(log, child);
    else await _waitForBanner(port, child);
  } catch (err) {
    const text = await log();
    await stop();
    throw new Error(`sshd did not start: ${(err as Error).message}\n${text}`);
  }
  const user = Deno.env.get("USER") ??
    (Deno.uid() === 0 ? "root" : (await _run("id", ["-un"])).trim());
  return {
    host: "127.0.0.1",
    port,
    dir,
    user,
    hostKeyLine,
    hostKeyFingerprint,
    clientKey,
    knownHosts,
    sshWords: () => [
      "ssh",
      "-F",
      "/dev/null",
      "-i",
      clientKey,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "LogLevel=ERROR",
    ],
    log,
    async restart() {
      await end();
      child = spawn();
      await _waitForBanner(port, child);
    },
    connectionPids,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function _waitForBanner(port: number, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (exited) throw new Error("sshd exited");
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const buf = new Uint8Array(64);
      // A silent listener that took the port meanwhile must not hold the wait.
      const n = await within(2000, "a banner", conn.read(buf)).catch(() => null);
      conn.close();
      if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("SSH-2.0-")) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no SSH banner within 10 s");
}

/** Readiness of an sshd this process cannot connect to (another network namespace). */
async function _waitForLog(log: () => Promise<string>, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (exited) throw new Error("sshd exited");
    if ((await log()).includes("Server listening on")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("sshd logged no 'Server listening on' within 10 s");
}

function _kill(pid: number, signal: Deno.Signal = "SIGTERM") {
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

function _childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) pids.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return pids;
}

function _descendantsOf(ppid: number): number[] {
  const found: number[] = [];
  for (let next = [ppid]; next.length;) {
    next = next.flatMap(_childrenOf);
    found.push(...next);
  }
  return found;
}

function _processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(text)) {
        pids.push(Number(e.name));
      }
    } catch {
      // gone
    }
  }
  return pids;
}

/** A throwaway user with a password (root only); removed afterwards, even on failure. */
export async function withTestUser(
  fn: (u: { name: string; password: string; home: string }) => Promise<void>,
): Promise<void> {
  if (Deno.uid() !== 0) {
    const message = "needs root to create a throwaway user with a password";
    if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") throw new Error(message);
    console.log(`skipped: ${message}`);
    return;
  }
  const name = `shtest${Math.floor(Math.random() * 1e6)}`;
  const password = `pw-${crypto.randomUUID()}`;
  const home = `/home/${name}`;
  await _run("useradd", ["-m", "-d", home, "-s", "/bin/sh", name]);
  try {
    const chpasswd = new Deno.Command("chpasswd", { stdin: "piped", stderr: "piped" }).spawn();
    const w = chpasswd.stdin.getWriter();
    await w.write(new TextEncoder().encode(`${name}:${password}\n`));
    await w.close();
    const out = await chpasswd.output();
    if (out.code !== 0) throw new Error(`chpasswd failed: ${new TextDecoder().decode(out.stderr)}`);
    await fn({ name, password, home });
  } finally {
    for (const pid of _userProcesses(name)) _kill(pid);
    await new Deno.Command("userdel", { args: ["-r", "-f", name], stderr: "null" }).output();
  }
}

function _userProcesses(user: string): number[] {
  const uidLine = (() => {
    try {
      return Deno.readTextFileSync("/etc/passwd").split("\n").find((l) => l.startsWith(`${user}:`));
    } catch {
      return undefined;
    }
  })();
  const uid = uidLine?.split(":")[2];
  if (uid === undefined) return [];
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.statSync(`/proc/${e.name}`).uid === Number(uid)) pids.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The built-in client's flags for this sshd: no user config, its key only, its known_hosts. */
export function nativeFlags(sshd: Sshd, cipher?: string): string[] {
  return [
    "--ssh=native",
    "-F",
    "none",
    "-i",
    sshd.clientKey,
    "-o",
    "IdentitiesOnly=yes",
    ...(cipher ? ["-o", `Ciphers=${cipher}`] : []),
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
  ];
}
