/** `--ssh=`: which SSH backend, and for a program, its words. */

import { UsageError } from "./errors.ts";
import { splitShellWords } from "./shell_words.ts";
import { closest } from "./suggest.ts";
import { findProgram } from "./which.ts";

export type SshChoice =
  | { readonly backend: "auto" }
  | { readonly backend: "native" }
  | {
    readonly backend: "program";
    readonly flavor: "openssh" | "plink";
    readonly words: readonly string[];
  };

/** Parse the value of `--ssh`. Program words are the user's, passed first and unchanged. */
export function parseSshOption(value: string): SshChoice {
  const v = value.trim();
  switch (v.toLowerCase()) {
    case "":
      throw new UsageError("--ssh is empty: use auto, native, openssh, plink or a command line");
    case "auto":
      return { backend: "auto" };
    case "native":
    case "paramiko":
      return { backend: "native" };
    case "openssh":
      return { backend: "program", flavor: "openssh", words: ["ssh", "-x"] };
    case "plink":
      return {
        backend: "program",
        flavor: "plink",
        words: [Deno.build.os === "windows" ? "plink.exe" : "plink", "-ssh", "-agent"],
      };
  }
  const words = splitShellWords(v);
  if (!words.length) {
    throw new UsageError("--ssh is empty: use auto, native, openssh, plink or a command line");
  }
  _typo(words);
  return { backend: "program", flavor: isPlink(words[0]!) ? "plink" : "openssh", words };
}

/**
 * `--ssh=opnessh` is a slip of the keyboard, not a program to install: a lone bare word near
 * a backend's name, with no such program on PATH, is refused naming the backend meant.
 */
function _typo(words: string[]) {
  const word = words[0]!;
  if (words.length !== 1 || !/^[\w.-]+$/.test(word)) return;
  const near = closest(word, ["auto", "native", "paramiko", "openssh", "plink"]);
  if (near && !findProgram(word)) {
    throw new UsageError(`--ssh=${word}: did you mean --ssh=${near}?`);
  }
}

/** plink conventions apply when the program's name ends in plink or plink.exe. */
export function isPlink(program: string): boolean {
  const base = program.split(/[\\/]/).pop()!.toLowerCase();
  return base.endsWith("plink") || base.endsWith("plink.exe");
}
