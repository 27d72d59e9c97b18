/** Remote-side helpers for tests over a real sshd on this host (same user, or a test user). */

import { sockhopArgv } from "./_cli.ts";

/**
 * A `--remote-sockhop` wrapper: runs the sockhop under test (from source, or SOCKHOP_BIN's
 * artifact) with the test's own socket dir, as an installed `sockhop` would run on the remote
 * host.
 */
export async function sockhopWrapper(dir: string, socketDir: string): Promise<string> {
  const path = `${dir}/remote-sockhop`;
  const denoDir = Deno.env.get("DENO_DIR");
  await Deno.writeTextFile(
    path,
    [
      "#!/bin/sh",
      `SOCKHOP_SOCKET_DIRS='${socketDir}'`,
      `SOCKHOP_XPRA_DIRS='${socketDir}/xpra'`,
      "export SOCKHOP_SOCKET_DIRS SOCKHOP_XPRA_DIRS",
      ...(denoDir ? [`DENO_DIR='${denoDir}'`, "export DENO_DIR"] : []),
      `exec ${sockhopArgv().map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ")} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return path;
}

/**
 * A stand-in for the remote sockhop that needs no session: prints the OK marker and then runs
 * `command` as the stream (e.g. `sha256sum`). For tests of logins as another user. It speaks
 * no `_proxy --mux` and says so as a sockhop without it would: forward then opens a channel per
 * tunnel.
 */
export async function markerWrapper(dir: string, command: string): Promise<string> {
  const path = `${dir}/remote-${command.replace(/\W+/g, "_")}`;
  const noMux = `if [ "$2" = --mux ]; then echo "sockhop: Unknown option '--mux'" >&2; exit 2; fi`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${noMux}\necho 'SOCKHOP/1 OK'\nexec ${command}\n`, {
    mode: 0o755,
  });
  await Deno.chmod(path, 0o755);
  return path;
}

/** The `--ssh=` value: the harness's ssh words quoted for sockhop's shell-like split. */
export function sshOption(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
}

/** The command lines of all processes, to check that no password shows up in any. */
export function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      lines.push(Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " "));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}
