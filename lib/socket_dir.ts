/** The directory session sockets are created in: private to the user (0700). */

import { SockhopError } from "./errors.ts";

/** Create (or check) the first usable dir of `dirs` and return it. */
export function prepareSocketDir(dirs: readonly string[]): string {
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      _ensurePrivate(dir);
      return dir;
    } catch (err) {
      if (err instanceof SockhopError) throw err;
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new SockhopError(
    `No usable socket dir (${problems.join("; ")}): set --socket-dirs to a dir you can write`,
    "socket-dir",
  );
}

function _ensurePrivate(dir: string) {
  if (Deno.build.os === "windows") return;
  const stat = Deno.statSync(dir);
  if (stat.uid !== Deno.uid()) {
    throw new SockhopError(
      `Socket dir ${dir} belongs to another user: use --socket-dirs`,
      "socket-dir",
    );
  }
  if (((stat.mode ?? 0) & 0o077) !== 0) Deno.chmodSync(dir, 0o700);
}
