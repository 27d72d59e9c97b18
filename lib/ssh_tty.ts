/**
 * The local terminal of a pty session: raw mode while the session runs, its size and each
 * change of it (SIGWINCH), and the terminal given back as it was on every way out.
 */

/** The pty request: what ssh sends from the local terminal. */
export interface PtyRequest {
  readonly term: string;
  readonly rows: number;
  readonly cols: number;
  readonly width: number;
  readonly height: number;
}

/** The size of the terminal on stdin/stdout, or ssh's 80x24 when there is none. */
export function terminalSize(): { rows: number; cols: number } {
  try {
    const { columns, rows } = Deno.consoleSize();
    return { rows, cols: columns };
  } catch {
    return { rows: 24, cols: 80 };
  }
}

export function ptyRequest(env: { get(k: string): string | undefined }): PtyRequest {
  return { term: env.get("TERM") ?? "", ...terminalSize(), width: 0, height: 0 };
}

/** A raw terminal, until `restore`; restore is safe to call more than once. */
export interface RawTerminal {
  restore(): void;
}

/** Put stdin's terminal in raw mode (nothing when stdin is not a terminal). */
export function rawTerminal(): RawTerminal {
  if (!Deno.stdin.isTerminal()) return { restore() {} };
  Deno.stdin.setRaw(true);
  _noOutputProcessing();
  let raw = true;
  const restore = () => {
    if (!raw) return;
    raw = false;
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin already closed: the terminal's modes went with it.
    }
  };
  // Deno.exit skips finally blocks: the terminal is given back then too.
  globalThis.addEventListener("unload", restore);
  return {
    restore() {
      globalThis.removeEventListener("unload", restore);
      restore();
    },
  };
}

/**
 * ssh's raw mode also turns off output processing (OPOST), which Deno's setRaw leaves on:
 * each CR LF of the remote pty would reach the screen as CR CR LF. stty does it (setRaw(false)
 * puts back the modes saved before, OPOST included); without stty the output stays processed.
 */
function _noOutputProcessing() {
  if (Deno.build.os === "windows") return;
  try {
    new Deno.Command("stty", { args: ["-opost"], stdin: "inherit", stdout: "null", stderr: "null" })
      .outputSync();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Call `onResize` with the new size on each SIGWINCH, until the returned function is called. */
export function watchWindow(onResize: (rows: number, cols: number) => void): () => void {
  if (Deno.build.os === "windows") return () => {};
  const handler = () => {
    const { rows, cols } = terminalSize();
    onResize(rows, cols);
  };
  Deno.addSignalListener("SIGWINCH", handler);
  return () => Deno.removeSignalListener("SIGWINCH", handler);
}
