/** `sockhop serve NAME TARGET`: publish a local stream service as a named session socket. */

import { spawn } from "node:child_process";
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
import { listenSession, type SessionListener } from "./session_socket.ts";
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
  if (rest.length) {
    throw new UsageError(`Unexpected ${JSON.stringify(rest[0])} after TARGET ${first}`, "serve");
  }
  if (first.startsWith("tcp:")) {
    const { host, port } = parseHostPort(first.slice(4), first);
    if (port === undefined) {
      throw new UsageError(`${first} has no port: write tcp:HOST:PORT`, "serve");
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
  let listener: SessionListener;
  try {
    listener = listenSession(path, { key });
  } catch (err) {
    if (err instanceof SockhopError) throw err;
    throw new SockhopError(`Cannot listen on ${path}: ${(err as Error).message}`, "listen", {
      cause: err,
    });
  }
  // A pipe (Windows) carries its frames itself; a unix socket has a companion for them.
  const companion = key ? undefined : _listenCompanion(path, logger);
  const services = new Set<Service>();
  const handlers = new Set<Promise<void>>();
  let children = 0;
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
    if (target.kind === "exec" && children >= maxChildren) {
      logger.warn(
        `session ${name} #${id}: refused: ${children} commands running, the most --max-children=${maxChildren} allows`,
      );
      return {
        error:
          `Session ${name} refused the connection: ${children} connections are open, its limit (serve --max-children=${maxChildren}): try again later`,
      };
    }
    let service: Service;
    try {
      if (target.kind === "exec") children++;
      service = await _openTarget(target, name, id, logger, () => children--);
    } catch (err) {
      if (target.kind === "exec") children--;
      const message = `cannot reach ${_describe(target)}: ${(err as Error).message}`;
      logger.warn(`session ${name} #${id}: ${message}`);
      return { error: `Session ${name} ${message}` };
    }
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
  // The session stops when one of its listeners does: only those that exist are waited on.
  const accepting = [
    (async () => {
      for await (const client of listener.connections) {
        if (!key) track(client, undefined);
        else {
          const framed = framedServerEnd(client, { framedInput: true });
          track(framed, framed);
        }
      }
    })(),
  ];
  if (companion) {
    accepting.push((async () => {
      for await (const conn of companion.connections) {
        const framed = framedServerEnd(fromDenoConn(conn), { reuseBuffer: true });
        track(framed, framed);
      }
    })());
  }
  const close = () => {
    if (closed) return;
    closed = true;
    listener.close();
    companion?.close();
    // A pipe goes with its listener; looking at one with lstat would open it.
    if (!key) _removeIfSocket(path);
    if (companion) {
      _removeIfSocket(companion.path);
      // Shared by every session of the dir: gone with the last one.
      try {
        Deno.removeSync(parentDir(companion.path));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound) && errorCode(err) !== "ENOTEMPTY") {
          logger.debug("serve", `cannot remove the status socket dir: ${err}`);
        }
      }
    }
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
  return { path, done, close };
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

/** The companion socket of the session (see session_frames.ts); none where it cannot be. */
function _listenCompanion(
  sessionPath: string,
  logger: Logger,
): { path: string; connections: AsyncIterable<Deno.UnixConn>; close(): void } | undefined {
  const path = framedPath(sessionPath);
  const dir = parentDir(path);
  let listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  try {
    try {
      Deno.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const info = Deno.lstatSync(dir);
    if (!info.isDirectory || info.uid !== Deno.uid()) {
      throw new Error(`${dir} is not a directory of this user`);
    }
    Deno.chmodSync(dir, 0o700);
    // Its session socket was free: a companion there is a killed serve's.
    _removeIfSocket(path);
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (err) {
      // Another session's serve removed the dir as it ended, between our mkdir and now.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      Deno.mkdirSync(dir, { mode: 0o700 });
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
  let closed = false;
  async function* accept() {
    for (;;) {
      try {
        yield await listener.accept();
      } catch (err) {
        if (closed) return;
        throw err;
      }
    }
  }
  return {
    path,
    connections: accept(),
    close() {
      if (closed) return;
      closed = true;
      listener.close();
    },
  };
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
  // In a process group of its own (not on Windows: no groups, and a console of its own), so
  // that ending it ends what it started too: `sh -c 'a; b'` would leave `b` running.
  const group = Deno.build.os !== "windows";
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: group });
  const signal = (sig: "SIGTERM" | "SIGKILL") => {
    try {
      if (group && child.pid) Deno.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      child.kill(sig);
    }
  };
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      child.on("error", (err) => logger.warn(`session ${name} #${id}: ${err.message}`));
      // A pipe's error (EPIPE on a stdin the command never read) is the relay's to see;
      // stderr's is only logged.
      child.stderr.on("error", (err) => logger.debug("serve", `${name} #${id} stderr: ${err}`));
      eachLine(child.stderr, (line) => logger.info(`${name} #${id} [${argv[0]}] ${line}`));
      const running = () => child.exitCode === null && child.signalCode === null;
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const exited = new Promise<EndStatus>((r) => {
        const settle = () => {
          clearTimeout(killTimer);
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
        kill() {
          if (!running() || killTimer) return;
          signal("SIGTERM");
          killTimer = setTimeout(() => {
            if (running()) signal("SIGKILL");
          }, KILL_AFTER_MS);
        },
      });
    });
  });
}
