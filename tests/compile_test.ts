import assert from "node:assert/strict";
import { compileFailure } from "../tools/compile.ts";

// What deno 2.9 writes when dl.deno.land cannot be reached (RUST_BACKTRACE set).
const NO_HOST = [
  "\x1b[0m\x1b[32mCompile\x1b[0m dist/sockhop.js to dist/sockhop-linux-x64",
  "\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
  "\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'dist/sockhop-linux-x64.tmp-8d6fc2be1e043c80'",
  "",
  "Caused by:",
  "    0: Setting up base binary.",
  "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known",
  "    2: client error (Connect)",
  "    3: dns error",
  "    4: failed to lookup address information: Name or service not known",
  "",
  "Stack backtrace:",
  "   0: <unknown>",
].join("\n");

Deno.test("compile: no download host: one line naming the denort runtime and DENORT_BIN", () => {
  const line = compileFailure(NO_HOST, "x86_64-unknown-linux-gnu", "dist/sockhop-linux-x64");
  assert.equal(
    line,
    "Cannot compile dist/sockhop-linux-x64: the denort runtime for x86_64-unknown-linux-gnu could not be downloaded from https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip (failed to lookup address information: Name or service not known): set DENORT_BIN to a local denort of that target (a full deno binary will not do)",
  );
  assert.doesNotMatch(line, /backtrace|\n/i);
});

Deno.test("compile: another failure keeps deno's own error line", () => {
  const line = compileFailure(
    '\x1b[31merror\x1b[0m: Module not found "file:///x.js".\n',
    "aarch64-apple-darwin",
    "dist/sockhop-macos-arm64",
  );
  assert.equal(line, 'Cannot compile dist/sockhop-macos-arm64: Module not found "file:///x.js".');
});
