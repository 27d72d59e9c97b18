/**
 * `deno task compile`: build the self-contained binaries of every target into dist/.
 * `deno task compile linux-x64` builds one. Needs the denort base binary of each target
 * (downloaded by deno, or DENORT_BIN).
 */

const TARGETS: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
};

const wanted = Deno.args.length ? Deno.args : Object.keys(TARGETS);
let failed = 0;
for (const name of wanted) {
  const target = TARGETS[name];
  if (!target) {
    console.error(`Unknown target ${name}: use ${Object.keys(TARGETS).join(", ")}`);
    Deno.exit(2);
  }
  const output = `dist/sockhop-${name}${name.startsWith("windows") ? ".exe" : ""}`;
  console.error(`compiling ${output} (${target})`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--allow-all",
      "--no-prompt",
      "--exclude-unused-npm",
      "--target",
      target,
      "--output",
      output,
      "main.ts",
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
