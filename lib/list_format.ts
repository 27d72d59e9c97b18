/** The human-readable output of `sockhop list`. */

import { safeText } from "./safe_text.ts";
import type { SessionDirs, SessionEntry } from "./sessions.ts";

// Names, hosts and paths come from file names anyone who can write a socket dir chose: no
// escape sequence of theirs reaches the terminal.
const _clean = (text: string) => safeText(text, Infinity, true);

export function formatSessionList(sessions: readonly SessionEntry[], dirs: SessionDirs): string {
  if (!sessions.length) {
    return `No sessions on ${_clean(dirs.hostname)} (looked in ${
      _clean([...dirs.dirs, ...dirs.xpraDirs].join(", "))
    })\n`;
  }
  const lines = [`Sessions on ${_clean(dirs.hostname)}:`];
  let dir = "";
  for (const s of sessions) {
    if (s.dir !== dir) {
      dir = s.dir;
      lines.push(`${_clean(dir)}:`);
    }
    const name = _clean(s.kind === "xpra" ? `xpra :${s.name}` : s.name);
    const host = s.host && s.host !== dirs.hostname ? ` (host ${_clean(s.host)})` : "";
    const note = s.cleaned ? " (cleaned up)" : s.reason ? ` (${_clean(s.reason)})` : "";
    lines.push(`\t${s.state.padEnd(12)} ${name}${host}${note}${_serve(s)}`);
  }
  return lines.join("\n") + "\n";
}

/** What a sockhop session's serve said of itself: pid, clients, since when, what it serves. */
function _serve(s: SessionEntry): string {
  if (s.pid === undefined) return "";
  return `  pid=${s.pid} clients=${s.clients ?? 0} since ${_clean(s.started ?? "?")}  ${
    _clean(s.target ?? "")
  }`;
}
