/**
 * `deno task compile`: build the self-contained binaries of every target into dist/, named as
 * the release assets are (dist/sockhop-linux-x64, ...). `deno task compile linux-x64` builds
 * one. Needs the denort base binary of each target (downloaded by deno, or DENORT_BIN).
 *
 * Each binary embeds dist/sockhop.js, the one-file bundle (tools/bundle.ts), and nothing else:
 * the very file the suite runs with SOCKHOP_BIN=dist/sockhop.js, with no node_modules in it.
 * Embedded, as deno compile reports it: main.ts with the node_modules dir 5.1 MB (@types
 * included), with --node-modules-dir=none --exclude-unused-npm 3.0 MB (all of ssh2's package
 * and its build-only dependencies), the bundle 0.85 MB. --no-config, --no-npm and --no-remote
 * make a bundle that still named a package fail here rather than embed or fetch it.
 */

import { bundle } from "./bundle.ts";

export const TARGETS: Readonly<Record<string, string>> = Object.freeze({
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
});

/** The release asset name of a target: sockhop-<platform>, .exe on Windows. */
export function assetName(platform: string): string {
  return `sockhop-${platform}${platform.startsWith("windows") ? ".exe" : ""}`;
}

if (import.meta.main) {
  const wanted = Deno.args.length ? Deno.args : Object.keys(TARGETS);
  for (const name of wanted) {
    if (!TARGETS[name]) {
      console.error(`Unknown target ${name}: use ${Object.keys(TARGETS).join(", ")}`);
      Deno.exit(2);
    }
  }
  await Deno.mkdir("dist", { recursive: true });
  try {
    await bundle("dist/sockhop.js");
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
  let failed = 0;
  for (const name of wanted) {
    const output = `dist/${assetName(name)}`;
    console.error(`compiling ${output} (${TARGETS[name]})`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--no-config",
        "--no-npm",
        "--no-remote",
        "--allow-all",
        "--no-prompt",
        "--target",
        TARGETS[name]!,
        "--output",
        output,
        "dist/sockhop.js",
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) failed++;
  }
  if (failed) {
    console.error(
      `${failed} target(s) failed: deno compile needs each target's denort (network or DENORT_BIN)`,
    );
    Deno.exit(1);
  }
}
