/** `sockhop serve NAME TARGET`: publish a local stream service as a named session socket. */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { Readable } from "node:stream";
import { errorCode, SockhopError, UsageError } from "./errors.ts";
import { eachLine } from "./lines.ts";
import type { Logger } from "./logger.ts";
import { parentDir } from "./platform_paths.ts";
import { type Duplex, relay, type RelayResult } from "./relay.ts";
import { type Platform, unixPathProblem } from "./session_paths.ts";
import {
  type EndStatus,
  framedPath,
  type FramedServerEnd,
  framedServerEnd,
} from "./session_frames.ts";
import { acceptLoop } from "./accept_loop.ts";
import { spawnCommand } from "./command_service.ts";
import { listenSession, type SessionListener } from "./session_socket.ts";
import {
  type HelloKind,
  infoFrame,
  maskSecrets,
  readHello,
  readHelloChunks,
  sendInfo,
  type SessionInfo,
} from "./session_status.ts";
import type { SessionDirs } from "./sessions.ts";
import { fromDenoConn, fromNodeStreams } from "./streams.ts";
import { parseHostPort } from "./address.ts";
import { prepareSession } from "./socket_dir.ts";
import { findProgram } from "./which.ts";

export type ServeTarget =
  | { readonly kind: "exec"; readonly argv: readonly [string, ...string[]] }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

const TARGET_HINT = "use exec:COMMAND [ARGS...], tcp:HOST:PORT or unix:PATH";

/** Parse TARGET (and, for exec:, the words after it); `os` decides how long a unix: path may be. */
export function parseServeTarget(
  words: readonly string[],
  os: Platform = Deno.build.os,
): ServeTarget {
  const [first, ...rest] = words;
  if (first === undefined) throw new UsageError(`Missing TARGET: ${TARGET_HINT}`, "serve");
  if (first.startsWith("exec:")) {
    const command = first.slice(5);
    if (!command) throw new UsageError(`exec: needs a command: write exec:cat`, "serve");
    return { kind: "exec", argv: [command, ...rest] };
  }
  if (rest.length && /^(tcp|unix):/.test(first)) {
    throw new UsageError(`Unexpected ${JSON.stringify(rest[0])} after TARGET ${first}`, "serve");
  }
  if (first.startsWith("tcp:")) {
    const { host, port } = parseHostPort(first.slice(4), first);
    if (port === undefined) {
      const only = /^\d+$/.test(host)
        ? `; for port ${host} on this host: tcp:127.0.0.1:${host}`
        : "";
      throw new UsageError(`${first} has no port: write tcp:HOST:PORT${only}`, "serve");
    }
    return { kind: "tcp", host, port };
  }
  if (first.startsWith("unix:")) {
    const path = first.slice(5);
    if (!path) throw new UsageError(`unix: needs a path: write unix:/run/app.sock`, "serve");
    // Said now, not at the first client's connect.
    const tooLong = unixPathProblem(
      path,
      os,
      "give a shorter path (a symlink to its directory will do)",
    );
    if (tooLong) throw new UsageError(tooLong, "serve");
    return { kind: "unix", path };
  }
  throw new UsageError(`Unknown TARGET ${JSON.stringify(first)}: ${TARGET_HINT}`, "serve");
}

/** A running session. */
export interface Serving {
  readonly path: string;
  /** What the status socket tells `list`. */
  info(): SessionInfo;
  /** Whether `sockhop stop` ended it (rather than close()). */
  stopRequested(): boolean;
  /** Resolves when the listener has stopped and every connection has ended. */
  readonly done: Promise<void>;
  /** Stop accepting, end open connections (their clients told why), remove the socket. */
  close(): void;
}

export interface ServeOptions {
  readonly dirs: SessionDirs;
  readonly name: string;
  readonly target: ServeTarget;
  readonly logger: Logger;
  /** The most `exec:` commands running at once; a connection over it is refused. */
  readonly maxChildren?: number;
  /** An id its starter gave it, reported by the status socket (`serve --start-id`). */
  readonly id?: string;
  /** Where its log goes, reported by the status socket. */
  readonly logFile?: string;
}

/** The default of --max-children. */
export const MAX_CHILDREN = 100;

/** An opened target: the stream, and for a command, how it ended and how to end it. */
interface Service {
  readonly duplex: Duplex;
  /** exec: resolves when the command has exited. */
  readonly exited?: Promise<EndStatus>;
  /** End it now (a command: SIGTERM, then SIGKILL if it lingers). */
  kill(): void;
}

/** Create the session socket (and its companion) and serve connections until closed. */
export async function serve(options: ServeOptions): Promise<Serving> {
  const { dirs, name, target, logger } = options;
  const maxChildren = options.maxChildren ?? MAX_CHILDREN;
  if (target.kind === "exec") _checkCommand(target.argv[0]);
  const { path, key } = await prepareSession(dirs, name);
  const { listener, companion } = _listen(path, key, logger);
  const started = new Date().toISOString();
  let stopRequested = false;
  const info = (): SessionInfo => ({
    name,
    pid: Deno.pid,
    target: maskSecrets(_describe(target)),
    started,
    clients: handlers.size,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.logFile !== undefined ? { log: options.logFile } : {}),
  });
  const services = new Set<Service>();
  const handlers = new Set<Promise<void>>();
  const running = { commands: 0 };
  let serial = 0;
  let closed = false;
  // Ends every relay when the session stops: a connection to a tcp: or unix: target would
  // otherwise wait for its client's EOF.
  const stopping = new AbortController();
  /** One connection, from accept to how it ended. */
  const connection = async (
    client: Duplex,
    framed: FramedServerEnd | undefined,
    id: number,
  ): Promise<EndStatus> => {
    if (closed) return { error: _stopped(name) };
    const service = await _openService(options, maxChildren, running, id);
    if (!("duplex" in service)) return service;
    services.add(service);
    const result = await relay(client, service.duplex, { signal: stopping.signal });
    const status = await _endOf(result, service, framed, `Session ${name}: ${_describe(target)}`);
    services.delete(service);
    logger.debug(
      "serve",
      `session ${name} #${id} ended: ${result.aToB} bytes in, ${result.bToA} bytes out, ${
        JSON.stringify(status)
      }${result.error ? `, ${result.error.message}` : ""}`,
    );
    return status;
  };
  const handle = async (client: Duplex, framed: FramedServerEnd | undefined, id: number) => {
    const status = await connection(client, framed, id);
    if (!framed) client.close();
    else await framed.finish(closed ? { error: _stopped(name) } : status);
  };
  const track = (client: Duplex, framed: FramedServerEnd | undefined) => {
    const h = handle(client, framed, ++serial).catch((err) => {
      logger.warn(`session ${name}: ${(err as Error).message}`);
      framed?.abort();
      client.close();
    });
    handlers.add(h);
    h.finally(() => handlers.delete(h));
  };
  const stop = () => {
    logger.info(`session ${name}: stopped by sockhop stop`);
    stopRequested = true;
    close();
  };
  // The session stops when one of its listeners does: only those that exist are waited on.
  const answers: Answers = { connect: (framed) => track(framed, framed), info, stop };
  const accepting = [
    key
      ? _answerEach(listener.connections, _pipeAsked, answers, "session pipe", logger)
      : (async () => {
        for await (const client of listener.connections) track(client, undefined);
      })(),
  ];
  if (companion) {
    accepting.push(
      _answerEach(companion.connections, _statusAsked, answers, "status socket", logger),
    );
  }
  const close = () => {
    if (closed) return;
    closed = true;
    listener.close();
    companion?.close();
    // A pipe goes with its listener; looking at one with lstat would open it.
    if (!key) _removeIfSocket(path);
    if (companion) _removeCompanion(companion.path, logger);
    for (const s of services) s.kill();
    stopping.abort();
  };
  const done = (async () => {
    try {
      await Promise.race(accepting);
    } finally {
      close();
    }
    await Promise.allSettled(accepting);
    while (handlers.size) await Promise.allSettled([...handlers]);
  })();
  return { path, done, close, info, stopRequested: () => stopRequested };
}

/**
 * The session's listeners: the status socket first, so that a session socket that accepts
 * always has it beside and `list` never needs to connect to the session itself; then the
 * session socket. A pipe (Windows, or any session with a key) carries its frames itself.
 */
function _listen(path: string, key: Uint8Array | undefined, logger: Logger) {
  if (!key) _prepareCompanionDir(path);
  const companion = key ? undefined : _listenCompanion(path, logger);
  let listener: SessionListener;
  try {
    listener = listenSession(path, { key, logger });
  } catch (err) {
    if (companion) {
      companion.close();
      _removeIfSocket(companion.path);
    }
    if (err instanceof SockhopError) throw err;
    throw new SockhopError(`Cannot listen on ${path}: ${(err as Error).message}`, "listen", {
      cause: err,
    });
  }
  return { listener, companion };
}

/**
 * The session's target opened for connection #id, or the status that says why not: over
 * --max-children (`running` counts its exec: commands), or not reachable.
 */
async function _openService(
  options: ServeOptions,
  maxChildren: number,
  running: { commands: number },
  id: number,
): Promise<Service | { error: string }> {
  const { target, name, logger } = options;
  const exec = target.kind === "exec";
  if (exec && running.commands >= maxChildren) {
    logger.warn(
      `session ${name} #${id}: refused: ${running.commands} commands running, the most --max-children=${maxChildren} allows`,
    );
    return {
      error:
        `Session ${name} refused the connection: ${running.commands} connections are open, its limit (serve --max-children=${maxChildren}): try again later`,
    };
  }
  try {
    if (exec) running.commands++;
    return await _openTarget(target, name, id, logger, () => running.commands--);
  } catch (err) {
    if (exec) running.commands--;
    const message = `cannot reach ${_describe(target)}: ${(err as Error).message}`;
    logger.warn(`session ${name} #${id}: ${message}`);
    return { error: `Session ${name} ${message}` };
  }
}

/** What serve does with a first frame: a connect goes on to the target; info and stop answer. */
interface Answers {
  connect(framed: FramedServerEnd): void;
  info(): SessionInfo;
  stop(): void;
}

/** One connection's first frame, read and answered; then the connection is closed. */
interface Asked {
  hello(): Promise<{ kind: HelloKind; rest: Uint8Array } | undefined>;
  reply(info: SessionInfo): Promise<void>;
  close(): void;
  /** The connection's relay, framed, once its first frame asked to connect. */
  framed(rest: Uint8Array): FramedServerEnd;
}

/** Every connection of a listener answered by its first frame; `where` names it in the log. */
async function _answerEach<C>(
  connections: AsyncIterable<C>,
  asked: (conn: C) => Asked,
  to: Answers,
  where: string,
  logger: Logger,
) {
  for await (const conn of connections) {
    _answer(asked(conn), to).catch((err) =>
      logger.debug("serve", `${where}: ${(err as Error).message}`)
    );
  }
}

/**
 * A status socket's connection, or a session pipe's (after its handshake): a connect goes on
 * to the target; a probe or a stop is answered with the session's info (a stop then ends it).
 */
async function _answer(conn: Asked, to: Answers): Promise<void> {
  let hello;
  try {
    hello = await conn.hello();
  } catch (err) {
    conn.close();
    throw err;
  }
  if (hello?.kind === "connect") return to.connect(conn.framed(hello.rest));
  try {
    if (hello) await conn.reply(to.info());
  } finally {
    conn.close();
  }
  if (hello?.kind === "stop") to.stop();
}

/** A session pipe's connection: its frames follow the handshake, on the stream itself. */
function _pipeAsked(client: Duplex): Asked {
  return {
    hello: () => readHelloChunks(client.readable[Symbol.asyncIterator]()),
    reply: (info) => client.write(infoFrame(info)),
    close: () => client.close(),
    framed: (rest) => framedServerEnd(client, { framedInput: true, first: rest }),
  };
}

/** A status socket's connection, read on the socket itself (a connect then reuses its buffer). */
function _statusAsked(conn: Deno.UnixConn): Asked {
  return {
    hello: () => readHello(conn),
    reply: (info) => sendInfo(conn, info),
    close: () => conn.close(),
    framed: (rest) => framedServerEnd(fromDenoConn(conn), { reuseBuffer: true, first: rest }),
  };
}

/** How a connection's service ended, once its relay is over. */
async function _endOf(
  result: RelayResult,
  service: Service,
  framed: FramedServerEnd | undefined,
  what: string,
): Promise<EndStatus> {
  if (result.failed === "b") {
    service.kill();
    return { error: `${what} failed: ${result.error?.message}` };
  }
  if (!service.exited) return { exit: 0 };
  // Both ways done: the command may still be finishing (writing a file after its stdin's
  // EOF), and a client waits for its status. Nobody waiting: it is ended.
  if (!framed || result.error || framed.gone()) service.kill();
  else framed.ended?.then(() => service.kill()).catch(() => {});
  return await service.exited;
}

function _stopped(name: string): string {
  return `Session ${name} was stopped (its sockhop serve is ending): connect again once it is back`;
}

/**
 * The dir of the session's companion socket, made 0700 here, or one an earlier serve made:
 * this user's, a real dir, nobody else can write it. Anything else there (another user's dir,
 * made first where sessions once shared a dir, or a link) is refused, naming it: sockhop's
 * clients trust no companion there, so the session would silently lose its end status.
 */
function _prepareCompanionDir(sessionPath: string) {
  if (Deno.build.os === "windows") return;
  const dir = parentDir(framedPath(sessionPath));
  let made = true;
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    made = false;
  }
  const info = Deno.lstatSync(dir);
  const why = info.isSymlink
    ? "is a symlink"
    : !info.isDirectory
    ? "is not a directory"
    : info.uid !== Deno.uid()
    ? `belongs to another user (uid ${info.uid})`
    : !made && ((info.mode ?? 0) & 0o022) !== 0
    ? `is writable by others (mode ${((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0")})`
    : undefined;
  if (why) {
    throw new SockhopError(
      `Status socket dir ${dir} ${why}: sockhop did not make it and will not use it (the session would lose its end status); remove it or use another --socket-dirs`,
      "socket-dir",
    );
  }
  if (made && ((info.mode ?? 0) & 0o777) !== 0o700) Deno.chmodSync(dir, 0o700);
}

/** The companion socket of the session (see session_frames.ts); none where it cannot be. */
function _listenCompanion(
  sessionPath: string,
  logger: Logger,
): { path: string; connections: AsyncIterable<Deno.UnixConn>; close(): void } | undefined {
  if (Deno.build.os === "windows") return undefined;
  const path = framedPath(sessionPath);
  let listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  try {
    // Its session socket was free: a companion there is a killed serve's.
    _removeIfSocket(path);
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (err) {
      // Another session's serve removed the dir as it ended, between our check and now.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      _prepareCompanionDir(sessionPath);
      listener = Deno.listen({ transport: "unix", path });
    }
    Deno.chmodSync(path, 0o600);
  } catch (err) {
    logger.warn(
      `no status socket for this session (${
        (err as Error).message
      }): its sockhop clients will not learn how a connection ended`,
    );
    return undefined;
  }
  const loop = acceptLoop(listener, path, logger);
  return { path, connections: loop.connections, close: () => loop.close() };
}

/** A status socket removed, and its dir, shared by every session of the dir, with the last. */
function _removeCompanion(path: string, logger: Logger) {
  _removeIfSocket(path);
  try {
    Deno.removeSync(parentDir(path));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound) && errorCode(err) !== "ENOTEMPTY") {
      logger.debug("serve", `cannot remove the status socket dir: ${err}`);
    }
  }
}

function _removeIfSocket(path: string) {
  try {
    if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function _checkCommand(command: string) {
  if (findProgram(command)) return;
  throw new SockhopError(
    `Command ${command} not found${
      command.includes("/") || command.includes("\\") ? "" : " in PATH"
    }: install it or give its full path`,
    "usage-target",
  );
}

function _describe(target: ServeTarget): string {
  switch (target.kind) {
    case "exec":
      return `exec:${target.argv.join(" ")}`;
    case "tcp":
      return `tcp:${target.host}:${target.port}`;
    case "unix":
      return `unix:${target.path}`;
  }
}

async function _openTarget(
  target: ServeTarget,
  name: string,
  id: number,
  logger: Logger,
  onExit: () => void,
): Promise<Service> {
  switch (target.kind) {
    case "tcp":
      return _connService(await Deno.connect({ hostname: target.host, port: target.port }));
    case "unix":
      return _connService(await Deno.connect({ transport: "unix", path: target.path }));
    case "exec":
      return await _spawnTarget(target.argv, name, id, logger, onExit);
  }
}

function _connService(conn: Deno.Conn): Service {
  const duplex = fromDenoConn(conn);
  return { duplex, kill: () => duplex.close() };
}

/** How long a command has to end after SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 5000;

function _spawnTarget(
  argv: readonly [string, ...string[]],
  name: string,
  id: number,
  logger: Logger,
  onExit: () => void,
): Promise<Service> {
  // Its stderr goes to the log, line by line; a pipe error there is only logged.
  const logStderr = (stderr: Readable) => {
    stderr.on("error", (err) => logger.debug("serve", `${name} #${id} stderr: ${err}`));
    eachLine(stderr, (line) => logger.info(`${name} #${id} [${argv[0]}] ${line}`));
  };
  if (Deno.build.os === "windows") {
    return Promise.resolve(spawnCommand(argv, logStderr, onExit, KILL_AFTER_MS));
  }
  // In a process group of its own, so that ending it ends what it started too: `sh -c 'a; b'`
  // would leave `b` running.
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: true });
  const members = _processGroup(child);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      child.on("error", (err) => logger.warn(`session ${name} #${id}: ${err.message}`));
      // A pipe's error (EPIPE on a stdin the command never read) is the relay's to see.
      logStderr(child.stderr);
      const running = () => child.exitCode === null && child.signalCode === null;
      const exited = new Promise<EndStatus>((r) => {
        const settle = () => {
          // What it left behind (`sleep 60 &`) ends with it: it would hold the output open
          // (the client waits for ever) or outlive the connection with nobody to end it.
          members.leaderExited();
          onExit();
          r(
            child.signalCode !== null
              ? { signal: child.signalCode }
              : { exit: child.exitCode ?? 0 },
          );
        };
        if (!running()) settle();
        else child.once("exit", settle);
      });
      resolve({
        duplex: {
          ...fromNodeStreams(child.stdout, child.stdin, () => {
            child.stdin.destroy();
            child.stdout.destroy();
          }),
          // The command has exited: once its output is delivered, the connection is over.
          ended: exited.then(() => {}),
        },
        exited,
        kill: () => members.end(),
      });
    });
  });
}

/**
 * A command's process group, ended as one: SIGTERM, then SIGKILL to whatever is left after
 * KILL_AFTER_MS. It outlives its leader while anything the leader started runs; once the
 * leader has exited the group is ended at once, and once it is gone it is never signalled
 * again (its id may go to another process). Posix only: Windows has no process groups.
 */
function _processGroup(child: ChildProcess) {
  const running = () => child.exitCode === null && child.signalCode === null;
  let gone = false;
  let ending: ReturnType<typeof setTimeout> | undefined;
  const alive = (): boolean => {
    if (gone) return false;
    if (!child.pid) return running();
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch (err) {
      if (errorCode(err) !== "ESRCH") throw err;
      return false;
    }
  };
  const signal = (sig: "SIGTERM" | "SIGKILL") => {
    if (!alive()) return;
    try {
      if (child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch (err) {
      if (errorCode(err) !== "ESRCH") throw err;
    }
  };
  const end = () => {
    if (ending || gone) return;
    signal("SIGTERM");
    ending = setTimeout(() => {
      signal("SIGKILL");
      gone = true;
    }, KILL_AFTER_MS);
  };
  return {
    end,
    leaderExited() {
      if (alive()) end();
      else {
        gone = true;
        clearTimeout(ending);
      }
    },
  };
}
