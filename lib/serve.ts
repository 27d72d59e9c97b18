/** `sockhop serve NAME TARGET`: publish a local stream service as a named session socket. */

import { spawn } from "node:child_process";
import { SockhopError, UsageError } from "./errors.ts";
import { eachLine } from "./lines.ts";
import type { Logger } from "./logger.ts";
import { type Duplex, relay } from "./relay.ts";
import { type Platform, unixPathProblem } from "./session_paths.ts";
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
  /** Resolves when the listener has stopped. */
  readonly done: Promise<void>;
  /** Stop accepting, end open connections, remove the socket. */
  close(): void;
}

export interface ServeOptions {
  readonly dirs: SessionDirs;
  readonly name: string;
  readonly target: ServeTarget;
  readonly logger: Logger;
}

/** Create the session socket and serve connections until closed. */
export async function serve(options: ServeOptions): Promise<Serving> {
  const { dirs, name, target, logger } = options;
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
  const open = new Set<Duplex>();
  let serial = 0;
  let closed = false;
  const handle = async (client: Duplex, id: number) => {
    open.add(client);
    let service: Duplex | undefined;
    try {
      service = await _openTarget(target, name, id, logger);
    } catch (err) {
      logger.warn(
        `session ${name} #${id}: cannot reach ${_describe(target)}: ${(err as Error).message}`,
      );
      client.close();
      open.delete(client);
      return;
    }
    open.add(service);
    const result = await relay(client, service);
    open.delete(client);
    open.delete(service);
    logger.debug(
      "serve",
      `session ${name} #${id} ended: ${result.aToB} bytes in, ${result.bToA} bytes out${
        result.error ? `, ${result.error.message}` : ""
      }`,
    );
  };
  const done = (async () => {
    for await (const client of listener.connections) {
      handle(client, ++serial);
    }
  })();
  const close = () => {
    if (closed) return;
    closed = true;
    listener.close();
    // A pipe goes with its listener; looking at one with lstat would open it.
    if (!key) _removeIfSocket(path);
    for (const d of open) d.close();
  };
  return { path, done: done.finally(close), close };
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
      command.includes("/") ? "" : " in PATH"
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
): Promise<Duplex> {
  switch (target.kind) {
    case "tcp":
      return fromDenoConn(await Deno.connect({ hostname: target.host, port: target.port }));
    case "unix":
      return fromDenoConn(await Deno.connect({ transport: "unix", path: target.path }));
    case "exec":
      return _spawnTarget(target.argv, name, id, logger);
  }
}

function _spawnTarget(
  argv: readonly [string, ...string[]],
  name: string,
  id: number,
  logger: Logger,
): Promise<Duplex> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      child.on("error", (err) => logger.warn(`session ${name} #${id}: ${err.message}`));
      eachLine(child.stderr, (line) => logger.info(`${name} #${id} [${argv[0]}] ${line}`));
      const exited = new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) r();
        else child.once("exit", () => r());
      });
      resolve({
        ...fromNodeStreams(child.stdout, child.stdin, () => {
          child.stdin.destroy();
          child.stdout.destroy();
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        }),
        // The command has exited: once its output is delivered, the connection is over.
        ended: exited,
      });
    });
  });
}
