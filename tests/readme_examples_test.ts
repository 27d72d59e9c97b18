/**
 * Every command example of README.md, run for real, in order, as a newcomer runs them: in a
 * world of its own (network, mount and hostname namespaces; root only) with a real sshd on
 * 127.0.0.1:22, a throwaway home bound over /root whose ~/.ssh/config sends every host name of
 * the README there, and a copy of this checkout (the files a fresh clone has, and new ones) as
 * the working dir. The README's own steps install sockhop on the PATH; nothing else does.
 *
 * The table below is keyed by each ```sh block's exact text: a block it does not know fails the
 * test, and so does an entry the README no longer has, so a changed example is a changed test.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./_cli.ts";
import { requirePeer, startSshd } from "./_sshd.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const dec = new TextDecoder();
/** The checkout's copy, as seen inside the world. */
const CLONE = "/root/sockhop";

/** How one command of a block runs. */
type Step =
  /** Runs to its end and exits 0; its stdout matches `stdout`. */
  | { ok: true; stdin?: string; stdout?: RegExp }
  /** Keeps running (a server, a forward) until its block ends (`keep`: until the world ends). */
  | { bg: true; ready: RegExp | { path: string }; keep?: boolean };

interface Example {
  /** One step per command of the block, in order. */
  steps: Step[];
  /** The peers the block talks to, started before it. */
  before?: (w: World) => Promise<void>;
  /** Checks after the block's commands ran, its background ones still running. */
  after?: (w: World) => Promise<void>;
}

const GET = "GET / HTTP/1.0\r\n\r\n";

const DOCKER_API = `import http.server, socketserver
class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"[]\\n" if self.path == "/containers/json" else b"{}\\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    pass
Server("/var/run/docker.sock", Api).serve_forever()
`;

const EXAMPLES: Record<string, Example> = {
  [
    `deno install      # the one dependency, ssh2, from npm
deno task demo    # a throwaway session behind sockhop's SSH server, reached over SSH
`
  ]: { steps: [{ ok: true }, { ok: true, stdout: /equal: 64 MiB over SSH/ }] },

  [
    `deno task bundle                                                   # dist/sockhop.js, all of sockhop
deno install -g -A -f --root ~/.local -n sockhop dist/sockhop.js   # the command ~/.local/bin/sockhop
sockhop --version    # "not found"? add it to your PATH: export PATH="$HOME/.local/bin:$PATH"
`
  ]: { steps: [{ ok: true }, { ok: true }, { ok: true, stdout: /^sockhop \d+\.\d+\.\d+\n$/ }] },

  [
    `scp dist/sockhop.js db:
ssh db deno install -g -A -f --root .local -n sockhop sockhop.js
`
  ]: {
    steps: [{ ok: true }, { ok: true }],
    after: async (w) => {
      assert.ok((await Deno.stat(`${w.home}/sockhop.js`)).isFile);
      assert.match(await Deno.readTextFile(`${w.home}/.local/bin/sockhop`), /sockhop\.js/);
    },
  },

  [
    `sockhop start ssh://db/hello exec:sh -c 'echo "hello from $(hostname)"; cat'
echo hi | sockhop connect ssh://db/hello
sockhop stop ssh://db/hello
`
  ]: {
    steps: [
      { ok: true, stdout: /^started hello pid=\d+ log=/ },
      { ok: true, stdout: /^hello from box\nhi\n$/ },
      { ok: true, stdout: /^stopped hello pid=\d+/ },
    ],
  },

  [
    `sockhop forward ssh://db/ --remote-socket=/var/run/docker.sock --listen=unix:/tmp/docker.sock
curl --unix-socket /tmp/docker.sock http://localhost/containers/json    # or: docker -H unix:///tmp/docker.sock ps
`
  ]: {
    before: async (w) => {
      // Docker's API answering its containers list (none), over HTTP on Docker's socket path.
      await Deno.writeTextFile(`${w.home}/docker-api.py`, DOCKER_API);
      w.background("/usr/bin/python3 /root/docker-api.py");
      await w.until("test -S /var/run/docker.sock");
    },
    steps: [{ bg: true, ready: /forwarding/ }, { ok: true, stdout: /^\[\]\n$/ }],
  },

  [
    `sockhop start ssh://db/web tcp:127.0.0.1:8080     # on db itself: sockhop serve web tcp:127.0.0.1:8080
`
  ]: {
    before: async (w) => {
      await Deno.mkdir(`${w.home}/www`);
      await Deno.writeTextFile(`${w.home}/www/index.html`, "hello web\n");
      w.background("/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory /root/www");
      await w.until("exec 3<>/dev/tcp/127.0.0.1/8080");
    },
    steps: [{ ok: true, stdout: /^started web pid=\d+/ }],
  },

  [
    `sockhop forward ssh://db/web --listen=tcp:8081
curl http://127.0.0.1:8081/
`
  ]: { steps: [{ bg: true, ready: /forwarding/ }, { ok: true, stdout: /^hello web\n$/ }] },

  [
    `socat -t 30 UNIX-LISTEN:/tmp/web.sock,fork 'EXEC:sockhop connect ssh\\://db/web'
`
  ]: {
    steps: [{ bg: true, ready: { path: "/tmp/web.sock" } }],
    after: async (w) => {
      const r = await w.run("curl --unix-socket /tmp/web.sock http://localhost/");
      assert.equal(r.stdout, "hello web\n", r.stderr);
    },
  },

  [
    `sockhop forward ssh://db/web --listen=tcp:8081 --listen=unix:/tmp/web.sock --retry
`
  ]: {
    steps: [{ bg: true, ready: /forwarding|connected/ }],
    after: async (w) => {
      const tcp = await w.run("curl -sS http://127.0.0.1:8081/");
      assert.equal(tcp.stdout, "hello web\n", tcp.stderr);
      const unix = await w.run("curl -sS --unix-socket /tmp/web.sock http://localhost/");
      assert.equal(unix.stdout, "hello web\n", unix.stderr);
    },
  },

  [
    `sockhop serve --bind-ssh=0.0.0.0:2222 vnc tcp:127.0.0.1:5900
`
  ]: {
    before: async (w) => {
      // A VNC server's greeting: what a viewer reads first.
      w.background(
        "socat TCP-LISTEN:5900,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo RFB 003.008; sleep 1'",
      );
      await w.until("exec 3<>/dev/tcp/127.0.0.1/5900");
    },
    steps: [{ bg: true, ready: /listening on ssh:0\.0\.0\.0:2222/, keep: true }],
  },

  [
    `sockhop forward ssh://box:2222/vnc --listen=tcp:5901
ssh -p 2222 -N -L /tmp/vnc.sock:/run/user/1000/sockhop/box-vnc box
`
  ]: {
    steps: [{ bg: true, ready: /forwarding/ }, { bg: true, ready: { path: "/tmp/vnc.sock" } }],
    after: async (w) => {
      const tcp = await w.run("exec 3<>/dev/tcp/127.0.0.1/5901; head -n 1 <&3");
      assert.equal(tcp.stdout, "RFB 003.008\n", tcp.stderr);
      const unix = await w.run("socat -u UNIX-CONNECT:/tmp/vnc.sock - | head -n 1");
      assert.equal(unix.stdout, "RFB 003.008\n", unix.stderr);
    },
  },

  [
    `printf 'host=db\\nsession=web\\nssh=native\\n' > web.sockhop
sockhop connect web.sockhop
`
  ]: { steps: [{ ok: true }, { ok: true, stdin: GET, stdout: /hello web/ }] },

  [
    `GIT_SSH_COMMAND="sockhop ssh" git clone db:repo.git
rsync -a -e "sockhop ssh" repo/ db:copy/
`
  ]: {
    before: async (w) => {
      const r = await w.run(
        "git init -q -b main /root/src && printf 'hi\\n' > /root/src/file && " +
          "git -C /root/src add file && " +
          "git -C /root/src -c user.name=t -c user.email=t@t commit -q -m one && " +
          "git clone -q --bare /root/src /root/repo.git",
      );
      assert.equal(r.code, 0, r.stderr);
    },
    steps: [{ ok: true }, { ok: true }],
    after: async (w) => {
      assert.equal(await Deno.readTextFile(`${w.home}/copy/file`), "hi\n");
    },
  },

  [
    `sockhop connect ssh://db/web -i ~/.ssh/id_ed25519 -J jump    # ssh's -i, -J, -o, -F, -p, -l
sockhop connect ssh://db/web --ssh=openssh                   # the system's ssh (or plink)
sockhop connect ssh://db/web --print-config                  # the settings used, as ssh -G
`
  ]: {
    steps: [
      { ok: true, stdin: GET, stdout: /hello web/ },
      { ok: true, stdin: GET, stdout: /hello web/ },
      { ok: true, stdout: /^hostname 127\.0\.0\.1$/m },
    ],
  },
};

/** The ```sh blocks of a markdown text, each with the commands in it. */
export function shBlocks(markdown: string): { text: string; commands: string[] }[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => ({
    text: m[1]!,
    commands: m[1]!.replace(/\\\n/g, "").split("\n").map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#")),
  }));
}

interface RunOut {
  code: number;
  stdout: string;
  stderr: string;
}

export interface World {
  /** The world's /root, as this process sees it. */
  readonly home: string;
  run(line: string, stdin?: string, timeoutMs?: number): Promise<RunOut>;
  /** Start `line` in the world, stopped when the world ends. */
  background(line: string): Deno.ChildProcess;
  /** Waits until `line` exits 0 in the world. */
  until(line: string): Promise<void>;
  spawn(line: string): Deno.ChildProcess;
}

/** Whether this machine can make the world: root, unshare, nsenter, ip, and the README's tools. */
function canMakeWorld(): boolean {
  const peers: [string, string][] = [
    ["unshare", "util-linux"],
    ["nsenter", "util-linux"],
    ["ip", "iproute2"],
    ["socat", "socat"],
    ["curl", "curl"],
    ["git", "git"],
    ["rsync", "rsync"],
    ["scp", "openssh-client"],
  ];
  for (const [bin, pkg] of peers) if (!requirePeer(bin, bin, pkg)) return false;
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return false;
  if (!requirePeer("python3", "/usr/bin/python3", "python3")) return false;
  if (Deno.uid() === 0) return true;
  const message = "the README's world needs root (namespaces, a home bound over /root)";
  if (Deno.env.get("SOCKHOP_REQUIRE_PEERS") === "1") throw new Error(message);
  console.log(`skipped: ${message}`);
  return false;
}

/** Files a fresh clone has (tracked), and new ones not ignored, copied to `dest`. */
async function copyCheckout(dest: string) {
  const files = await new Deno.Command("git", {
    args: ["-C", ROOT, "ls-files", "-z", "-c", "-o", "--exclude-standard"],
    stdout: "piped",
  }).output();
  assert.equal(files.code, 0, "git ls-files failed");
  for (const rel of dec.decode(files.stdout).split("\0").filter(Boolean)) {
    const from = `${ROOT}/${rel}`;
    const info = await Deno.lstat(from).catch(() => undefined);
    if (!info?.isFile) continue; // deleted in the work tree, or a link
    await Deno.mkdir(dirname(`${dest}/${rel}`), { recursive: true });
    await Deno.copyFile(from, `${dest}/${rel}`);
    await Deno.chmod(`${dest}/${rel}`, info.mode! & 0o777);
  }
}

/** The ids of processes in the network namespace `ns` (a /proc/PID/ns/net link's text). */
function processesIn(ns: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${e.name}/ns/net`) === ns) pids.push(Number(e.name));
    } catch {
      // gone, or not ours to look at
    }
  }
  return pids;
}

function kill(pid: number, signal: Deno.Signal) {
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the world and runs `fn` in it; everything started in it is stopped afterwards. */
export async function withWorld(fn: (w: World) => Promise<void>) {
  // Outside /tmp, which the world has of its own (the README's sockets go there).
  await using dir = await tempDir("sockhop-readme-", "/var/tmp");
  const home = `${dir}/home`;
  await Deno.mkdir(`${home}/.ssh`, { recursive: true, mode: 0o700 });
  await Deno.mkdir(`${home}/.cache/deno`, { recursive: true });
  await copyCheckout(`${home}/sockhop`);
  // The cache this deno uses (DENO_DIR, XDG_CACHE_HOME or HOME's), for `deno install` offline.
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const realDenoDir = (JSON.parse(dec.decode(info.stdout)) as { denoDir: string }).denoDir;
  await Deno.mkdir(realDenoDir, { recursive: true });
  const denoBin = dirname(Deno.execPath());
  assert.ok(!denoBin.startsWith("/root/"), `deno in ${denoBin} would be hidden by the world`);

  // The namespaces, held by cat until its stdin closes: loopback up, hostname box, the throwaway
  // home over /root (the real deno cache bound inside it), a /run and a /tmp of its own.
  const setup = [
    "set -e",
    "ip link set lo up",
    "hostname box",
    "mount --make-rprivate /",
    `mount --bind '${realDenoDir}' '${home}/.cache/deno'`,
    `mount --rbind '${home}' /root`,
    "mount -t tmpfs -o mode=755 tmpfs /run",
    "mount -t tmpfs -o mode=1777 tmpfs /tmp",
    "mkdir -p /run/sshd /run/user/1000 && chmod 700 /run/user/1000",
    "echo up",
    "exec cat >/dev/null",
  ].join("\n");
  const holder = new Deno.Command("unshare", {
    args: ["--net", "--mount", "--uts", "--", "sh", "-c", setup],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const first = await reader.read();
  reader.releaseLock();
  const ns = Deno.readLinkSync(`/proc/${holder.pid}/ns/net`);
  const enter = [
    "nsenter",
    ...[["net", "net"], ["mount", "mnt"], ["uts", "uts"]].map(([o, f]) =>
      `--${o}=/proc/${holder.pid}/ns/${f}`
    ),
  ];
  const started: Deno.ChildProcess[] = [];
  try {
    assert.equal(dec.decode(first.value ?? new Uint8Array()).trim(), "up", "namespaces not made");

    const path =
      `/root/.local/bin:${denoBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const sshd = await startSshd({
      enter: [...enter, "--"],
      port: 22,
      parent: dir,
      extraConfig: [
        `SetEnv XDG_RUNTIME_DIR=/run/user/1000 PATH=${path}`,
        "Subsystem sftp internal-sftp", // as a distribution's sshd_config has it, for scp
      ],
    });
    try {
      await Deno.copyFile(sshd.clientKey, `${home}/.ssh/id_ed25519`);
      await Deno.chmod(`${home}/.ssh/id_ed25519`, 0o600);
      const pub = await Deno.readTextFile(`${sshd.clientKey}.pub`);
      await Deno.writeTextFile(`${home}/.ssh/id_ed25519.pub`, pub);
      await Deno.writeTextFile(`${home}/.ssh/authorized_keys`, pub, { mode: 0o600 });
      // Every host name of the README is this world's sshd (or, with a port, sockhop's server).
      await Deno.writeTextFile(
        `${home}/.ssh/config`,
        "Host *\n  HostName 127.0.0.1\n  StrictHostKeyChecking accept-new\n",
        { mode: 0o600 },
      );
      const env: Record<string, string> = {
        HOME: "/root",
        USER: "root",
        LOGNAME: "root",
        PATH: path,
        XDG_RUNTIME_DIR: "/run/user/1000",
        LANG: "C.UTF-8",
        NO_COLOR: "1",
      };
      const spawn = (line: string, stdin: "piped" | "null" = "null") =>
        new Deno.Command(enter[0]!, {
          args: [...enter.slice(1), `--wdns=${CLONE}`, "--", "bash", "-c", line],
          env,
          clearEnv: true,
          stdin,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      const world: World = {
        home,
        spawn,
        async run(line, stdin, timeoutMs = 300000) {
          const child = spawn(line, "piped");
          const w = child.stdin.getWriter();
          if (stdin) await w.write(new TextEncoder().encode(stdin)).catch(() => {});
          await w.close().catch(() => {});
          const timer = setTimeout(() => kill(child.pid, "SIGKILL"), timeoutMs);
          const out = await child.output();
          clearTimeout(timer);
          return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
        },
        background(line) {
          const child = spawn(line);
          child.stdout.pipeTo(new WritableStream()).catch(() => {});
          child.stderr.pipeTo(new WritableStream()).catch(() => {});
          started.push(child);
          return child;
        },
        async until(line) {
          const deadline = Date.now() + 60000;
          while ((await world.run(line, undefined, 10000)).code !== 0) {
            if (Date.now() > deadline) throw new Error(`never true in the world: ${line}`);
            await sleep(100);
          }
        },
      };
      await fn(world);
    } finally {
      for (const c of started) kill(c.pid, "SIGTERM");
      await sshd.stop();
    }
  } finally {
    // Whatever still runs in the world (a serve that `sockhop start` left, a forward) is ours.
    for (const pid of processesIn(ns)) if (pid !== holder.pid) kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && processesIn(ns).length > 1; i++) await sleep(100);
    for (const pid of processesIn(ns)) if (pid !== holder.pid) kill(pid, "SIGKILL");
    await holder.stdin.close().catch(() => {});
    await holder.output();
  }
}

/** A background command of a block: read until ready, kept reading so it never blocks. */
async function startStep(w: World, line: string, ready: RegExp | { path: string }) {
  const child = w.spawn(line);
  let log = "";
  const reading = Promise.all([child.stdout, child.stderr].map(async (s) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) log += chunk;
  }));
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 120000;
  for (;;) {
    if (ready instanceof RegExp) {
      if (ready.test(log)) break;
    } else if ((await w.run(`test -S ${ready.path}`)).code === 0) break;
    if (exited || Date.now() > deadline) {
      kill(child.pid, "SIGKILL");
      await reading;
      throw new Error(
        `${line}\nnever got ready (${exited ? "it exited" : "still running"}):\n${log}`,
      );
    }
    await sleep(100);
  }
  return {
    async stop() {
      kill(child.pid, "SIGTERM");
      const killer = setTimeout(() => kill(child.pid, "SIGKILL"), 20000);
      await child.status;
      clearTimeout(killer);
      await reading;
    },
  };
}

Deno.test("readme examples: every ```sh block of README.md is in the table, and every entry in the README", async () => {
  const blocks = shBlocks(await Deno.readTextFile(`${ROOT}/README.md`));
  const known = new Set(Object.keys(EXAMPLES));
  const unknown = blocks.filter((b) => !known.has(b.text)).map((b) => b.text);
  assert.deepEqual(unknown, [], "README examples this test does not run: add them to EXAMPLES");
  const texts = new Set(blocks.map((b) => b.text));
  assert.deepEqual(Object.keys(EXAMPLES).filter((k) => !texts.has(k)), [], "stale EXAMPLES");
  for (const b of blocks) {
    assert.equal(EXAMPLES[b.text]!.steps.length, b.commands.length, `steps of:\n${b.text}`);
  }
});

Deno.test("readme examples: each one runs as written, in order, against a real sshd", async (t) => {
  if (!canMakeWorld()) return;
  const blocks = shBlocks(await Deno.readTextFile(`${ROOT}/README.md`));
  await withWorld(async (w) => {
    const kept: { stop(): Promise<void> }[] = [];
    try {
      for (const block of blocks) {
        const example = EXAMPLES[block.text];
        assert.ok(example, `not in the table:\n${block.text}`);
        const ok = await t.step(block.commands[0]!, async () => {
          await example.before?.(w);
          const running: { stop(): Promise<void> }[] = [];
          try {
            for (const [i, line] of block.commands.entries()) {
              const step = example.steps[i]!;
              if ("bg" in step) {
                const proc = await startStep(w, line, step.ready);
                (step.keep ? kept : running).push(proc);
                continue;
              }
              const r = await w.run(line, step.stdin);
              assert.equal(r.code, 0, `${line}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
              if (step.stdout) assert.match(r.stdout, step.stdout, `${line}\n${r.stderr}`);
            }
            await example.after?.(w);
          } finally {
            for (const p of running) await p.stop();
          }
        });
        if (!ok) break; // later examples build on this one
      }
    } finally {
      for (const p of kept) await p.stop();
    }
  });
});
