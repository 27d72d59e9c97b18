/** Finding programs on PATH, as a shell would. */

/** The full path of `program` on PATH (or the path itself when it has a slash), if it exists. */
export function findProgram(program: string): string | undefined {
  if (program.includes("/") || program.includes("\\")) {
    try {
      return Deno.statSync(program).isFile ? program : undefined;
    } catch {
      return undefined;
    }
  }
  const windows = Deno.build.os === "windows";
  const exts = windows ? ["", ".exe", ".cmd"] : [""];
  for (const dir of (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":")) {
    for (const ext of exts) {
      const path = `${dir || "."}/${program}${ext}`;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
