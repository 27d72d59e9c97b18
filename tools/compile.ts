/**
 * `deno task compile`: build the self-contained binaries of every target into dist/, named as
 * the release assets are (dist/sockhop-linux-x64, ...). `deno task compile linux-x64` builds
 * one. Needs the denort base binary of each target (downloaded by deno, or DENORT_BIN); without
 * it, one line says so. A full deno binary cannot stand in for denort (only denort looks for an
 * embedded program: the result would run as plain deno), so the binaries are run only by the
 * release workflow.
 *
 * Each binary embeds dist/sockhop.js, the one-file bundle (tools/bundle.ts), and nothing else:
 * the very file the suite runs with SOCKHOP_BIN=dist/sockhop.js, with no node_modules in it.
 * Embedded, as deno compile reports it: main.ts with the node_modules dir 5.1 MB (@types
 * included), with --node-modules-dir=none --exclude-unused-npm 3.0 MB (all of ssh2's package
 * and its build-only dependencies), the bundle 0.85 MB. --no-config, --no-npm and --no-remote
 * make a bundle that still named a package fail here rather than embed or fetch it.
 */

import { safeText } from "../lib/safe_text.ts";
import { bundle } from "./bundle.ts";

export const TARGETS: Readonly<Record<string, string>> = Object.freeze({
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
});

/**
 * One line for a failed `deno compile` of `target` from what it wrote to stderr: what is
 * missing and how to give it when the denort runtime could not be had (no network; deno's
 * own message is a Rust error chain with a backtrace), else deno's own first error line.
 */
export function compileFailure(stderr: string, target: string, output: string): string {
  // deno colours its output and numbers the causes of its error.
  const lines = safeText(stderr).split("\n").map((l) => l.trim());
  const error = lines.find((l) => l.startsWith("error:"))?.slice(6).trim();
  const url = stderr.match(/https?:\/\/\S*denort\S*?\.zip/)?.[0];
  if (url || lines.some((l) => /Setting up base binary/.test(l))) {
    const from = lines.indexOf("Caused by:") + 1;
    const to = lines.indexOf("", from);
    const causes = from ? lines.slice(from, to < 0 ? undefined : to) : [];
    const last = causes.at(-1)?.replace(/^\d+: /, "");
    const reason = last ?? error ?? "no reason given";
    return `Cannot compile ${output}: the denort runtime for ${target} could not be downloaded${
      url ? ` from ${url}` : ""
    } (${reason}): set DENORT_BIN to a local denort of that target (a full deno binary will not do)`;
  }
  return `Cannot compile ${output}: ${
    error ?? (lines.filter(Boolean).at(-1) || "deno compile failed")
  }`;
}

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
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
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
      // No backtrace in what a person reads: the failure is told in one line below.
      env: { RUST_BACKTRACE: "0" },
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code === 0) continue;
    failed++;
    const line = compileFailure(new TextDecoder().decode(stderr), TARGETS[name]!, output);
    console.error(line);
    // Every other target would fail the same way.
    if (line.includes("DENORT_BIN")) Deno.exit(1);
  }
  if (failed) Deno.exit(1);
}
