/**
 * The check every path that opens or lists a session makes before it touches a socket
 * (`list`, `connect NAME`, `_proxy`, direct-streamlocal), as `serve` makes it of its own dir:
 * the socket and its dir are not symlinks, belong to this user or root, and nobody else can
 * write the dir (or swap it through a parent). Another local user who controls a socket dir
 * would otherwise receive what this user sends to "their" session.
 */

import { dirname, resolve } from "node:path";
import {
  dirProblem,
  type FileFacts,
  parentProblem,
  parentsOf,
  problemFix,
  socketProblem,
} from "./session_paths.ts";

/** A session dir or socket sockhop will not use, and why. */
export interface Refusal {
  readonly what: "socket" | "dir" | "parent";
  /** The file at fault: the socket, its dir, or a parent of the dir. */
  readonly path: string;
  readonly why: string;
  /** The next action, for the message. */
  readonly fix: string;
}

/** One line: `/x is writable by others (mode 0777): run chmod go-w /x, or use --socket-dirs`. */
export function refusalText(r: Refusal): string {
  return `${r.path} ${r.why}: ${r.fix}`;
}

/** What `list` says: `socket is a symlink`, `dir /x is writable by others (mode 0777)`. */
export function refusalBrief(r: Refusal): string {
  return r.what === "socket" ? `socket ${r.why}` : `${r.what} ${r.path} ${r.why}`;
}

/**
 * Why the session dir `dir` must not be used, or undefined (also when it does not exist:
 * then it holds no session). `me` is this user's uid (null on Windows, where sessions are
 * pipes and this check has nothing to say).
 */
export function checkSessionDir(dir: string, me: number | null = Deno.uid()): Refusal | undefined {
  if (me === null) return undefined;
  const abs = resolve(dir);
  let facts: FileFacts;
  try {
    facts = Deno.lstatSync(abs);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    return _unchecked("dir", abs, err);
  }
  const why = dirProblem(facts, me);
  if (why) return { what: "dir", path: abs, why, fix: problemFix("dir", abs, why) };
  return checkParents(abs, me);
}

/** Why a parent of `dir` lets someone else swap it, or undefined. */
export function checkParents(dir: string, me: number): Refusal | undefined {
  for (const parent of parentsOf(resolve(dir))) {
    let facts: FileFacts;
    try {
      facts = Deno.statSync(parent);
    } catch (err) {
      return _unchecked("parent", parent, err);
    }
    const why = parentProblem(facts, me);
    if (why) return { what: "parent", path: parent, why, fix: problemFix("parent", parent, why) };
  }
  return undefined;
}

/** A file that cannot be looked at cannot be vouched for either. */
function _unchecked(what: Refusal["what"], path: string, err: unknown): Refusal {
  return {
    what,
    path,
    why: `cannot be checked (${(err as Error).message})`,
    fix: "use --socket-dirs with a dir of your own",
  };
}

/**
 * Why the session socket at `path` must not be opened (it, or its dir), or undefined.
 * Throws NotFound when there is nothing at `path`. `dirRefusal` is the dir's check when the
 * caller already made it.
 */
export function checkSessionSocket(
  path: string,
  me: number | null = Deno.uid(),
  dirRefusal: Refusal | undefined | null = null,
): Refusal | undefined {
  if (me === null) return undefined;
  const facts = Deno.lstatSync(path);
  const dir = dirRefusal === null ? checkSessionDir(dirname(path), me) : dirRefusal;
  if (dir) return dir;
  const why = socketProblem(facts, me);
  return why ? { what: "socket", path, why, fix: problemFix("socket", path, why) } : undefined;
}
