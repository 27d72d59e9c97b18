/**
 * The files behind an ssh_config: reading them, the owner and mode check OpenSSH makes on
 * user config files, `Include` globs as glob(3) expands them (`*`, `?`, `[...]` in any part
 * of the path, `~`, dotfiles only by an explicit dot, sorted), and home directories from
 * /etc/passwd for `~user`.
 */

import { UsageError } from "./errors.ts";
import { isAbsolutePath, type Os } from "./platform_paths.ts";
import { FileTooLargeError, NotRegularFileError, readUnblockingFile } from "./regular_file.ts";

/** What the config reader needs from a file system (a fake one in unit tests). */
export interface ConfigFs {
  /** The text; undefined when the file does not exist; throws when it cannot be read. */
  readFile(path: string): string | undefined;
  /** Owner and mode; undefined when it does not exist. */
  stat(path: string): { readonly uid: number; readonly mode: number } | undefined;
  /** Entry names of a directory; undefined when it is not one. */
  readDir(path: string): string[] | undefined;
}

/** Read a text file; undefined when it does not exist. */
export function readTextFileOrUndefined(path: string): string | undefined {
  try {
    return new TextDecoder().decode(readUnblockingFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    if (err instanceof NotRegularFileError) {
      if (err.kind === "a directory") return "";
      throw new UsageError(`${err.message}: give the path of a file`);
    }
    if ((err as { code?: string }).code === "ENOTDIR") return undefined;
    if (err instanceof FileTooLargeError) throw err;
    throw new UsageError(`${(err as Error).message}: check its permissions`);
  }
}

/** The real file system. */
export const REAL_FS: ConfigFs = {
  readFile: readTextFileOrUndefined,
  stat(path) {
    try {
      const st = Deno.statSync(path);
      // Windows gives no owner, and mode bits that only tell the read-only attribute (0o666
      // for any writable file): who may write a file is its ACL's, which Win32-OpenSSH checks.
      if (Deno.build.os === "windows") return { uid: 0, mode: 0o644 };
      return { uid: st.uid ?? 0, mode: st.mode ?? 0o644 };
    } catch {
      return undefined;
    }
  },
  readDir(path) {
    try {
      return [...Deno.readDirSync(path)].map((e) => e.name);
    } catch {
      return undefined;
    }
  },
};

/** A file system of files given by a function (for tests): root-owned, mode 0644. */
export function functionFs(read: (path: string) => string | undefined): ConfigFs {
  return {
    readFile: read,
    stat: (path) => (read(path) === undefined ? undefined : { uid: 0, mode: 0o644 }),
    readDir: () => undefined,
  };
}

/**
 * OpenSSH's check on user config files and their includes: owned by root or the user, and
 * not writable by group or others. Debian's ssh also accepts a group-writable file whose
 * group has its owner as only member; sockhop keeps upstream's rule (README, Differences).
 */
export function badOwnerOrMode(st: { uid: number; mode: number }, uid: number): boolean {
  return (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0;
}

/** The home directory of `user` in /etc/passwd. */
export function passwdHome(user: string): string | undefined {
  for (const line of (readTextFileOrUndefined("/etc/passwd") ?? "").split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 6) return f[5];
  }
  return undefined;
}

/** glob(3) with GLOB_TILDE, as `Include` uses it: the matching paths, sorted. */
export function globPaths(
  pattern: string,
  fs: ConfigFs,
  home: string,
  lookupHome: (user: string) => string | undefined = passwdHome,
  os: Os = Deno.build.os,
): string[] {
  let p = pattern;
  if (p.startsWith("~")) {
    const slash = p.indexOf("/");
    const name = p.slice(1, slash < 0 ? undefined : slash);
    const dir = name === "" ? home : lookupHome(name);
    if (dir !== undefined) p = dir + (slash < 0 ? "" : p.slice(slash));
  }
  // Parts split at `/` as glob(3) does (Windows takes `/` too); what is absolute is the
  // platform's to say: `C:\ProgramData\ssh/conf.d/*` starts at its first part, not in ".".
  const absolute = isAbsolutePath(p, os);
  const parts = p.split("/").filter((x, i) => x !== "" || i === 0);
  let found: string[] = [absolute ? parts.shift()! : "."];
  let magic = false;
  for (const part of parts) {
    if (!_hasMagic(part)) {
      const literal = part.replace(/\\(.)/g, "$1");
      found = found.map((d) => `${d}/${literal}`);
      continue;
    }
    magic = true;
    found = found.flatMap((d) =>
      (fs.readDir(d || "/") ?? []).filter((name) => fnmatch(part, name)).sort().map((name) =>
        `${d}/${name}`
      )
    );
  }
  const out = found.map((f) => (absolute ? f : f.slice(2))).filter((f) => fs.stat(f) !== undefined);
  return magic ? out.sort(_byteOrder) : out;
}

function _byteOrder(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  }
  return ea.length - eb.length;
}

function _hasMagic(part: string): boolean {
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?") return true;
    else if (ch === "[" && part.indexOf("]", i + 2) >= 0) return true;
  }
  return false;
}

/**
 * OpenSSH's glob(3) (openbsd-compat, as its Include uses it) for one path component: `*`,
 * `?`, `[a-z]`, `[!x]`, `[[:alpha:]]`, `\` escapes; a leading dot only matches a literal one.
 * `[^x]` is not a negation there: `^` is one of the characters.
 */
export function fnmatch(pattern: string, name: string): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".") && !pattern.startsWith("\\.")) return false;
  return _match(pattern, 0, name, 0);
}

function _match(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const ch = p[pi]!;
    if (ch === "*") {
      while (p[pi] === "*") pi++;
      if (pi === p.length) return true;
      for (let k = si; k <= s.length; k++) if (_match(p, pi, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (ch === "?") {
      pi++;
      si++;
      continue;
    }
    if (ch === "[") {
      const cls = _bracket(p, pi, s[si]!);
      if (cls !== undefined) {
        if (!cls.matched) return false;
        pi = cls.next;
        si++;
        continue;
      }
    }
    let lit = ch;
    if (ch === "\\" && pi + 1 < p.length) lit = p[++pi]!;
    if (lit !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

const CLASSES: Record<string, { test(c: string): boolean }> = {
  alpha: /[A-Za-z]/,
  digit: /[0-9]/,
  alnum: /[A-Za-z0-9]/,
  upper: /[A-Z]/,
  lower: /[a-z]/,
  space: /[ \t\n\r\f\v]/,
  punct: /[!-\/:-@[-`{-~]/,
  xdigit: /[0-9A-Fa-f]/,
  blank: /[ \t]/,
  print: /[ -~]/,
  graph: /[!-~]/,
  cntrl: { test: (c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f },
};

/** A bracket expression at p[start]; undefined when it is not closed (then `[` is literal). */
function _bracket(
  p: string,
  start: number,
  c: string,
): { matched: boolean; next: number } | undefined {
  let i = start + 1;
  const negate = p[i] === "!";
  if (negate) i++;
  let matched = false;
  let first = true;
  while (i < p.length && (p[i] !== "]" || first)) {
    first = false;
    if (p.startsWith("[:", i)) {
      const end = p.indexOf(":]", i + 2);
      if (end >= 0) {
        const re = CLASSES[p.slice(i + 2, end)];
        if (re?.test(c)) matched = true;
        i = end + 2;
        continue;
      }
    }
    let lo = p[i]!;
    if (lo === "\\" && i + 1 < p.length) lo = p[++i]!;
    if (p[i + 1] === "-" && p[i + 2] !== undefined && p[i + 2] !== "]") {
      let hi = p[i + 2]!;
      let skip = 3;
      if (hi === "\\" && i + 3 < p.length) {
        hi = p[i + 3]!;
        skip = 4;
      }
      if (c >= lo && c <= hi) matched = true;
      i += skip;
      continue;
    }
    if (c === lo) matched = true;
    i++;
  }
  if (i >= p.length) return undefined;
  return { matched: matched !== negate, next: i + 1 };
}
