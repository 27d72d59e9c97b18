/**
 * SSH clients nobody here wrote, each driven like `ssh HOST COMMAND` (stdin to the command, its
 * output back, its exit status as the client's): dropbear's dbclient, paramiko and asyncssh
 * (Debian's /usr/bin/python3, scripts written here), Go's golang.org/x/crypto/ssh (a small
 * program built here in GOPATH mode, offline), OpenSSH's ssh (sshpass for passwords), libssh2
 * and libssh (small C programs compiled here) and Twisted Conch (tests/_ssh_clients_c.ts).
 */

import { requirePeer } from "./_sshd.ts";
import { buildC, CONCH_CLIENT, LIBSSH2_CLIENT, LIBSSH_CLIENT } from "./_ssh_clients_c.ts";

export const CLIENT_KINDS = [
  "dbclient",
  "paramiko",
  "asyncssh",
  "go",
  "openssh",
  "libssh2",
  "libssh",
  "conch",
] as const;
export type ClientKind = typeof CLIENT_KINDS[number];

export const KEY_KINDS = ["ed25519", "ecdsa-256", "ecdsa-384", "ecdsa-521", "rsa"] as const;
export type KeyKind = typeof KEY_KINDS[number];
/** How a client logs in: with one key, or with the password. */
export type Login = KeyKind | "password";
export const LOGINS: readonly Login[] = [...KEY_KINDS, "password"];

/** Debian's python, with paramiko and asyncssh (a pyenv `python3` on PATH has neither). */
export const PYTHON = "/usr/bin/python3";
const DIST = "/usr/lib/python3/dist-packages";
const GOPATH = "/usr/share/gocode";

/** Client keys of every kind, in OpenSSH's format and (for dbclient) dropbear's. */
export interface ClientKeys {
  readonly openssh: Readonly<Record<KeyKind, string>>;
  readonly dropbear: Readonly<Record<KeyKind, string>>;
  /** The public lines, for an authorized_keys file. */
  readonly publicLines: readonly string[];
}

const KEYGEN: Record<KeyKind, string[]> = {
  "ed25519": ["-t", "ed25519"],
  "ecdsa-256": ["-t", "ecdsa", "-b", "256"],
  "ecdsa-384": ["-t", "ecdsa", "-b", "384"],
  "ecdsa-521": ["-t", "ecdsa", "-b", "521"],
  "rsa": ["-t", "rsa", "-b", "3072"],
};

async function _run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** Generate one key of each kind in `dir` (dropbear copies only when dropbearconvert exists). */
export async function makeClientKeys(dir: string): Promise<ClientKeys> {
  const openssh = {} as Record<KeyKind, string>;
  const dropbear = {} as Record<KeyKind, string>;
  const publicLines: string[] = [];
  const convert = _exists("/usr/bin/dropbearconvert");
  await Promise.all(KEY_KINDS.map(async (kind) => {
    const path = `${dir}/id_${kind.replace("-", "")}`;
    await _run("ssh-keygen", ["-q", ...KEYGEN[kind], "-N", "", "-C", `test-${kind}`, "-f", path]);
    openssh[kind] = path;
    publicLines.push((await Deno.readTextFile(`${path}.pub`)).trim());
    if (convert) {
      await _run("dropbearconvert", ["openssh", "dropbear", path, `${path}.dropbear`]);
      dropbear[kind] = `${path}.dropbear`;
    }
  }));
  return { openssh, dropbear, publicLines };
}

/** Where a client goes: the built-in server, its user and password, its host keys. */
export interface Target {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** known_hosts lines for this server ("[127.0.0.1]:PORT type base64"). */
  readonly knownHosts: string;
}

export interface ClientRun {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
  /** Killed after the time limit (it hung). */
  readonly killed: boolean;
}

/** One kind of client, ready to run. */
export interface SshClient {
  readonly kind: ClientKind;
  /** Run `command` on the target with this login, feeding `stdin`; killed after `limitMs`. */
  run(
    target: Target,
    login: Login,
    command: string,
    stdin?: Uint8Array,
    limitMs?: number,
  ): Promise<ClientRun>;
}

/** The scripts and the Go program of one test run, in `dir`. */
export class SshClients {
  readonly #dir: string;
  readonly #keys: ClientKeys;
  #goBuilt: Promise<string> | undefined;
  readonly #cBuilt = new Map<string, Promise<string>>();

  constructor(dir: string, keys: ClientKeys) {
    // A plain string: the test's temp dir is a String object, which Deno.makeTempDir ignores.
    this.#dir = String(dir);
    this.#keys = keys;
  }

  /** Whether a kind is installed; skips (or, with SOCKHOP_REQUIRE_PEERS=1, fails) if not. */
  static available(kind: ClientKind): boolean {
    switch (kind) {
      case "dbclient":
        return requirePeer("dbclient", "/usr/bin/dbclient", "dropbear-bin") &&
          requirePeer("dropbearconvert", "/usr/bin/dropbearconvert", "dropbear-bin");
      case "paramiko":
        return requirePeer("paramiko", `${DIST}/paramiko/__init__.py`, "python3-paramiko");
      case "asyncssh":
        return requirePeer("asyncssh", `${DIST}/asyncssh/__init__.py`, "python3-asyncssh");
      case "go":
        return requirePeer("go", "go", "golang-go") &&
          requirePeer(
            "golang.org/x/crypto/ssh",
            `${GOPATH}/src/golang.org/x/crypto/ssh/client.go`,
            "golang-golang-x-crypto-dev",
          );
      case "openssh":
        return requirePeer("ssh", "ssh", "openssh-client") && requirePeer("sshpass");
      case "libssh2":
        return requirePeer("gcc") &&
          requirePeer("libssh2", "/usr/include/libssh2.h", "libssh2-1-dev");
      case "libssh":
        return requirePeer("gcc") &&
          requirePeer("libssh", "/usr/include/libssh/libssh.h", "libssh-dev");
      case "conch":
        return requirePeer("Twisted Conch", `${DIST}/twisted/conch/__init__.py`, "python3-twisted");
    }
  }

  client(kind: ClientKind): SshClient {
    return {
      kind,
      run: (t, login, command, stdin, limitMs) =>
        this.#run(kind, t, login, command, stdin, limitMs),
    };
  }

  /** Build the Go client once for this run (the Go build cache makes rebuilds quick). */
  goClient(): Promise<string> {
    this.#goBuilt ??= (async () => {
      const src = `${this.#dir}/goclient`;
      await Deno.mkdir(src, { recursive: true });
      await Deno.writeTextFile(`${src}/main.go`, GO_CLIENT);
      const out = await new Deno.Command("go", {
        args: ["build", "-o", `${src}/client`, "main.go"],
        cwd: src,
        env: { GOPATH, GO111MODULE: "off", GOPROXY: "off" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (out.code !== 0) {
        throw new Error(`go build failed: ${new TextDecoder().decode(out.stderr)}`);
      }
      return `${src}/client`;
    })();
    return this.#goBuilt;
  }

  /** Compile a C client once for this run. */
  cClient(kind: "libssh2" | "libssh"): Promise<string> {
    let built = this.#cBuilt.get(kind);
    if (!built) {
      const [source, lib] = kind === "libssh2" ? [LIBSSH2_CLIENT, "ssh2"] : [LIBSSH_CLIENT, "ssh"];
      built = buildC(`${this.#dir}/cclient`, `${kind}_client`, source, lib);
      this.#cBuilt.set(kind, built);
    }
    return built;
  }

  async #script(name: string, text: string): Promise<string> {
    const path = `${this.#dir}/${name}`;
    await Deno.writeTextFile(path, text);
    return path;
  }

  async #argv(
    kind: ClientKind,
    target: Target,
    login: Login,
    command: string,
    home: string,
  ): Promise<{ cmd: string; args: string[]; env: Record<string, string> }> {
    const port = String(target.port);
    const knownHosts = `${home}/known_hosts`;
    await Deno.writeTextFile(knownHosts, target.knownHosts);
    const key = login === "password" ? "-" : this.#keys.openssh[login];
    const password = login === "password" ? { TEST_PASSWORD: target.password } : {};
    switch (kind) {
      case "dbclient": {
        // -y: trust the host key on first use (dbclient reads only ~/.ssh/known_hosts);
        // a password comes from DROPBEAR_PASSWORD, as dbclient has no password file.
        const auth = login === "password" ? [] : ["-i", this.#keys.dropbear[login]];
        return {
          cmd: "dbclient",
          args: [
            "-y",
            "-T",
            "-p",
            port,
            "-l",
            target.user,
            ...auth,
            "127.0.0.1",
            ...(command ? [command] : []),
          ],
          env: login === "password" ? { DROPBEAR_PASSWORD: target.password } : {},
        };
      }
      case "paramiko":
      case "asyncssh": {
        const script = await this.#script(`${kind}_client.py`, PYTHON_CLIENTS[kind]);
        return {
          cmd: PYTHON,
          args: [script, "127.0.0.1", port, target.user, key, knownHosts, command],
          env: password,
        };
      }
      case "libssh2":
      case "libssh":
        return {
          cmd: await this.cClient(kind),
          args: ["127.0.0.1", port, target.user, key, knownHosts, command],
          env: password,
        };
      case "conch": {
        const script = await this.#script("conch_client.py", CONCH_CLIENT);
        // Conch 22.4 matches a known_hosts line by host name alone: no "[host]:port".
        const plain = `${home}/known_hosts_plain`;
        await Deno.writeTextFile(plain, target.knownHosts.replace(/^\[([^\]]+)\]:\d+ /gm, "$1 "));
        return {
          cmd: PYTHON,
          args: [script, "127.0.0.1", port, target.user, key, plain, command],
          env: password,
        };
      }
      case "go":
        return {
          cmd: await this.goClient(),
          args: ["127.0.0.1", port, target.user, key, knownHosts, command],
          env: password,
        };
      case "openssh": {
        const common = [
          "-F",
          "/dev/null",
          "-o",
          `UserKnownHostsFile=${knownHosts}`,
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          "LogLevel=ERROR",
          "-p",
          port,
          `${target.user}@127.0.0.1`,
          command,
        ];
        if (login === "password") {
          return {
            cmd: "sshpass",
            args: [
              "-e",
              "ssh",
              "-o",
              "PubkeyAuthentication=no",
              "-o",
              "PreferredAuthentications=password",
              ...common,
            ],
            env: { SSHPASS: target.password },
          };
        }
        return {
          cmd: "ssh",
          args: ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", ...common],
          env: {},
        };
      }
    }
  }

  async #run(
    kind: ClientKind,
    target: Target,
    login: Login,
    command: string,
    stdin: Uint8Array = new Uint8Array(),
    limitMs = 60000,
  ): Promise<ClientRun> {
    // Each run in a home of its own: no user config, agent or keys of the real user.
    const home = await Deno.makeTempDir({ dir: this.#dir, prefix: `home-${kind}-` });
    await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
    const { cmd, args, env } = await this.#argv(kind, target, login, command, home);
    const child = new Deno.Command(cmd, {
      args,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", ...env },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // it ended meanwhile
      }
    }, limitMs);
    const feeding = (async () => {
      const w = child.stdin.getWriter();
      await w.write(stdin).catch(() => {});
      await w.close().catch(() => {});
    })();
    const [out] = await Promise.all([child.output(), feeding]);
    clearTimeout(timer);
    return {
      code: out.code,
      stdout: out.stdout,
      stderr: new TextDecoder().decode(out.stderr),
      killed,
    };
  }
}

function _exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** paramiko and asyncssh: HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND, password in TEST_PASSWORD. */
const PYTHON_CLIENTS: Record<"paramiko" | "asyncssh", string> = {
  paramiko:
    `"""Like ssh HOST COMMAND, on paramiko: stdin to the command, its output and status back."""
import os
import sys
import threading

import paramiko


def main():
    host, port, user, key, known_hosts, command = sys.argv[1:7]
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    auth = {"password": os.environ["TEST_PASSWORD"]} if key == "-" else {"key_filename": key}
    client.connect(host, int(port), username=user, allow_agent=False, look_for_keys=False,
                   timeout=20, banner_timeout=20, auth_timeout=20, **auth)
    channel = client.get_transport().open_session()
    channel.exec_command(command)

    def upload():
        while True:
            data = sys.stdin.buffer.read1(65536)
            if not data:
                break
            channel.sendall(data)
        channel.shutdown_write()

    threading.Thread(target=upload, daemon=True).start()
    while True:
        data = channel.recv(65536)
        if not data:
            break
        sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    status = channel.recv_exit_status()
    while channel.recv_stderr_ready():
        sys.stderr.buffer.write(channel.recv_stderr(65536))
    client.close()
    return status


sys.exit(main())
`,
  asyncssh:
    `"""Like ssh HOST COMMAND, on asyncssh: stdin to the command, its output and status back."""
import asyncio
import os
import sys

import asyncssh


async def main():
    host, port, user, key, known_hosts, command = sys.argv[1:7]
    if key == "-":
        auth = {"password": os.environ["TEST_PASSWORD"], "client_keys": None}
    else:
        auth = {"client_keys": [key]}
    async with asyncssh.connect(host, int(port), username=user, known_hosts=known_hosts,
                                agent_path=None, **auth) as conn:
        process = await conn.create_process(command, encoding=None)
        loop = asyncio.get_running_loop()

        async def upload():
            while True:
                data = await loop.run_in_executor(None, sys.stdin.buffer.read1, 65536)
                if not data:
                    break
                process.stdin.write(data)
                await process.stdin.drain()
            process.stdin.write_eof()

        async def download(stream, out):
            while True:
                data = await stream.read(65536)
                if not data:
                    break
                out.write(data)
            out.flush()

        await asyncio.gather(upload(), download(process.stdout, sys.stdout.buffer),
                             download(process.stderr, sys.stderr.buffer))
        await process.wait()
        status = process.exit_status
    return 255 if status is None else status


sys.exit(asyncio.run(main()))
`,
};

/** Go: HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND, password in TEST_PASSWORD. */
const GO_CLIENT =
  `// Like ssh HOST COMMAND, on golang.org/x/crypto/ssh: stdin to the command, its output and
// exit status back.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: client HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND")
		os.Exit(2)
	}
	host, port, user, keyFile, knownHosts, command := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6]
	var auth ssh.AuthMethod
	if keyFile == "-" {
		auth = ssh.Password(os.Getenv("TEST_PASSWORD"))
	} else {
		pem, err := os.ReadFile(keyFile)
		fail(err)
		signer, err := ssh.ParsePrivateKey(pem)
		fail(err)
		auth = ssh.PublicKeys(signer)
	}
	hostKeys, err := knownhosts.New(knownHosts)
	fail(err)
	config := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: hostKeys,
		Timeout:         20 * time.Second,
	}
	client, err := ssh.Dial("tcp", net.JoinHostPort(host, port), config)
	fail(err)
	session, err := client.NewSession()
	fail(err)
	stdin, err := session.StdinPipe()
	fail(err)
	session.Stdout = os.Stdout
	session.Stderr = os.Stderr
	fail(session.Start(command))
	go func() {
		io.Copy(stdin, os.Stdin)
		stdin.Close()
	}()
	err = session.Wait()
	if exit, ok := err.(*ssh.ExitError); ok {
		os.Exit(exit.ExitStatus())
	}
	fail(err)
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go client:", err)
		os.Exit(255)
	}
}
`;
