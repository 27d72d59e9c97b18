/**
 * The SSH clients of the interop matrix written in C (libssh2, libssh: compiled here with gcc
 * against the Debian -dev packages) and on Twisted Conch, each driven like `ssh HOST COMMAND`:
 * HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND, a password in TEST_PASSWORD; stdin to the
 * command, its output back, its exit status as the client's.
 */

/** Compile one C client in `dir`, linked with `lib`; resolves with its path. */
export async function buildC(dir: string, name: string, source: string, lib: string) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/${name}.c`, source);
  const out = await new Deno.Command("gcc", {
    args: ["-O1", "-o", `${dir}/${name}`, `${dir}/${name}.c`, `-l${lib}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`gcc ${name}.c failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return `${dir}/${name}`;
}

export const LIBSSH2_CLIENT =
  `/* Like ssh HOST COMMAND, on libssh2: stdin to the command, its output and exit status back.
   Usage: client HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND; a password in TEST_PASSWORD. */
#include <libssh2.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static LIBSSH2_SESSION *s;
static int sock;

static void die(const char *what) {
  char *msg = "";
  if (s) libssh2_session_last_error(s, &msg, NULL, 0);
  fprintf(stderr, "libssh2 client: %s: %s\\n", what, msg);
  exit(255);
}

static void write_all(int fd, const char *p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("local write");
    }
    p += w;
    n -= w;
  }
}

static int known_type(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
  }
  return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: client HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND\\n");
    return 2;
  }
  const char *host = argv[1], *user = argv[3], *key = argv[4], *known = argv[5];
  int port = atoi(argv[2]);
  if (libssh2_init(0)) die("init");
  sock = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {0};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = inet_addr(host);
  if (connect(sock, (struct sockaddr *)&sin, sizeof sin)) die("connect");
  s = libssh2_session_init();
  libssh2_session_set_blocking(s, 1);
  if (libssh2_session_handshake(s, sock)) die("handshake");
  LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
  if (libssh2_knownhost_readfile(kh, known, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) die("known_hosts");
  size_t len;
  int type;
  const char *hk = libssh2_session_hostkey(s, &len, &type);
  struct libssh2_knownhost *found;
  int check = libssh2_knownhost_checkp(kh, host, port, hk, len,
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | known_type(type), &found);
  if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
    fprintf(stderr, "libssh2 client: host key not in %s (check %d)\\n", known, check);
    return 255;
  }
  int rc = strcmp(key, "-") == 0
    ? libssh2_userauth_password(s, user, getenv("TEST_PASSWORD"))
    : libssh2_userauth_publickey_fromfile(s, user, NULL, key, NULL);
  if (rc) die("authentication");
  LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(s);
  if (!ch) die("channel");
  if (libssh2_channel_exec(ch, argv[6])) die("exec");
  libssh2_session_set_blocking(s, 0);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  char in[32768], buf[32768];
  ssize_t inlen = 0, inoff = 0;
  int stdin_eof = 0, sent_eof = 0;
  for (;;) {
    int progress = 0;
    ssize_t n = libssh2_channel_read(ch, buf, sizeof buf);
    if (n > 0) { write_all(1, buf, n); progress = 1; }
    else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) die("read");
    n = libssh2_channel_read_stderr(ch, buf, sizeof buf);
    if (n > 0) { write_all(2, buf, n); progress = 1; }
    if (!progress && libssh2_channel_eof(ch)) break;
    if (!stdin_eof && inoff == inlen) {
      ssize_t r = read(0, in, sizeof in);
      if (r > 0) { inlen = r; inoff = 0; progress = 1; }
      else if (r == 0) stdin_eof = 1;
    }
    if (inoff < inlen) {
      ssize_t w = libssh2_channel_write(ch, in + inoff, inlen - inoff);
      if (w > 0) { inoff += w; progress = 1; }
      else if (w < 0 && w != LIBSSH2_ERROR_EAGAIN) die("write");
    }
    if (stdin_eof && inoff == inlen && !sent_eof) {
      int r = libssh2_channel_send_eof(ch);
      if (r == 0) sent_eof = 1;
      else if (r != LIBSSH2_ERROR_EAGAIN) die("send eof");
    }
    if (!progress) {
      struct pollfd p[2] = {{sock, POLLIN, 0}, {0, 0, 0}};
      if (libssh2_session_block_directions(s) & LIBSSH2_SESSION_BLOCK_OUTBOUND) p[0].events |= POLLOUT;
      if (!stdin_eof && inoff == inlen) p[1].events = POLLIN;
      poll(p, 2, 100);
    }
  }
  libssh2_session_set_blocking(s, 1);
  /* The server's close first: the exit status comes before it. */
  libssh2_channel_wait_closed(ch);
  int status = libssh2_channel_get_exit_status(ch);
  libssh2_channel_free(ch);
  libssh2_session_disconnect(s, "done");
  libssh2_session_free(s);
  close(sock);
  return status;
}
`;

export const LIBSSH_CLIENT =
  `/* Like ssh HOST COMMAND, on libssh: stdin to the command, its output and exit status back.
   Usage: client HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND; a password in TEST_PASSWORD. */
#include <libssh/libssh.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssh_session s;

static void die(const char *what) {
  fprintf(stderr, "libssh client: %s: %s\\n", what, s ? ssh_get_error(s) : "");
  exit(255);
}

static void write_all(int fd, const char *p, int n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("local write");
    }
    p += w;
    n -= w;
  }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: client HOST PORT USER KEYFILE|- KNOWN_HOSTS COMMAND\\n");
    return 2;
  }
  int port = atoi(argv[2]);
  int no = 0;
  s = ssh_new();
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s, SSH_OPTIONS_HOST, argv[1]);
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, argv[3]);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, argv[5]);
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  if (ssh_connect(s) != SSH_OK) die("connect");
  if (ssh_session_is_known_server(s) != SSH_KNOWN_HOSTS_OK) die("host key not known");
  int rc;
  if (strcmp(argv[4], "-") == 0) {
    rc = ssh_userauth_password(s, NULL, getenv("TEST_PASSWORD"));
  } else {
    ssh_key key;
    if (ssh_pki_import_privkey_file(argv[4], NULL, NULL, NULL, &key) != SSH_OK) die("key");
    rc = ssh_userauth_publickey(s, NULL, key);
  }
  if (rc != SSH_AUTH_SUCCESS) die("authentication");
  ssh_channel c = ssh_channel_new(s);
  if (ssh_channel_open_session(c) != SSH_OK) die("channel");
  if (ssh_channel_request_exec(c, argv[6]) != SSH_OK) die("exec");
  /* Non-blocking from here: a write that waits for window while the server waits for ours
     would hold both. */
  ssh_set_blocking(s, 0);
  char in[32768], buf[32768];
  ssize_t inlen = 0, inoff = 0;
  int stdin_eof = 0, sent_eof = 0;
  for (;;) {
    int progress = 0;
    int n = ssh_channel_read_nonblocking(c, buf, sizeof buf, 0);
    if (n > 0) { write_all(1, buf, n); progress = 1; }
    else if (n < 0 && n != SSH_EOF) die("read");
    n = ssh_channel_read_nonblocking(c, buf, sizeof buf, 1);
    if (n > 0) { write_all(2, buf, n); progress = 1; }
    if (!progress && ssh_channel_is_eof(c)) break;
    if (!stdin_eof && inoff == inlen) {
      struct pollfd p = {0, POLLIN, 0};
      if (poll(&p, 1, 0) > 0) {
        ssize_t r = read(0, in, sizeof in);
        if (r > 0) { inlen = r; inoff = 0; progress = 1; }
        else stdin_eof = 1;
      }
    }
    if (inoff < inlen) {
      int w = ssh_channel_write(c, in + inoff, inlen - inoff);
      if (w > 0) { inoff += w; progress = 1; }
      else if (w < 0 && w != SSH_AGAIN) die("write");
    }
    if (stdin_eof && inoff == inlen && !sent_eof) {
      int r = ssh_channel_send_eof(c);
      if (r == SSH_OK) sent_eof = 1;
      else if (r != SSH_AGAIN) die("send eof");
    }
    if (!progress) {
      struct pollfd p[2] = {{ssh_get_fd(s), POLLIN, 0}, {0, 0, 0}};
      if (!stdin_eof && inoff == inlen) p[1].events = POLLIN;
      poll(p, 2, 50);
    }
  }
  ssh_set_blocking(s, 1);
  int status = ssh_channel_get_exit_status(c);
  ssh_channel_close(c);
  ssh_channel_free(c);
  ssh_disconnect(s);
  ssh_free(s);
  return status < 0 ? 255 : status;
}
`;

export const CONCH_CLIENT =
  `"""Like ssh HOST COMMAND, on Twisted Conch: stdin to the command, its output and status back."""
import os
import sys

from twisted.conch.client.knownhosts import KnownHostsFile
from twisted.conch.endpoints import SSHCommandClientEndpoint
from twisted.conch.ssh.keys import Key
from twisted.internet import protocol, reactor
from twisted.internet.error import ProcessTerminated
from twisted.python.filepath import FilePath

host, port, user, key, known_hosts, command = sys.argv[1:7]
data = sys.stdin.buffer.read()
result = {"status": 255}


class Command(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(data)
        self.eofWhenSent()

    def eofWhenSent(self):
        # What the window does not take yet waits in the channel's buffer; EOF goes after it.
        if self.transport.buf:
            reactor.callLater(0.02, self.eofWhenSent)
        else:
            self.transport.conn.sendEOF(self.transport)

    def dataReceived(self, chunk):
        sys.stdout.buffer.write(chunk)

    def connectionLost(self, reason):
        sys.stdout.buffer.flush()
        if reason.check(ProcessTerminated):
            code = reason.value.exitCode
            result["status"] = 255 if code is None else code
        else:
            result["status"] = 0
        reactor.stop()


def failed(reason):
    sys.stderr.write("conch client: %r\\n" % (reason.value,))
    reactor.stop()


auth = {"password": os.environ["TEST_PASSWORD"].encode()} if key == "-" else {
    "keys": [Key.fromFile(key)]}
endpoint = SSHCommandClientEndpoint.newConnection(
    reactor, command.encode(), user.encode(), host.encode(), port=int(port),
    knownHosts=KnownHostsFile.fromPath(FilePath(known_hosts)), agentEndpoint=None, **auth)
factory = protocol.Factory.forProtocol(Command)
endpoint.connect(factory).addErrback(failed)
reactor.run()
sys.exit(result["status"])
`;
