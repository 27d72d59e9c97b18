/**
 * Questions for the user (passwords, passphrases, host keys), as OpenSSH asks them: on the
 * controlling terminal without echo for secrets; with no terminal, through SSH_ASKPASS (the
 * desktop dialog), honouring SSH_ASKPASS_REQUIRE; otherwise, or under BatchMode, an error that
 * names the fix. Never a hang waiting for an answer nobody can give.
 */

import { spawn } from "node:child_process";
import { SockhopError } from "./errors.ts";

export interface Prompter {
  /** Ask a question; `secret` hides the answer. Throws a SockhopError when nobody can answer. */
  ask(question: string, options: { secret: boolean }): Promise<string>;
}

export interface PrompterOptions {
  readonly batchMode: boolean;
  readonly env: { get(key: string): string | undefined };
  /** Opens the controlling terminal, if there is one (injected for tests). */
  readonly openTerminal?: () => Deno.FsFile | undefined;
}

/** The prompter for this process. */
export function makePrompter(options: PrompterOptions): Prompter {
  const openTerminal = options.openTerminal ?? openControllingTerminal;
  return {
    async ask(question, { secret }) {
      if (options.batchMode) {
        throw new SockhopError(
          `Cannot ask "${
            _firstLine(question)
          }" under BatchMode: give the answer another way (a key, --password-file, known_hosts) or drop BatchMode`,
          "no-prompt",
        );
      }
      const askpass = options.env.get("SSH_ASKPASS");
      const require = (options.env.get("SSH_ASKPASS_REQUIRE") ?? "").toLowerCase();
      const display = options.env.get("DISPLAY") || options.env.get("WAYLAND_DISPLAY");
      if (askpass && require === "force") return await _askpass(askpass, question);
      const tty = require === "force" ? undefined : openTerminal();
      if (tty) {
        try {
          return await _askTerminal(tty, question, secret);
        } finally {
          tty.close();
        }
      }
      if (askpass && require !== "never" && (display || require === "prefer")) {
        return await _askpass(askpass, question);
      }
      throw new SockhopError(
        `Cannot ask "${_firstLine(question)}": no terminal and no SSH_ASKPASS program; ` +
          `run on a terminal, set SSH_ASKPASS (with SSH_ASKPASS_REQUIRE=force), or give the answer another way`,
        "no-prompt",
      );
    },
  };
}

/** /dev/tty (or the console on Windows), if this process has one. */
export function openControllingTerminal(): Deno.FsFile | undefined {
  const path = Deno.build.os === "windows" ? "CONIN$" : "/dev/tty";
  try {
    const f = Deno.openSync(path, { read: true, write: Deno.build.os !== "windows" });
    if (f.isTerminal()) return f;
    f.close();
  } catch {
    // no controlling terminal
  }
  return undefined;
}

async function _askTerminal(tty: Deno.FsFile, question: string, secret: boolean): Promise<string> {
  const enc = new TextEncoder();
  await tty.write(enc.encode(question));
  if (secret) tty.setRaw(true, { cbreak: true });
  try {
    const bytes: number[] = [];
    const buf = new Uint8Array(1);
    for (;;) {
      const n = await tty.read(buf);
      if (n === null) throw new SockhopError("The terminal closed while asking", "no-prompt");
      const c = buf[0]!;
      if (c === 0x0a || c === 0x0d) break;
      if (c === 0x03 || c === 0x04) throw new SockhopError("Cancelled at the prompt", "no-prompt");
      if (c === 0x7f || c === 0x08) bytes.pop();
      else bytes.push(c);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    if (secret) {
      tty.setRaw(false);
      await tty.write(enc.encode("\n"));
    }
  }
}

function _askpass(program: string, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [question], {
      stdio: ["ignore", "pipe", "inherit"],
      env: Deno.env.toObject(),
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
