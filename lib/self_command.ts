/** The command line that runs this sockhop again (a detached serve, a remote start). */

import { fileURLToPath } from "node:url";

/**
 * A compiled sockhop is its own program; from source or a bundle, `deno run` of the same main
 * module, with every permission (the new process does what this one may do, and more kinds of
 * target than this one used).
 */
export function selfArgv(): string[] {
  const exec = Deno.execPath();
  if (Deno.build.standalone) return [exec];
  const main = Deno.mainModule.startsWith("file:")
    ? fileURLToPath(Deno.mainModule)
    : Deno.mainModule;
  const config = /\.[cm]?js$/.test(main) ? ["--no-config"] : [];
  return [exec, "run", "-A", "--quiet", ...config, main];
}
