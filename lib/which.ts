/** Finding programs on PATH, as a shell would. */

import { joinPath, pathListSeparator } from "./platform_paths.ts";

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
  // Split as is: an empty entry is the working dir, as in a shell.
  for (const dir of (Deno.env.get("PATH") ?? "").split(pathListSeparator())) {
    for (const ext of exts) {
      const path = joinPath([dir || ".", `${program}${ext}`]);
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
