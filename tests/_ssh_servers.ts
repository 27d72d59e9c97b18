/**
 * SSH servers nobody here wrote, for the built-in client: asyncssh, paramiko and Twisted Conch
 * (Debian's /usr/bin/python3, scripts written here), Go's golang.org/x/crypto/ssh (a small
 * program built here in GOPATH mode, offline) and libssh (a small C program compiled here).
 * Each takes any user (with no authentication; Conch, which has no "none", with any key that
 * signs) and runs
 * every exec the same way: the OK marker, then what the client sends echoed back; after the
 * client's EOF its own EOF, and only 200 ms later the exit status (N for a command that names
 * `lateN`, else 0), then the channel's close: the order asyncssh gives a process that exits
 * after closing its output. The Go server sends in batches (every 20 ms), and for a command
 * that names `atonce` (`atonceN`) it answers at once, without reading: the exec reply, the
 * output, the EOF, the exit status and the close reach the client in one read. Everything
 * started is stopped by pid.
 */

import { keygen, requirePeer } from "./_sshd.ts";
import { buildC } from "./_ssh_clients_c.ts";

export const SERVER_KINDS = ["asyncssh", "paramiko", "go", "libssh", "conch"] as const;
export type ServerKind = typeof SERVER_KINDS[number];

const PYTHON = "/usr/bin/python3";
const DIST = "/usr/lib/python3/dist-packages";
const GOPATH = "/usr/share/gocode";

export interface ForeignServer extends AsyncDisposable {
  readonly kind: ServerKind;
  readonly port: number;
  /** What it wrote on stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Whether a kind is installed; skips (or, with SOCKHOP_REQUIRE_PEERS=1, fails) if not. */
export function serverAvailable(kind: ServerKind): boolean {
  switch (kind) {
    case "asyncssh":
      return requirePeer("asyncssh", `${DIST}/asyncssh/__init__.py`, "python3-asyncssh");
    case "paramiko":
      return requirePeer("paramiko", `${DIST}/paramiko/__init__.py`, "python3-paramiko");
    case "go":
      return requirePeer("go", "go", "golang-go") &&
        requirePeer(
          "golang.org/x/crypto/ssh",
          `${GOPATH}/src/golang.org/x/crypto/ssh/server.go`,
          "golang-golang-x-crypto-dev",
        );
    case "libssh":
      return requirePeer("gcc") &&
        requirePeer("libssh", "/usr/include/libssh/server.h", "libssh-dev");
    case "conch":
      return requirePeer("Twisted Conch", `${DIST}/twisted/conch/__init__.py`, "python3-twisted");
  }
}

/** Start one server of `kind` with a fresh ed25519 host key in `dir`; resolves once it listens. */
export async function startServer(kind: ServerKind, dir: string): Promise<ForeignServer> {
  const base = `${String(dir)}/server-${kind}`;
  await Deno.mkdir(base, { recursive: true });
  const hostKey = await _hostKey(`${base}/host_key`);
  let cmd: string;
  let args: string[];
  if (kind === "go") {
    cmd = await _goBuild(base, GO_SERVER);
    args = [hostKey];
  } else if (kind === "libssh") {
    cmd = await buildC(base, "libssh_server", LIBSSH_SERVER, "ssh");
    args = [hostKey];
  } else {
    await Deno.writeTextFile(`${base}/server.py`, PYTHON_SERVERS[kind]);
    cmd = PYTHON;
    args = [`${base}/server.py`, hostKey];
  }
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (t) => void (stderr += t) }),
  ).catch(() => {});
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  const silent = setTimeout(() => child.kill("SIGKILL"), 30_000);
  while (!first.includes("\n")) {
    const r = await reader.read();
    if (r.done) {
      await child.status;
      await errDone;
      throw new Error(`${kind} server ended before listening: ${stderr}`);
    }
    first += r.value;
  }
  clearTimeout(silent);
  const port = Number(first.trim());
  const drain = (async () => {
    while (!(await reader.read()).done) { /* nothing more is said on stdout */ }
  })().catch(() => {});
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // it ended on its own
      }
      await child.status;
      await Promise.all([drain, errDone]);
    })();
  return { kind, port, log: () => stderr, stop, [Symbol.asyncDispose]: stop };
}

async function _hostKey(path: string): Promise<string> {
  await keygen(path);
  return path;
}

async function _goBuild(dir: string, source: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/main.go`, source);
  const out = await new Deno.Command("go", {
    args: ["build", "-o", `${dir}/server`, "main.go"],
    cwd: dir,
    env: { GOPATH, GO111MODULE: "off", GOPROXY: "off" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`go build failed: ${new TextDecoder().decode(out.stderr)}`);
  return `${dir}/server`;
}

const PYTHON_SERVERS: Record<"asyncssh" | "paramiko" | "conch", string> = {
  conch: `import re
import struct
import sys

from twisted.conch import avatar, error
from twisted.conch.ssh import channel, common, connection, factory, keys, userauth
from twisted.cred import checkers, credentials, portal
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer, reactor
from zope.interface import implementer


class Session(channel.SSHChannel):
    name = b"session"
    status = 0

    def request_exec(self, data):
        command, _ = common.getNS(data)
        m = re.search(rb"(?:late|atonce)(\\d+)", command)
        self.status = int(m.group(1)) if m else 0
        self.write(b"SOCKHOP/1 OK\\n")
        return 1

    def dataReceived(self, data):
        self.write(data)

    def eofReceived(self):
        self.eofWhenSent()

    def eofWhenSent(self):
        # What the window does not take yet waits in the channel's buffer; EOF goes after it.
        if self.buf:
            reactor.callLater(0.02, self.eofWhenSent)
            return
        self.conn.sendEOF(self)
        reactor.callLater(0.2, self.exit)

    def exit(self):
        self.conn.sendRequest(self, b"exit-status", struct.pack(">L", self.status))
        self.loseConnection()


class Avatar(avatar.ConchUser):
    def __init__(self, username):
        avatar.ConchUser.__init__(self)
        self.channelLookup[b"session"] = Session


@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        return interfaces[0], Avatar(avatarId), lambda: None


@implementer(checkers.ICredentialsChecker)
class AnySignedKey:
    """Any user, with any key that signs: the test is of the session, not of the login."""
    credentialInterfaces = (credentials.ISSHPrivateKey,)

    def requestAvatarId(self, creds):
        if creds.signature is None:
            return defer.fail(error.ValidPublicKey())
        if keys.Key.fromString(creds.blob).verify(creds.signature, creds.sigData):
            return defer.succeed(creds.username)
        return defer.fail(UnauthorizedLogin("bad signature"))


host = keys.Key.fromFile(sys.argv[1])
f = factory.SSHFactory()
f.portal = portal.Portal(Realm(), [AnySignedKey()])
f.publicKeys = {host.sshType(): host.public()}
f.privateKeys = {host.sshType(): host}
f.services = {
    b"ssh-userauth": userauth.SSHUserAuthServer,
    b"ssh-connection": connection.SSHConnection,
}
port = reactor.listenTCP(0, f, interface="127.0.0.1")
print(port.getHost().port, flush=True)
reactor.run()
`,
  asyncssh: `
import asyncio, re, sys, asyncssh

class Server(asyncssh.SSHServer):
    def begin_auth(self, username):
        return False

async def run(process):
    m = re.search(r"late(\\d+)", process.command or "")
    process.stdout.write(b"SOCKHOP/1 OK\\n")
    while True:
        data = await process.stdin.read(65536)
        if not data:
            break
        process.stdout.write(data)
        await process.stdout.drain()
    process.stdout.write_eof()
    await asyncio.sleep(0.2)
    process.exit(int(m.group(1)) if m else 0)

async def main():
    server = await asyncssh.create_server(
        Server, "127.0.0.1", 0, server_host_keys=[sys.argv[1]],
        process_factory=run, encoding=None)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
`,
  paramiko: `
import re, socket, sys, threading, time, paramiko

key = paramiko.Ed25519Key.from_private_key_file(sys.argv[1])

class Server(paramiko.ServerInterface):
    def __init__(self):
        self.commands = {}
    def get_allowed_auths(self, username):
        return "none"
    def check_auth_none(self, username):
        return paramiko.AUTH_SUCCESSFUL
    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
    def check_channel_exec_request(self, channel, command):
        self.commands[channel.get_id()] = command.decode()
        return True

def session(server, chan):
    for _ in range(1000):
        if chan.get_id() in server.commands:
            break
        time.sleep(0.01)
    m = re.search(r"late(\\d+)", server.commands.get(chan.get_id(), ""))
    chan.sendall(b"SOCKHOP/1 OK\\n")
    while True:
        data = chan.recv(65536)
        if not data:
            break
        chan.sendall(data)
    chan.shutdown_write()
    time.sleep(0.2)
    chan.send_exit_status(int(m.group(1)) if m else 0)
    chan.close()

def connection(conn):
    t = paramiko.Transport(conn)
    t.add_server_key(key)
    server = Server()
    t.start_server(server=server)
    while t.is_active():
        chan = t.accept(1)
        if chan is not None:
            threading.Thread(target=session, args=(server, chan), daemon=True).start()

lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
print(lsock.getsockname()[1], flush=True)
while True:
    conn, _ = lsock.accept()
    threading.Thread(target=connection, args=(conn,), daemon=True).start()
`,
};

const GO_SERVER = `package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

var lastNumber = regexp.MustCompile(\`(?:late|atonce)(\\d+)\`)

func main() {
	pem, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		panic(err)
	}
	config := &ssh.ServerConfig{NoClientAuth: true}
	config.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		b := &batchedConn{Conn: c}
		go b.flush()
		go serve(b, config)
	}
}

// batchedConn sends what is written in batches, every 20 ms, as a busy server does: a reply
// and what follows it reach the client in one read.
type batchedConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (b *batchedConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *batchedConn) flush() {
	for {
		time.Sleep(20 * time.Millisecond)
		b.mu.Lock()
		out := b.buf
		b.buf = nil
		b.mu.Unlock()
		if len(out) > 0 {
			if _, err := b.Conn.Write(out); err != nil {
				return
			}
		}
	}
}

func serve(c net.Conn, config *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "sessions only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go session(ch, creqs)
	}
}

func session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	for req := range reqs {
		if req.Type != "exec" {
			req.Reply(false, nil)
			continue
		}
		var exec struct{ Command string }
		ssh.Unmarshal(req.Payload, &exec)
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs)
		status := 0
		if m := lastNumber.FindStringSubmatch(exec.Command); m != nil {
			status, _ = strconv.Atoi(m[1])
		}
		ch.Write([]byte("SOCKHOP/1 OK\\n"))
		if !strings.Contains(exec.Command, "atonce") {
			io.Copy(ch, ch)
		}
		ch.CloseWrite()
		if !strings.Contains(exec.Command, "atonce") {
			time.Sleep(200 * time.Millisecond)
		}
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
		ch.Close()
		return
	}
}
`;

const LIBSSH_SERVER =
  `/* An SSH server on libssh for the built-in client's tests: any user, no authentication; each
   exec prints the OK marker, echoes the client's bytes, sends its EOF, and only 200 ms later the
   exit status (N for a command naming lateN or atonceN, else 0), then closes. One process per
   connection. Usage: server HOSTKEY; prints the port it listens on. */
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int status_of(const char *command) {
  regex_t re;
  regmatch_t m[3];
  int status = 0;
  regcomp(&re, "(late|atonce)([0-9]+)", REG_EXTENDED);
  if (regexec(&re, command, 3, m, 0) == 0) status = atoi(command + m[2].rm_so);
  regfree(&re);
  return status;
}

static void serve(ssh_session session) {
  if (ssh_handle_key_exchange(session) != SSH_OK) {
    fprintf(stderr, "key exchange: %s\\n", ssh_get_error(session));
    return;
  }
  ssh_set_auth_methods(session, SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PUBLICKEY);
  ssh_channel chan = NULL;
  char *command = NULL;
  ssh_message msg;
  while (!command && (msg = ssh_message_get(session)) != NULL) {
    int type = ssh_message_type(msg), sub = ssh_message_subtype(msg);
    if (type == SSH_REQUEST_AUTH) {
      ssh_message_auth_reply_success(msg, 0);
    } else if (type == SSH_REQUEST_CHANNEL_OPEN && sub == SSH_CHANNEL_SESSION && !chan) {
      chan = ssh_message_channel_request_open_reply_accept(msg);
    } else if (type == SSH_REQUEST_CHANNEL && sub == SSH_CHANNEL_REQUEST_EXEC && chan) {
      command = strdup(ssh_message_channel_request_command(msg));
      ssh_message_channel_request_reply_success(msg);
    } else {
      ssh_message_reply_default(msg);
    }
    ssh_message_free(msg);
  }
  if (!command) return;
  int status = status_of(command);
  int atonce = strstr(command, "atonce") != NULL;
  ssh_channel_write(chan, "SOCKHOP/1 OK\\n", 13);
  char buf[32768];
  int n;
  while (!atonce && (n = ssh_channel_read(chan, buf, sizeof buf, 0)) > 0) {
    if (ssh_channel_write(chan, buf, n) != n) break;
  }
  ssh_channel_send_eof(chan);
  if (!atonce) usleep(200000);
  ssh_channel_request_send_exit_status(chan, status);
  ssh_channel_close(chan);
  /* Until the client hangs up. */
  while ((msg = ssh_message_get(session)) != NULL) {
    ssh_message_reply_default(msg);
    ssh_message_free(msg);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: server HOSTKEY\\n");
    return 2;
  }
  signal(SIGCHLD, SIG_IGN);
  ssh_bind bind = ssh_bind_new();
  int port = 0;
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDADDR, "127.0.0.1");
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT, &port);
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, argv[1]);
  if (ssh_bind_listen(bind) < 0) {
    fprintf(stderr, "listen: %s\\n", ssh_get_error(bind));
    return 1;
  }
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  getsockname(ssh_bind_get_fd(bind), (struct sockaddr *)&sin, &len);
  printf("%d\\n", ntohs(sin.sin_port));
  fflush(stdout);
  for (;;) {
    ssh_session session = ssh_new();
    if (ssh_bind_accept(bind, session) != SSH_OK) {
      ssh_free(session);
      continue;
    }
    if (fork() == 0) {
      ssh_bind_free(bind);
      serve(session);
      ssh_disconnect(session);
      ssh_free(session);
      _exit(0);
    }
    ssh_free(session);
  }
}
`;
