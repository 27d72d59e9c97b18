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
  sockhop start URL|NAME TARGET      start a detached serve, on another host or here
  sockhop stop URL|NAME              end a serve (as SIGTERM does)
  sockhop connect URL|NAME|FILE      the session as a byte stream on stdin/stdout
  sockhop forward URL|NAME|FILE --listen=ADDR   the session as a local listener
  sockhop passwd [USER]              set a password for the built-in SSH server
  sockhop ssh [OPTIONS] DEST [CMD]   an OpenSSH-compatible ssh on the built-in client
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
socket 0600). Many clients at once; SIGINT/SIGTERM (exit 130/143) or sockhop stop NAME
(exit 0) ends it and removes the socket. Give serve's options before NAME: after
exec:COMMAND every word is the command's.

  --detach                start in the background, return once the session accepts (with
                          --bind-ssh and no NAME: once it listens), and print "started NAME
                          pid=PID log=FILE" (default: off)
  --log-file=FILE         write the log there (mode 0600, appended) (default: stderr; with
                          --detach ~/.local/state/sockhop/<hostname>-NAME.log, or
                          <hostname>-gateway.log). Lines carry an ISO 8601 time unless
                          written to a terminal
  --start-id=ID           an id (letters, digits, -) its status socket reports and its log
                          names once it accepts, for scripts that start it (default: none)

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
                          (default: ~/.config/sockhop/passwords when it exists, as sockhop
                          passwd writes it; --password-file is a deprecated name for it)
  --allow-start=PATTERNS  targets that sockhop start (and stop) may start through this
                          server, comma-separated globs, e.g. 'exec:/usr/bin/xpra*';
                          repeatable (default: none, start and stop are refused)
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
  start: `Usage: sockhop start [OPTIONS] URL|NAME TARGET...

Start "sockhop serve NAME TARGET..." detached on the host of URL (through the same remote
command as connect, so with every --ssh backend), or here for a plain NAME. Its stdin is
/dev/null, its log a file; it outlives the SSH connection (on systemd hosts it runs under
systemd-run --user --scope, or a warning names loginctl enable-linger). Returns once THAT
serve accepts, printing "started NAME pid=PID log=FILE"; on failure, its log's last lines.
The built-in SSH server starts only what its serve --allow-start lists.

  --reuse               a LIVE session of that name is used as it is (default: refused)
  --attach              then relay stdin/stdout to it, as connect (default: off)
  --log-file=FILE       the serve's log on that host (default:
                        ~/.local/state/sockhop/<hostname>-NAME.log there)
  --wait=SEC            how long to wait for it to accept, 1 to 600 (default: 60)
${ROUTE}
${COMMON}`,
  stop: `Usage: sockhop stop [OPTIONS] URL|NAME

End the serve of session NAME, here or on the host of URL, as SIGTERM does: its commands
ended, its socket and status socket removed. Prints "stopped NAME pid=PID". A session that
is not there: exit 1. The built-in SSH server stops only sessions whose target its serve
--allow-start lists.

${ROUTE}
${COMMON}`,
  list: `Usage: sockhop list [OPTIONS]

Show every session in sockhop's and xpra's socket dirs as LIVE, DEAD, UNKNOWN,
INACCESSIBLE or UNSAFE (a symlink, another user's socket, a dir others can write: never
opened; the row says why and the fix). A sockhop session is asked of its serve, which
answers without connecting to its target: pid, target, start time, clients connected now.
DEAD sockets (no process holds them) that belong to you are removed, and the output says so.

  --json                one JSON array for scripts (default: off)
  --no-clean            keep DEAD sockets (default: off, they are removed)
${COMMON}`,
  connect: `Usage: sockhop connect [OPTIONS] URL|NAME|FILE

Relay stdin/stdout to a session: over SSH for an ssh:// URL or a connection file
(FILE.sockhop, or xpra's FILE.xpra; options given here override the file's), directly
for a NAME on this host.

${ROUTE}
${COMMON}`,
  forward: `Usage: sockhop forward [OPTIONS] URL|NAME|FILE --listen=ADDR...

Connect first (log in, check that the session is there: a failure exits 1 with the cause),
then listen locally; every accepted connection becomes its own tunnel to the session, all
over one SSH connection, whatever --ssh is. When the connection drops (found within 45 s:
ServerAliveInterval 15 x ServerAliveCountMax 3 unless your ssh config sets them) it is made
again, at once when a client is waiting, else after 0.1 s doubling to 5 minutes; SIGHUP
skips the wait. A refused login or host key is not retried. A status line on a terminal
(timestamped lines otherwise) says connected or reconnecting, and why. Ctrl-C closes the
listeners and the tunnels.

  --listen=ADDR         tcp:[HOST:]PORT (host default 127.0.0.1; another address such as
                        0.0.0.0 is allowed with a warning), unix:PATH (mode 0600), or
                        on Windows pipe:NAME; repeatable, every address listens
                        (required)
  --retry               do not exit when the first connection fails: listen and keep
                        trying; a refused login or host key stops the trying, SIGHUP
                        starts it again (default: off)
${ROUTE}
${COMMON}`,
  ssh: `Usage: sockhop ssh [OPTIONS] destination [command [argument ...]]

OpenSSH's ssh command line on sockhop's built-in client, for git (GIT_SSH_COMMAND,
GIT_SSH), rsync -e, scp -S, sftp -S, xpra --ssh and Ansible on a host with no ssh.
Options may follow the destination; the command is the remaining words joined with
spaces. ~/.ssh/config, /etc/ssh/ssh_config and known_hosts are read as ssh reads them.
Exit status: the remote command's; 255 for a failure of sockhop ssh itself (usage,
connection, login, host key) and for a remote killed by a signal, as ssh 9.2.

  -G                    print the effective config as ssh -G does, and exit
  -F FILE               config file instead of ~/.ssh/config and /etc/ssh/ssh_config
                        (none: no file)
  -o OPTION             any ssh_config option: Key=value, "Key value", -oKey=value
  -i FILE               identity (private key) file; repeatable
  -J [USER@]HOST[:PORT] jump host(s), comma-separated (ProxyJump)
  -l USER               login name
  -p PORT               port (default: 22, or the config's)
  -4                    IPv4 only (AddressFamily inet)
  -6                    IPv6 only (AddressFamily inet6)
  -A                    forward the agent (ForwardAgent; SSH_AUTH_SOCK)
  -a                    do not forward the agent
  -T                    no pty
  -t                    a pty when stdin is a terminal; -tt: always (raw terminal, window
                        size followed, restored on exit)
  -n                    do not read stdin
  -N                    no session: log in and wait
  -s                    the command names a subsystem (sftp)
  -W HOST:PORT          stdin and stdout to HOST:PORT through the server (a ProxyCommand)
  -q                    quiet
  -v                    debug1: lines on stderr; -vv, -vvv: more
  -E FILE               the log to FILE instead of stderr
  -V                    the version
  -C                    accepted; the connection stays uncompressed
  -M, -S CTL_PATH       accepted, as ControlMaster, ControlPersist and ControlPath: no master
                        is used, each call has its own connection (-v says so)
  -e CHAR               escape character of a pty session (default ~): ~. ends it, ~~ sends
                        ~; none: no escapes
  -c CIPHERS            cipher list, as Ciphers
  -m MACS               MAC list, as MACs
  -b ADDRESS            accepted (BindAddress), not used
  -B INTERFACE          accepted (BindInterface), not used
  -Q QUERY              list algorithms: cipher, mac, kex, key
  -L, -R, -D SPEC       refused (exit 255): forwarding
  -X, -Y                refused (exit 255): X11 forwarding
  -w TUN                refused (exit 255): tunnels
  -f                    refused (exit 255): going to the background
  -O CMD                refused (exit 255): there is no master
  -x, -g, -k, -K, -P, -y, -2
                        accepted, no effect
  --help                show this help`,
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

  --mux                 for forward: check that the session is there (the marker says),
                        then carry many streams to it over stdin/stdout, framed

${COMMON}`,
};
