/**
 * An `exec:` command on Windows, through Deno.Command. Deno's node:child_process pipes there
 * stall once both of a command's pipes are full (its stdin written while its stdout waits to be
 * read: `connect NAME` into `cat` with more than a pipe's worth of data each way), where
 * Deno.Command's do not. No process groups on Windows: ending it ends the command alone.
 */

import { Readable } from "node:stream";
import type { Duplex } from "./relay.ts";
import type { EndStatus } from "./session_frames.ts";

/** A running command: its stdin and stdout as a Duplex, how it ended, how to end it. */
export interface CommandService {
  readonly duplex: Duplex;
  readonly exited: Promise<EndStatus>;
  /** SIGTERM (TerminateProcess on Windows), then SIGKILL if it lingers `killAfterMs`. */
  kill(): void;
}

/** Start `argv` with piped stdio; `stderr` gets the command's error output as a node stream. */
export function spawnCommand(
  argv: readonly [string, ...string[]],
  stderr: (readable: Readable) => void,
  onExit: () => void,
  killAfterMs: number,
): CommandService {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  stderr(Readable.fromWeb(child.stderr as unknown as Parameters<typeof Readable.fromWeb>[0]));
  const writer = child.stdin.getWriter();
  let running = true;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const exited = child.status.then((s): EndStatus => {
    running = false;
    clearTimeout(killTimer);
    onExit();
    return s.signal !== null ? { signal: s.signal } : { exit: s.code };
  });
  const signal = (sig: Deno.Signal) => {
    try {
      if (running) child.kill(sig);
    } catch {
      // gone meanwhile
    }
  };
  let closed = false;
  let inputClosed = false;
  return {
    duplex: {
      readable: (async function* () {
        for await (const chunk of child.stdout) {
          if (closed) return;
          yield chunk;
        }
      })(),
      write: (chunk) => writer.write(chunk),
      closeWrite() {
        if (inputClosed) return Promise.resolve();
        inputClosed = true;
        return writer.close().catch(() => {});
      },
      close() {
        if (closed) return;
        closed = true;
        if (!inputClosed) {
          inputClosed = true;
          writer.abort().catch(() => {});
        }
        child.stdout.cancel().catch(() => {});
      },
      // The command has exited: once its output is delivered, the connection is over.
      ended: exited.then(() => {}),
    },
    exited,
    kill() {
      if (!running || killTimer) return;
      signal("SIGTERM");
      killTimer = setTimeout(() => signal("SIGKILL"), killAfterMs);
    },
  };
}
