/** Help texts: every option of every subcommand, with its default. */

import { VERSION } from "./version.ts";

const COMMON = `Common options:
  --socket-dirs=DIRS    session socket dirs, separated as in PATH (":", ";" on Windows)
                        (default: $SOCKHOP_SOCKET_DIRS, else $XDG_RUNTIME_DIR/sockhop:~/.sockhop)
  --debug=CATEGORIES    comma-separated: ssh, ssh2, serve, forward, connect, proxy, all
                        (default: none)
  -h, --help            show this help`;

const ROUTE = `  --ssh=BACKEND         auto | native | paramiko | openssh | plink | a command line
                        such as "ssh -x -c aes128-gcm@openssh.com" (default: auto: the
                        built-in client, unless ~/.ssh/config needs ssh itself, e.g. a
                        ProxyCommand or ControlMaster)
  -F FILE               ssh config file instead of ~/.ssh/config and /etc/ssh/ssh_config
  -i KEY                identity (private key) file; repeatable (default: none)
  -o OPTION=VALUE       any ssh_config option; repeatable (default: none)
  -J [USER@]HOST[:PORT] jump host(s), comma-separated (default: the config's ProxyJump)
  -p PORT, -l USER      port and user, as with ssh (default: the URL's, then the config's)
  (-F, -i, -o, -J are given to ssh as they are under --ssh=openssh)
  --remote-socket=PATH  native only: reach this socket path on the remote host directly
                        (direct-streamlocal), with no sockhop there (default: none)
  --insecure-accept-any-host-key
                        native only: trust any host key, for throwaway tests ONLY
                        (default: off; host keys are checked against known_hosts)
  --print-config        print the effective ssh settings for the host and exit
  --exit-ssh=yes|no     end the ssh process when sockhop ends (default: yes); no starts it
                        in its own session so a ControlMaster survives
  --remote-sockhop=LIST comma-separated commands to try on the remote host
                        (default: sockhop,$HOME/.local/bin/sockhop,/usr/local/bin/sockhop,
                        then each as sockhop-$SOCKHOP_PLATFORM, the release asset's name:
                        linux-x64, linux-arm64, macos-x64 or macos-arm64, from uname)
  --password-file=FILE  read the SSH password from FILE's first line (default: none;
                        given to ssh through sshpass -e, never on a command line)
  --host-key=FP         pin the server's host key, SHA256:... as ssh-keygen -lf prints it
                        (built-in client: that key only; plink: -hostkey FP)
                        (default: none, the usual known-hosts check)`;

export const HELP: Readonly<Record<string, string>> = {
  main: `sockhop ${VERSION}: publish local stream services as named sessions, reach them over SSH

Usage:
  sockhop serve NAME TARGET          publish TARGET as session NAME
  sockhop serve --bind-ssh=HOST:PORT an SSH server in front of all your sessions
  sockhop list [--json]              show the sessions on this host
  sockhop connect URL|NAME|FILE      the session as a byte stream on stdin/stdout
  sockhop forward URL|NAME|FILE --listen=ADDR   the session as a local listener
  sockhop passwd [USER]              set a password for the built-in SSH server
  sockhop completion SHELL           a completion script: bash, zsh, fish or powershell
  sockhop man                        the manual page, in roff (sockhop man | man -l -)
  sockhop help COMMAND               options of a command
  sockhop -V, --version              the version

TARGET: exec:COMMAND [ARGS...] | tcp:HOST:PORT | unix:PATH
URL:    ssh://[user[:password]@]host[:port]/NAME[?key=K&proxy_host=H&proxy_port=P&proxy_username=U
        &proxy_password=W&proxy_key=K]
        ...?proxy=[user@]host[:port] (xpra 3.x's jump host); xpra's own ssh:[user@]host[:port]:NAME
        and ssh/[user@]host[:port]/NAME; or NAME for a session on this host

Exit status: 0 done, 1 failed, 2 bad usage, 130/143 interrupted by SIGINT/SIGTERM.`,
  serve: `Usage: sockhop serve [OPTIONS] NAME TARGET
       sockhop serve [OPTIONS] [NAME TARGET] --bind-ssh=HOST:PORT

Publish TARGET as the session NAME: a socket <socket dir>/<hostname>-NAME (dir 0700,
socket 0600). Many clients at once; SIGINT/SIGTERM removes the socket.

TARGET:
  exec:COMMAND [ARGS...]  one process per connection; its stdin/stdout are the stream,
                          its stderr goes to this log. Everything after it is its arguments
  tcp:HOST:PORT           a TCP service
  unix:PATH               a unix socket service
  --max-children=N        the most exec: commands running at once, 1 to 100000; a
                          connection over it is refused, its client told why (default: 100)

The built-in SSH server (for hosts with no sshd); with NAME it serves that session only,
without NAME every session of this user, xpra's included:
  --bind-ssh=[HOST:]PORT  accept SSH there; repeatable (host default 127.0.0.1; another
                          address prints the host key fingerprints) (default: none)
  --bind-tcp=[HOST:]PORT  accept TCP there; repeatable (default: none)
  --ssh-upgrade=yes|no    on --bind-tcp, serve connections that start with "SSH-" as SSH
                          (default: yes); others are relayed raw to NAME
  --bind-tcp-raw=yes|no   allow raw relaying on a non-loopback --bind-tcp (default: no)
  --ssh-host-key=FILE     host key (mode 0600); repeatable (default: an ed25519 key
                          generated on first use in ~/.config/sockhop)
  --rsa-host-key=yes|no   also generate and offer an RSA key, for clients too old for
                          ed25519 (default: no)
  --authorized-keys=FILE  public keys that may log in (default: ~/.ssh/authorized_keys)
  --password-hashes=FILE  scrypt password hashes written by sockhop passwd; must exist
                          (default: none; --password-file is a deprecated name for it)
  --auth=default|none     none: no authentication, loopback only (default: default)
  --login-grace-time=SEC  time to log in before the connection is closed, 1 to 3600
                          (default: 30)
  --max-sessions=N        channels open at once on one SSH connection, 1 to 1000; more
                          are refused (default: 10, as sshd's MaxSessions)
  --max-password-checks=N password hashes computed at once, 1 to 64; other attempts wait
                          their turn (default: 2)
Only this user may log in; 6 authentication attempts per connection; at most 100
connections not logged in yet, 10 from one address.

${COMMON}`,
  passwd: `Usage: sockhop passwd [--password-hashes=FILE] [USER]

Add or replace USER's password (default: you) for serve --password-hashes. The password is
asked on the terminal without echo, or read from stdin's first line; never from the
command line. At least 8 characters. Stored as a salted scrypt hash, file mode 0600.

  --password-hashes=FILE  (default: ~/.config/sockhop/passwords; --password-file is a
                          deprecated name for it)
${COMMON}`,
  list: `Usage: sockhop list [OPTIONS]

Show every session in sockhop's and xpra's socket dirs as LIVE, DEAD, UNKNOWN,
INACCESSIBLE or UNSAFE (a symlink, another user's socket, a dir others can write: never
opened). DEAD sockets (no process holds them) that belong to you are removed, and the
output says so.

  --json                one JSON array for scripts (default: off)
  --no-clean            keep DEAD sockets (default: off, they are removed)
${COMMON}`,
  connect: `Usage: sockhop connect [OPTIONS] URL|NAME|FILE

Relay stdin/stdout to a session: over SSH for an ssh:// URL or a connection file
(FILE.sockhop, or xpra's FILE.xpra; options given here override the file's), directly
for a NAME on this host.

${ROUTE}
${COMMON}`,
  forward: `Usage: sockhop forward [OPTIONS] URL|NAME|FILE --listen=ADDR

Listen locally; every accepted connection becomes its own tunnel to the session. Many at
once. On a terminal a status line shows the tunnels open and the bytes each way. Ctrl-C
closes the listener and the tunnels.

  --listen=ADDR         tcp:[HOST:]PORT (host default 127.0.0.1; another address such as
                        0.0.0.0 is allowed with a warning), unix:PATH (mode 0600), or
                        on Windows pipe:NAME
                        (required)
${ROUTE}
${COMMON}`,
  completion: `Usage: sockhop completion bash|zsh|fish|powershell

Print a completion script for the shell, made from the same flag tables as --help:
  bash        eval "$(sockhop completion bash)"  (or save it in
              ~/.local/share/bash-completion/completions/sockhop)
  zsh         sockhop completion zsh > "\${fpath[1]}/_sockhop"
  fish        sockhop completion fish > ~/.config/fish/completions/sockhop.fish
  powershell  sockhop completion powershell | Out-String | Invoke-Expression  (in $PROFILE)

${COMMON}`,
  man: `Usage: sockhop man

Print the manual page in roff, made from the same help texts as --help:
sockhop man | man -l -, or sockhop man > ~/.local/share/man/man1/sockhop.1

${COMMON}`,
  _proxy: `Usage: sockhop _proxy [OPTIONS] [NAME]

Run on the remote host by connect: relay stdin/stdout to session NAME (an xpra display
:N also looks in xpra's dirs), after a first line "SOCKHOP/1 OK" (or "SOCKHOP/1 ERR ...").
With no NAME, the single LIVE session. Exits with the session's status: its command's own,
128+N when a signal N ended it, 1 when its serve ended without a status (then says why).

${COMMON}`,
};
