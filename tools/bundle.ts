/**
 * `deno task bundle`: write dist/sockhop.js, the whole of sockhop (ssh2 included) in one file
 * that `deno run -A dist/sockhop.js ARGS` runs with no network and an empty DENO_DIR: for a
 * machine with deno but no registry, or a USB stick without exec bits.
 * `deno task bundle OUT.js` writes it elsewhere.
 *
 * - No code splitting: the commands main.ts imports lazily stay in the one file as lazily
 *   initialised modules, so `_proxy` still never evaluates ssh2 and only pays for reading the
 *   larger file (hyperfine on a 2-core VM, `_proxy` of a missing session: 37 ms from source,
 *   44 ms bundled; a bundled `connect --ssh=native`, which loads ssh2, 68 ms to its error).
 * - ssh2's optional native addons stay out: ssh2 `require`s `cpu-features`
 *   (lib/protocol/constants.js) and `crypto/build/Release/sshcrypto.node`
 *   (lib/protocol/crypto.js) inside try/catch and runs its pure-JS path without them (Deno
 *   cannot load these nan addons anyway), so they are external and that require fails.
 * - The `node:` imports of those lazily initialised modules are loaded with them, not at start
 *   (lazy_imports.ts): `--version` loads no node: module but node:module, `list` no ssh2.
 * - Not minified: an internal error's stack must stay readable in a bug report.
 */

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "../lib/version.ts";
import { deferNodeImports } from "./lazy_imports.ts";

/** Modules the bundle may leave to a `require` at run time: ssh2's optional native addons. */
export const OPTIONAL_EXTERNALS: readonly string[] = Object.freeze([
  "cpu-features",
  "./crypto/build/Release/sshcrypto.node",
]);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundle main.ts into `output`; throws with deno bundle's own message when it fails. */
export async function bundle(output: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=deno",
      "--packages=bundle",
      "--external=cpu-features",
      "--external=*.node",
      `--output=${output}`,
      "main.ts",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr).trim();
  if (out.code !== 0) throw new Error(`deno bundle failed (exit ${out.code}): ${said}`);
  const text = await Deno.readTextFile(output);
  const strays = externalsIn(text).filter((s) => !OPTIONAL_EXTERNALS.includes(s));
  if (strays.length) {
    throw new Error(
      `The bundle still loads ${
        strays.join(", ")
      } at run time: bundle it or add it to OPTIONAL_EXTERNALS if it is optional`,
    );
  }
  // A shebang for a copy that keeps its exec bit; `deno run -A sockhop.js` works everywhere.
  // ssh2's CommonJS code reads __dirname as it loads (lib/agent.js, for its pagent.exe path),
  // which an ES module does not have: give it the bundle's own.
  const head = [
    "#!/usr/bin/env -S deno run -A",
    `// sockhop ${VERSION}, one file: deno run -A ${output.split(/[\\/]/).pop()} --help`,
    "var __dirname = import.meta.dirname, __filename = import.meta.filename;",
    "",
  ].join("\n");
  await Deno.writeTextFile(output, head + deferNodeImports(text.replace(/^#!.*\n/, "")), {
    mode: 0o755,
  });
  await Deno.chmod(output, 0o755).catch((err) => {
    // Windows and FAT have no exec bit; the file is run through `deno run` there.
    if (!(err instanceof Deno.errors.NotSupported)) throw err;
  });
}

/** Every module the bundle would fetch or require at run time that is not a node: built-in. */
export function externalsIn(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\b__require\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s[^;]*?\sfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      if (!m[1]!.startsWith("node:")) found.add(m[1]!);
    }
  }
  return [...found].sort();
}

if (import.meta.main) {
  const output = resolve(Deno.args[0] ?? `${ROOT}/dist/sockhop.js`);
  await Deno.mkdir(dirname(output), { recursive: true });
  try {
    await bundle(output);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
  const { size } = await Deno.stat(output);
  console.error(`wrote ${output} (${(size / 1024).toFixed(0)} KiB)`);
}
