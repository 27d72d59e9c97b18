/**
 * Windows sessions (named pipes) as far as they can run here: the same code over unix sockets,
 * with a pipe dir of the test's own. tools/wine_suite.sh runs them for real under Wine.
 */
import assert from "node:assert/strict";
import { resolveSessionDirs, type SessionDirs } from "../lib/sessions.ts";
import { serve, type ServeTarget } from "../lib/serve.ts";
import { listenPipe } from "../lib/session_socket.ts";
import {
  connectSessionFramed,
  framedClient,
  framedServerEnd,
  type SessionDuplex,
} from "../lib/session_frames.ts";
import { ensureSessionKey, readSessionKey } from "../lib/pipe_auth.ts";
import { askSession } from "../lib/session_status.ts";
import { checkPipeFree } from "../lib/socket_dir.ts";
import { SockhopError } from "../lib/errors.ts";
import { stderrLogger } from "../lib/logger.ts";
import type { Duplex } from "../lib/relay.ts";
import { listSessions, openSession } from "../lib/sessions.ts";
import { randomBytes, sha256, tempDir } from "./_cli.ts";

async function windowsDirs(dir: string): Promise<SessionDirs> {
  await Deno.mkdir(`${dir}/pipes`, { mode: 0o700 });
  return {
    ...resolveSessionDirs(new Map([["USERNAME", "alice"]]), `${dir}/s`, "HOST-1", "windows"),
    pipeDir: `${dir}/pipes/`,
  };
}

async function readAll(readable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of readable) chunks.push(c.slice());
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

/** Send `input`, end it, read everything back; the connection's end status with it. */
async function roundTrip(conn: SessionDuplex, input: Uint8Array) {
  const [, output] = await Promise.all([
    (async () => {
      await conn.write(input);
      await conn.closeWrite();
    })(),
    readAll(conn.readable),
  ]);
  const status = await conn.status;
  conn.close();
  return { output, status };
}

async function served(dirs: SessionDirs, name: string, target: ServeTarget) {
  const serving = await serve({ dirs, name, target, logger: stderrLogger([]) });
  let over = false;
  serving.done.then(() => over = true);
  return { serving, over: () => over };
}

Deno.test("Windows pipes: serve stays up, connection after connection (the Windows flow over unix sockets)", async () => {
  await using dir = await tempDir();
  const dirs = await windowsDirs(dir);
  const { serving, over } = await served(dirs, "cat", { kind: "exec", argv: ["cat"] });
  for (const size of [1, 1024 * 1024]) {
    const data = randomBytes(size);
    const { conn } = await openSession(dirs, "cat", connectSessionFramed);
    const { output, status } = await roundTrip(conn, data);
    assert.equal(await sha256(output), await sha256(data));
    assert.deepEqual(status, { exit: 0 });
    assert.equal(over(), false, "serve is still up");
  }
  serving.close();
  await serving.done;
});

Deno.test("Windows pipes: end of input and the command's status travel in the pipe's frames", async () => {
  await using dir = await tempDir();
  const dirs = await windowsDirs(dir);
  const { serving } = await served(dirs, "sort", {
    kind: "exec",
    argv: ["sh", "-c", "sort; exit 3"],
  });
  const { conn } = await openSession(dirs, "sort", connectSessionFramed);
  const { output, status } = await roundTrip(conn, new TextEncoder().encode("b\nc\na\n"));
  assert.equal(new TextDecoder().decode(output), "a\nb\nc\n");
  assert.deepEqual(status, { exit: 3 });
  serving.close();
  await serving.done;
});

/** Two in-memory ends whose only link is the bytes written; a half-close is recorded. */
function bytePipe() {
  const queues: [Uint8Array[], Uint8Array[]] = [[], []];
  const wakes: [(() => void) | undefined, (() => void) | undefined] = [undefined, undefined];
  const closed = [false, false];
  const halfClosed: boolean[] = [false, false];
  const end = (me: 0 | 1): Duplex => {
    const peer = (1 - me) as 0 | 1;
    return {
      readable: (async function* () {
        for (;;) {
          while (queues[me].length) yield queues[me].shift()!;
          if (closed[peer] || closed[me]) return;
          await new Promise<void>((r) => wakes[me] = r);
        }
      })(),
      write(chunk) {
        queues[peer].push(chunk.slice());
        wakes[peer]?.();
        return Promise.resolve();
      },
      closeWrite() {
        halfClosed[me] = true;
        return Promise.resolve();
      },
      close() {
        closed[me] = true;
        wakes[0]?.();
        wakes[1]?.();
      },
    };
  };
  return { ends: [end(0), end(1)] as const, halfClosed };
}

Deno.test("pipe frames: the client's end of input is an E frame, not a half-close; the status follows", async () => {
  const { ends, halfClosed } = bytePipe();
  const client = framedClient(ends[0], { framedOutput: true });
  const server = framedServerEnd(ends[1], { framedInput: true });
  await client.write(new TextEncoder().encode("hello"));
  await client.closeWrite();
  assert.equal(new TextDecoder().decode(await readAll(server.readable)), "hello");
  assert.deepEqual(halfClosed, [false, false]);
  await server.write(new TextEncoder().encode("back"));
  await server.closeWrite();
  const back = readAll(client.readable);
  // A pipe is closed by its client once it has the status: serve waits for that.
  const finished = server.finish({ exit: 7 });
  assert.equal(new TextDecoder().decode(await back), "back");
  assert.deepEqual(await client.status, { exit: 7 });
  client.close();
  await finished;
});

Deno.test("pipe frames: a client that closes without its end of input is gone", async () => {
  const { ends } = bytePipe();
  const server = framedServerEnd(ends[1], { framedInput: true });
  ends[0].close();
  assert.equal((await readAll(server.readable)).length, 0);
  await server.ended;
  assert.equal(server.gone(), true);
  server.abort();
});

const cannotList = () => {
  throw new Error("Bad device type (os error 66)");
};

Deno.test("Windows pipes: where \\\\.\\pipe\\ cannot be listed, serve opens the pipe by name", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir}/pipes`, { mode: 0o700 });
  await Deno.mkdir(`${dir}/keys`, { mode: 0o700 });
  const key = ensureSessionKey(`${dir}/keys`);
  const path = `${dir}/pipes/sockhop-alice-HOST-1-x`;
  // Free: nothing answers at that name.
  await checkPipeFree(`${dir}/pipes/`, path, "x", key, cannotList);
  // Taken by a live session of this user's.
  const live = listenPipe(path, key);
  await assert.rejects(
    () => checkPipeFree(`${dir}/pipes/`, path, "x", key, cannotList),
    (err: Error) => err instanceof SockhopError && err.code === "name-in-use",
  );
  live.close();
});

Deno.test("Windows pipes: list asks serve over the pipe (no command run), stop ends it", async () => {
  await using dir = await tempDir();
  const dirs = await windowsDirs(dir);
  const runs = `${dir}/runs`;
  const { serving, over } = await served(dirs, "counted", {
    kind: "exec",
    argv: ["sh", "-c", `echo run >> '${runs}'; cat`],
  });
  const [entry] = await listSessions(dirs);
  assert.equal(entry?.state, "LIVE");
  assert.equal(entry?.pid, Deno.pid);
  assert.equal(entry?.target, `exec:sh -c echo run >> '${runs}'; cat`);
  assert.equal(entry?.clients, 0);
  assert.throws(() => Deno.statSync(runs), Deno.errors.NotFound, "list ran the command");
  const key = readSessionKey(dirs.dirs)!;
  const info = await askSession(entry!.path, "stop", 10_000, key);
  assert.equal(info?.name, "counted");
  await serving.done;
  assert.ok(over() && serving.stopRequested());
  assert.throws(() => Deno.statSync(runs), Deno.errors.NotFound, "stop ran the command");
});

Deno.test("Windows pipes: where \\\\.\\pipe\\ cannot be listed, list says so in one line and names the way out", async () => {
  await using dir = await tempDir();
  // A file where the pipe namespace should be: listing it fails, as Wine's does.
  await Deno.writeTextFile(`${dir}/pipes`, "");
  const dirs = {
    ...resolveSessionDirs(new Map([["USERNAME", "alice"]]), `${dir}/s`, "HOST-1", "windows"),
    pipeDir: `${dir}/pipes/`,
  };
  await assert.rejects(
    () => listSessions(dirs),
    (err: Error) =>
      err instanceof SockhopError &&
      /^Cannot list the named pipes in \S+ \(.+\): name the session, as in sockhop connect NAME$/
        .test(err.message),
  );
});
