/**
 * The built-in SSH server (`serve --bind-ssh`): ssh2's Server, restricted to what sockhop
 * needs. Session channels whose exec is a `_proxy` command, and direct-streamlocal to this
 * user's session sockets, each relayed in-process; everything else refused. Caps on
 * unauthenticated connections, a login grace time, a cap on channels per connection, one log
 * line per connection.
 */

// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import type net from "node:net";
import type { Logger } from "./logger.ts";
import { MARKER_OK, markerErr } from "./marker.ts";
import { type Duplex, relay } from "./relay.ts";
import { baseName } from "./platform_paths.ts";
import { quote, safeText } from "./safe_text.ts";
import {
  connectSessionFramed,
  connectSessionStream,
  endExitCode,
  endMessage,
  type SessionDuplex,
} from "./session_frames.ts";
import { openSession, openSocketPath, type SessionDirs } from "./sessions.ts";
import { checkSession, serveMux } from "./proxy_mux.ts";
import { fromNodeStreams } from "./streams.ts";
import { authenticate, type AuthState, type ServerAuthConfig } from "./ssh_server_auth.ts";
import {
  parseExecCommand,
  parseLifecycleCommand,
  parseWhichProbe,
  type ProxyRequest,
} from "./ssh_server_exec.ts";
import { runLifecycle } from "./ssh_server_lifecycle.ts";
import {
  channelsHeld,
  fixServerConnection,
  refuseSessionStart,
  rejectChannelOpen,
} from "./ssh2_server_fixes.ts";
import { autotuneWindows, windowMessage } from "./ssh2_windows.ts";
import type { HostKey } from "./host_keys.ts";
import { KEY_ALGORITHMS } from "./public_keys.ts";
import { DEFAULT_ALGORITHMS } from "./ssh_algorithms.ts";
import { listenTcpSockets, type TcpSocket, type TcpSocketListener } from "./tcp_sockets.ts";
import { VERSION } from "./version.ts";

export const SERVER_ALGORITHMS = Object.freeze({
  kex: [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
  ],
  serverHostKey: KEY_ALGORITHMS,
  cipher: [
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
  ],
  // sshd 9.2's default MACs that ssh2 has (no UMAC), SHA-1 left out: encrypt-then-MAC first,
  // then the plain HMAC-SHA2 that libssh2 1.10 and Twisted Conch 22.4 need.
  hmac: DEFAULT_ALGORITHMS.hmac,
  compress: ["none"],
});

export interface SshServerOptions {
  readonly hostKeys: readonly HostKey[];
  readonly auth: ServerAuthConfig;
  readonly dirs: SessionDirs;
  /** Only this session (serve NAME ... --bind-ssh); undefined: every session of the user. */
  readonly only?: string;
  readonly loginGraceSeconds: number;
  readonly maxUnauthenticated: number;
  readonly maxUnauthenticatedPerSource: number;
  /** Channels (sessions, direct-streamlocal) open at once on one connection: sshd's MaxSessions. */
  readonly maxSessions: number;
  /** Targets `sockhop start` may start here (and stop), as glob patterns; none by default. */
  readonly allowStart?: readonly string[];
  readonly logger: Logger;
}

export interface SshServer {
  /** Serve a connected socket (from a listener or the TCP upgrade sniffer). */
  handle(socket: TcpSocket): void;
  close(): void;
}

export function createSshServer(options: SshServerOptions): SshServer {
  const { logger } = options;
  const server = new ssh2.Server({
    hostKeys: options.hostKeys.map((k) => ({ key: k.key })),
    ident: `sockhop_${VERSION}`,
    algorithms: SERVER_ALGORITHMS as unknown as ssh2.Algorithms,
  });
  let unauthenticated = 0;
  const perSource = new Map<string, number>();
  const open = new Set<ssh2.Connection>();
  /** Connections not logged in yet, by source address:port. */
  const pending = new Map<string, Unauthenticated>();
  server.on("connection", (client, info) => {
    const source = `${info.ip}:${info.port}`;
    const entry: Unauthenticated = pending.get(source) ??
      { release: () => {}, drop: () => client.end(), why: undefined, identified: true };
    entry.identified = true;
    fixServerConnection(client, SERVER_ALGORITHMS.serverHostKey);
    autotuneWindows(client, (w) => logger.debug("ssh", `${source}: ${windowMessage(w)}`));
    _refuseEarlyConnectionMessages(client, entry, logger, source);
    _limitChannels(client, options.maxSessions, logger, source);
    open.add(client);
    _serveClient(client, source, info.ip, options, entry, () => {
      entry.release();
      open.delete(client);
    });
  });
  server.on("error", (err: Error) => logger.warn(`ssh server: ${err.message}`));
  return {
    handle(socket) {
      const ip = socket.remoteAddress ?? "?";
      const fromIp = perSource.get(ip) ?? 0;
      if (
        unauthenticated >= options.maxUnauthenticated ||
        fromIp >= options.maxUnauthenticatedPerSource
      ) {
        logger.info(`ssh ${ip}: dropped: too many unauthenticated connections`);
        socket.destroy();
        return;
      }
      unauthenticated++;
      perSource.set(ip, fromIp + 1);
      // Released once, at login or when the socket closes, whichever comes first: the caps
      // count connections that have not logged in, as sshd's MaxStartups does.
      const key = `${ip}:${socket.remotePort}`;
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        clearTimeout(grace);
        pending.delete(key);
        unauthenticated--;
        const n = (perSource.get(ip) ?? 1) - 1;
        if (n) perSource.set(ip, n);
        else perSource.delete(ip);
      };
      const entry: Unauthenticated = {
        release,
        // Closed outright, not half-closed: a client that never closes its side must not
        // keep its slot.
        drop(why) {
          entry.why ??= why;
          if (!entry.identified) logger.info(`ssh ${key}: dropped: ${why}`);
          socket.end();
          const hard = setTimeout(() => socket.destroy(), 1000);
          socket.once("close", () => clearTimeout(hard));
        },
        why: undefined,
        identified: false,
      };
      // One grace time from accept to login, banner or no banner.
      const grace = setTimeout(
        () => entry.drop(`no login within ${options.loginGraceSeconds} s`),
        options.loginGraceSeconds * 1000,
      );
      pending.set(key, entry);
      socket.once("close", release);
      // SSH has no use for a half-open TCP connection: a client gone before logging in must
      // close the socket, or its slot stays taken.
      socket.once("end", () => socket.end());
      // As sshd does: without it, Nagle holds a window adjust behind the previous one until
      // the client's delayed ACK, and an upload crawls (256 MiB from ssh: 4.6 s, with it 2.0 s).
      socket.setNoDelay(true);
      server.injectSocket(socket as unknown as net.Socket);
    },
    close() {
      for (const c of open) c.end();
      server.close();
    },
  };
}

/** Said on stderr when a session's exec, shell or subsystem is refused without want-reply. */
const REFUSED =
  "Refused by sockhop's SSH server: it runs only sockhop _proxy NAME and xpra _proxy, reach a session with sockhop connect ssh://HOST/NAME";

/** The connection protocol's messages (RFC 4254, numbers 80 to 100). */
const CONNECTION_MESSAGES = [
  "GLOBAL_REQUEST",
  "REQUEST_SUCCESS",
  "REQUEST_FAILURE",
  "CHANNEL_OPEN",
  "CHANNEL_OPEN_CONFIRMATION",
  "CHANNEL_OPEN_FAILURE",
  "CHANNEL_WINDOW_ADJUST",
  "CHANNEL_DATA",
  "CHANNEL_EXTENDED_DATA",
  "CHANNEL_EOF",
  "CHANNEL_CLOSE",
  "CHANNEL_REQUEST",
  "CHANNEL_SUCCESS",
  "CHANNEL_FAILURE",
] as const;

/**
 * A connection-protocol message before login ends the connection, as in OpenSSH's sshd
 * (ssh2 only refuses it and carries on: the class of CVE-2025-32433). ssh2 has no hook for
 * this, so its protocol's message handlers are wrapped; it looks each one up per message.
 */
function _refuseEarlyConnectionMessages(
  client: ssh2.Connection,
  entry: Unauthenticated,
  logger: Logger,
  source: string,
) {
  type Handler = (...args: unknown[]) => unknown;
  const proto = (client as unknown as { _protocol?: { _handlers?: Record<string, Handler> } })
    ._protocol;
  const handlers = proto?._handlers;
  if (!handlers) throw new Error("ssh2's protocol handlers are not where they were: check ssh2");
  for (const name of CONNECTION_MESSAGES) {
    const original = handlers[name];
    handlers[name] = (...args: unknown[]) => {
      if ((client as unknown as { authenticated: boolean }).authenticated) {
        return original?.(...args);
      }
      logger.info(`ssh ${source}: ${name} before login`);
      entry.drop(`${name} before login`);
      return undefined;
    };
  }
}

/** RFC 4254's reason code for a channel refused for want of resources. */
const OPEN_RESOURCE_SHORTAGE = 4;

/** Channels refused and ended here that the client has not closed yet, at most. */
const UNCLAIMED_MAX = 1000;

/**
 * At most `max` channels held at once on a logged-in connection, as sshd's MaxSessions: one
 * connection opening 1000 exec channels held 1000 processes. Over it a channel open is refused
 * with a reason the client shows ("resource shortage: ..."), before ssh2 allocates anything.
 * Counted are the channels sockhop holds (channelsHeld): one whose shell, subsystem or command
 * was refused is ended and counts no more, and one the client closed is free again, so ten
 * refusals do not leave the connection unable to open anything. ssh2 has no hook for this and
 * its `reject()` sends no reason text: its CHANNEL_OPEN handler is wrapped (as above).
 */
function _limitChannels(client: ssh2.Connection, max: number, logger: Logger, source: string) {
  type Internals = {
    authenticated: boolean;
    _protocol?: {
      _handlers?: Record<string, (...args: unknown[]) => unknown>;
      channelOpenFail?(recipient: number, reason: number, description: string): void;
    };
  };
  const c = client as unknown as Internals;
  const proto = c._protocol;
  const original = proto?._handlers?.CHANNEL_OPEN;
  if (!proto?.channelOpenFail || !original) {
    throw new Error("ssh2's channel table is not where it was: check ssh2");
  }
  let refused = 0;
  proto._handlers!.CHANNEL_OPEN = (packet: unknown, info: unknown) => {
    const open = info as { sender: number; type: string };
    const { held, unclaimed } = channelsHeld(client);
    if (c.authenticated && (held >= max || unclaimed >= UNCLAIMED_MAX)) {
      const why = held >= max
        ? `too many channels open on this connection (at most ${max})`
        : `${unclaimed} refused channels not closed by the client`;
      // One line per burst of refusals, not one per refused channel.
      if (refused++ % 100 === 0) {
        logger.info(
          `ssh ${source}: refused a ${open.type} channel: ${
            held >= max ? `${max} channels open already (--max-sessions)` : why
          }`,
        );
      }
      proto.channelOpenFail!(open.sender, OPEN_RESOURCE_SHORTAGE, why);
      return undefined;
    }
    return original(packet, info);
  };
}

/** A connection that has not logged in: it holds a slot until `release`. */
interface Unauthenticated {
  release(): void;
  /** End it now, for this reason (the first one given is kept). */
  drop(why: string): void;
  why: string | undefined;
  /** Its SSH banner arrived: the connection's own log line will say why it ended. */
  identified: boolean;
}

function _serveClient(
  client: ssh2.Connection,
  source: string,
  ip: string,
  options: SshServerOptions,
  entry: Unauthenticated,
  onClose: () => void,
) {
  const { logger } = options;
  const t0 = performance.now();
  const state: AuthState = { method: "-", user: "-", failures: 0 };
  // Aborted when the connection closes. Every relay of the connection ends with it: a channel
  // whose client is gone may never say so itself (ssh2 emits its 'close' only once its data
  // has been read, and a relay backed up both ways reads nothing). A password check still
  // waiting its turn is dropped.
  const gone = new AbortController();
  const stats = { up: 0, down: 0, sessions: new Set<string>(), gone: gone.signal };
  let why = "client closed";
  let authenticated = false;
  client.on("authentication", (ctx) => {
    authenticate(ctx, options.auth, state, ip, logger, gone.signal).then((drop) => {
      if (drop && !gone.signal.aborted) {
        client.end();
        entry.drop(drop);
      }
    }, (err: Error) => {
      logger.warn(`ssh ${source}: authentication failed: ${err.message}`);
      entry.drop(`authentication failed: ${err.message}`);
    });
  });
  client.on("ready", () => {
    authenticated = true;
    entry.release();
    client.on("session", (accept) => {
      const session = accept();
      session.on("exec", (acceptExec, reject, info) => {
        const probe = parseWhichProbe(info.command);
        if (probe !== undefined) {
          const channel = acceptExec();
          channel.write(probe);
          channel.exit(0);
          channel.end();
          return;
        }
        const lifecycle = parseLifecycleCommand(info.command);
        if (lifecycle) {
          runLifecycle(acceptExec(), lifecycle, {
            dirs: options.dirs,
            allowStart: options.allowStart ?? [],
            ...(options.only !== undefined ? { only: options.only } : {}),
            user: options.auth.user,
            logger,
          }, source);
          return;
        }
        const request = parseExecCommand(info.command);
        const other = request !== undefined && options.only !== undefined &&
          request.name !== options.only && request.name !== "";
        if (other && request.kind === "sockhop") {
          // Another session than this server's: said as _proxy says a missing one (the
          // marker), so the client shows why and not "exec request failed".
          logger.info(`ssh ${source}: no session ${JSON.stringify(request.name)} here`);
          const channel = acceptExec();
          if (!channel) return;
          channel.write(markerErr(
            `No session ${
              JSON.stringify(request.name)
            } on this SSH server: it is sockhop serve ${options.only}'s own (--bind-ssh), and serves that session only`,
          ));
          channel.exit(1);
          channel.end();
          return;
        }
        if (!request || other) {
          logger.info(`ssh ${source}: refused exec ${JSON.stringify(info.command.slice(0, 200))}`);
          refuseSessionStart(client, session, acceptExec, reject, REFUSED, 127);
          return;
        }
        const channel = acceptExec();
        _proxy(channel, request, options, stats, logger, source);
      });
      for (const what of ["pty", "x11", "auth-agent", "signal"] as const) {
        session.on(what as "pty", (_accept: unknown, reject: (() => void) | undefined) => {
          logger.info(`ssh ${source}: refused ${what}`);
          reject?.();
        });
      }
      for (const what of ["shell", "subsystem"] as const) {
        session.on(what as "shell", (accept, reject: (() => void) | undefined) => {
          logger.info(`ssh ${source}: refused ${what}`);
          refuseSessionStart(client, session, accept, reject, REFUSED, 1);
        });
      }
      session.on("env", (accept, reject, info) => {
        if (/^(LANG|LC_[A-Z]+)$/.test(info.key)) accept?.();
        else reject?.();
      });
    });
    client.on("openssh.streamlocal", (accept, reject, info) => {
      // Only one of this user's sessions (with a session given, exactly that one), checked as
      // every path that opens a session checks it.
      openSocketPath(options.dirs, info.socketPath, options.only, connectSessionStream).then(
        (conn) => {
          const channel = accept();
          stats.sessions.add(baseName(info.socketPath));
          _relayChannel(channel, conn, stats, false);
        },
        (err: Error) => {
          logger.info(
            `ssh ${source}: refused direct-streamlocal to ${
              quote(info.socketPath)
            }: ${err.message}`,
          );
          // ssh shows it: "open failed: connect failed: ..."
          const why = `${err.message}: ${info.socketPath} (sockhop list on the server shows the ` +
            "sessions' paths)";
          rejectChannelOpen(client, reject, safeText(why, 600, true));
        },
      );
    });
    client.on("tcpip", (_accept, reject) => {
      logger.info(`ssh ${source}: refused TCP forwarding`);
      reject();
    });
    client.on("request", (_accept, reject, name) => {
      logger.info(`ssh ${source}: refused global request ${name}`);
      reject?.();
    });
  });
  client.on("error", (err: Error) => {
    why = err.message;
  });
  client.on("close", () => {
    gone.abort();
    // A reason the server gave wins over the socket error that followed it.
    why = entry.why ?? why;
    onClose();
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    logger.info(
      `ssh ${source}: user=${state.user} method=${authenticated ? state.method : "-"} session=${
        [...stats.sessions].join(",") || "-"
      } in=${stats.up} out=${stats.down} ${seconds}s ended: ${why}`,
    );
  });
}

async function _proxy(
  channel: ssh2.ServerChannel,
  request: ProxyRequest,
  options: SshServerOptions,
  stats: { up: number; down: number; sessions: Set<string>; gone: AbortSignal },
  logger: Logger,
  source: string,
) {
  const name = request.name || options.only || "";
  // Writes to a channel the client has closed fail as 'error' events: taken here.
  channel.stderr.on("error", () => {});
  if (request.mux) return await _proxyMux(channel, name, options, stats, logger, source);
  try {
    const { conn } = await openSession(options.dirs, name, connectSessionFramed);
    stats.sessions.add(name);
    if (request.kind === "sockhop") channel.write(MARKER_OK);
    await _relayChannel(channel, conn, stats, true);
  } catch (err) {
    logger.info(`ssh ${source}: _proxy ${name}: ${(err as Error).message}`);
    if (request.kind === "sockhop") channel.write(markerErr((err as Error).message));
    // To a client's terminal (xpra's, ssh's): made safe here, as every writer makes its text.
    else channel.stderr.write(`${safeText((err as Error).message, Infinity, true)}\n`);
    channel.exit(1);
    channel.end();
  }
}

/** forward's one channel (`_proxy --mux`): the session checked, then its streams served. */
async function _proxyMux(
  channel: ssh2.ServerChannel,
  name: string,
  options: SshServerOptions,
  stats: { sessions: Set<string> },
  logger: Logger,
  source: string,
) {
  try {
    await checkSession(options.dirs, name);
  } catch (err) {
    logger.info(`ssh ${source}: _proxy --mux ${name}: ${(err as Error).message}`);
    channel.write(markerErr((err as Error).message));
    channel.exit(1);
    channel.end();
    return;
  }
  stats.sessions.add(name);
  channel.write(MARKER_OK);
  const base = fromNodeStreams(channel, channel, () => channel.close());
  await serveMux(base.readable, base.write, options.dirs, name, logger);
  channel.exit(0);
  channel.end();
}

async function _relayChannel(
  channel: ssh2.ServerChannel,
  session: SessionDuplex,
  stats: { up: number; down: number; gone: AbortSignal },
  withStatus: boolean,
) {
  const base = fromNodeStreams(channel, channel, () => channel.close());
  const closed = new Promise<void>((r) => {
    if (channel.destroyed) r();
    else channel.once("close", () => r());
  });
  const end: Duplex = {
    ...base,
    // The client is gone with its channel (its connection dropped): the session is ended.
    ended: closed,
    async closeWrite() {
      // As `sockhop _proxy` under sshd: the session's status becomes the exit status, its
      // message a line on stderr. ssh2 sends no exit status after EOF, and its end() is EOF
      // and close together: so both wait for the status.
      if (withStatus) {
        const status = session.status ? await session.status : { exit: 0 };
        // ssh2 sends an exit status at once, but data only as the window allows, and drops
        // what is still queued at close: the output first, then the message, then the status.
        await new Promise((r) => channel.write(new Uint8Array(0), r));
        const message = endMessage(status);
        if (message) {
          const line = `sockhop: ${safeText(message, Infinity, true)}\n`;
          await new Promise((r) => channel.stderr.write(line, r));
        }
        channel.exit(endExitCode(status));
      }
      return await base.closeWrite();
    },
  };
  await relay(end, session, {
    signal: stats.gone,
    onBytes: (dir, n) => {
      if (dir === "aToB") stats.up += n;
      else stats.down += n;
    },
  });
}

/** Listen for SSH on host:port. */
export function listenSsh(
  server: SshServer,
  host: string,
  port: number,
  logger: Logger,
): TcpSocketListener {
  return listenTcpSockets(host, port, (sock) => server.handle(sock), logger);
}
