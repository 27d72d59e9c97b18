/**
 * Questions for the user (passwords, passphrases, host keys), as OpenSSH asks them: on the
 * controlling terminal without echo for secrets; with no terminal, through SSH_ASKPASS (the
 * desktop dialog), honouring SSH_ASKPASS_REQUIRE; otherwise, or under BatchMode, an error that
 * names the fix. Never a hang waiting for an answer nobody can give.
 */

import { spawn } from "node:child_process";
import { SockhopError } from "./errors.ts";
import { safeText } from "./safe_text.ts";

export interface Prompter {
  /** Ask a question; `secret` hides the answer. Throws a SockhopError when nobody can answer. */
  ask(question: string, options: { secret: boolean }): Promise<string>;
}

export interface PrompterOptions {
  readonly batchMode: boolean;
  readonly env: { get(key: string): string | undefined };
  /** Opens the controlling terminal, if there is one (injected for tests). */
  readonly openTerminal?: () => Terminal | undefined;
  /** The platform (injected for tests). */
  readonly os?: Os;
}

type Os = typeof Deno.build.os;

/**
 * Where a question is asked: on unix one read-write /dev/tty; on Windows the console's input
 * (CONIN$, opened read-write, as SetConsoleMode wants) and its screen (CONOUT$), since writing
 * to the input half shows nothing.
 */
export interface Terminal {
  readonly input: Pick<Deno.FsFile, "read" | "setRaw">;
  readonly output: Pick<Deno.FsFile, "write">;
  /**
   * How echo goes off: cbreak where the OS has it (Ctrl-C still interrupts); Windows has raw
   * mode only (Deno refuses cbreak there), so Ctrl-C arrives as a byte and cancels.
   */
  readonly cbreak: boolean;
  close(): void;
}

/** A question nobody can answer here; `question` and `why` let the caller say what to do. */
export class CannotAskError extends SockhopError {
  override name = "CannotAskError";
  constructor(readonly question: string, readonly why: string, message: string) {
    super(message, "no-prompt");
  }
}

/** The prompter for this process. */
export function makePrompter(options: PrompterOptions): Prompter {
  const os = options.os ?? Deno.build.os;
  const openTerminal = options.openTerminal ?? (() => openControllingTerminal(os));
  return {
    async ask(asked, { secret }) {
      // Made safe here, where it is shown (a terminal, an askpass dialog): its text is the
      // server's (keyboard-interactive's name, instructions and prompts, a host name).
      const question = safeText(asked);
      if (options.batchMode) {
        throw new CannotAskError(
          _firstLine(question),
          "under BatchMode",
          `Cannot ask "${
            _firstLine(question)
          }" under BatchMode: give the answer another way (a key, --password-file, known_hosts) or drop BatchMode`,
        );
      }
      const askpass = options.env.get("SSH_ASKPASS");
      const require = (options.env.get("SSH_ASKPASS_REQUIRE") ?? "").toLowerCase();
      // A Windows desktop has no DISPLAY to check for: its dialogs always have a screen.
      const display = os === "windows" || options.env.get("DISPLAY") ||
        options.env.get("WAYLAND_DISPLAY");
      if (askpass && require === "force") return await _askpass(askpass, question, os);
      const tty = require === "force" ? undefined : openTerminal();
      if (tty) {
        try {
          return await askTerminal(tty, question, secret);
        } finally {
          tty.close();
        }
      }
      if (askpass && require !== "never" && (display || require === "prefer")) {
        return await _askpass(askpass, question, os);
      }
      throw new CannotAskError(
        _firstLine(question),
        "no terminal and no SSH_ASKPASS program",
        `Cannot ask "${_firstLine(question)}": no terminal and no SSH_ASKPASS program; ` +
          `run on a terminal, set SSH_ASKPASS (with SSH_ASKPASS_REQUIRE=force), or give the answer another way`,
      );
    },
  };
}

/** The files of the controlling terminal: `\\.\` device paths on Windows, never cwd-relative. */
export function terminalFiles(os: Os): { input: string; output: string; cbreak: boolean } {
  return os === "windows"
    ? { input: "\\\\.\\CONIN$", output: "\\\\.\\CONOUT$", cbreak: false }
    : { input: "/dev/tty", output: "/dev/tty", cbreak: true };
}

/** The controlling terminal (the console on Windows), if this process has one. */
export function openControllingTerminal(
  os: Os = Deno.build.os,
  open: (path: string, options: Deno.OpenOptions) => Deno.FsFile = Deno.openSync,
): Terminal | undefined {
  const files = terminalFiles(os);
  let input: Deno.FsFile | undefined;
  try {
    input = open(files.input, { read: true, write: true });
    if (!input.isTerminal()) {
      input.close();
      return undefined;
    }
    const output = files.output === files.input
      ? input
      : open(files.output, { read: true, write: true });
    return {
      input,
      output,
      cbreak: files.cbreak,
      close() {
        input!.close();
        if (output !== input) output.close();
      },
    };
  } catch {
    // No controlling terminal (a daemon, a service, a CI job): the caller tries SSH_ASKPASS.
    input?.close();
    return undefined;
  }
}

/** Whether a terminal can answer questions (ssh's, plink's and ours). */
export function hasControllingTerminal(): boolean {
  const tty = openControllingTerminal();
  tty?.close();
  return tty !== undefined;
}

/**
 * Ask on a terminal. A secret is read with echo off, byte by byte: the answer ends at the
 * first CR or LF. Otherwise the line is read as the terminal cooks it, up to LF (a Windows
 * console ends it with CR LF: the CR is dropped, the LF consumed, so nothing is left over for
 * the next question).
 */
export async function askTerminal(
  tty: Terminal,
  question: string,
  secret: boolean,
): Promise<string> {
  const enc = new TextEncoder();
  await _writeAll(tty.output, enc.encode(question));
  if (secret) {
    try {
      tty.input.setRaw(true, { cbreak: tty.cbreak });
    } catch (err) {
      throw new SockhopError(
        `Cannot turn echo off to ask "${
          _firstLine(question)
        }" (${err}): set SSH_ASKPASS with SSH_ASKPASS_REQUIRE=force, or give the answer another way`,
        "no-prompt",
        { cause: err },
      );
    }
  }
  try {
    const bytes: number[] = [];
    const buf = new Uint8Array(1);
    for (;;) {
      const n = await tty.input.read(buf);
      if (n === null) throw new SockhopError("The terminal closed while asking", "no-prompt");
      if (n === 0) continue;
      const c = buf[0]!;
      if (c === 0x0a || (secret && c === 0x0d)) break;
      if (c === 0x0d) continue;
      if (c === 0x03 || c === 0x04) throw new SockhopError("Cancelled at the prompt", "no-prompt");
      if (c === 0x7f || c === 0x08) bytes.pop();
      else bytes.push(c);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    if (secret) {
      tty.input.setRaw(false);
      await _writeAll(tty.output, enc.encode("\n"));
    }
  }
}

async function _writeAll(out: Pick<Deno.FsFile, "write">, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await out.write(data.subarray(off));
}

/**
 * The argv that runs SSH_ASKPASS with the question. Windows cannot start a .cmd or .bat
 * directly: it goes through `cmd.exe /d /s /c`, with the question quoted for cmd (its `"` and
 * `%` would end the quoting or expand a variable, so they are replaced).
 */
export function askpassArgv(
  program: string,
  question: string,
  os: Os,
): { argv: string[]; verbatim: boolean } {
  if (os === "windows" && /\.(cmd|bat)$/i.test(program)) {
    const q = question.replace(/["%]/g, "'").replace(/[\r\n]+/g, " ");
    return { argv: ["cmd.exe", "/d", "/s", "/c", `""${program}" "${q}""`], verbatim: true };
  }
  return { argv: [program, question], verbatim: false };
}

function _askpass(program: string, question: string, os: Os): Promise<string> {
  const { argv, verbatim } = askpassArgv(program, question, os);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["ignore", "pipe", "inherit"],
      env: Deno.env.toObject(),
      windowsVerbatimArguments: verbatim,
    });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (t: string) => out += t);
    child.once(
      "error",
      (err) =>
        reject(
          new SockhopError(`Cannot run SSH_ASKPASS ${program}: ${err.message}`, "no-prompt", {
            cause: err,
          }),
        ),
    );
    child.once("close", (code) => {
      if (code === 0) resolve(out.replace(/\r?\n$/, ""));
      else {reject(
          new SockhopError(`SSH_ASKPASS ${program} gave no answer (exit ${code})`, "no-prompt"),
        );}
    });
  });
}

function _firstLine(text: string): string {
  return text.split("\n").find((l) => l.trim())?.trim().replace(/[:?]\s*$/, "") ?? text;
}
