/** The human-readable output of `sockhop list`. */

import type { SessionDirs, SessionEntry } from "./sessions.ts";

export function formatSessionList(sessions: readonly SessionEntry[], dirs: SessionDirs): string {
  if (!sessions.length) {
    return `No sessions on ${dirs.hostname} (looked in ${
      [...dirs.dirs, ...dirs.xpraDirs].join(", ")
    })\n`;
  }
  const lines = [`Sessions on ${dirs.hostname}:`];
  let dir = "";
  for (const s of sessions) {
    if (s.dir !== dir) {
      dir = s.dir;
      lines.push(`${dir}:`);
    }
    const name = s.kind === "xpra" ? `xpra :${s.name}` : s.name;
    const host = s.host && s.host !== dirs.hostname ? ` (host ${s.host})` : "";
    const note = s.cleaned ? " (cleaned up)" : "";
    lines.push(`\t${s.state.padEnd(12)} ${name}${host}${note}`);
  }
  return lines.join("\n") + "\n";
}
