import assert from "node:assert/strict";
import { deferNodeImports } from "../tools/lazy_imports.ts";

const BUNDLE = [
  'import { createRequire as __deno_internal_createRequire } from "node:module";',
  "var __require = __deno_internal_createRequire(import.meta.url);",
  "",
  "// lib/eager.ts",
  'import { posix } from "node:path";',
  "function eager() { return posix.sep; }",
  "",
  "// lib/lazy.ts",
  'import net from "node:net";',
  'import { createHash, randomBytes as randomBytes2 } from "node:crypto";',
  'import * as util from "node:util";',
  "function lazy() { return [net, createHash, randomBytes2, util]; }",
  "var LIMIT, init_lazy = __esm({",
  '  "lib/lazy.ts"() {',
  "    LIMIT = 1;",
  "  }",
  "});",
].join("\n");

Deno.test("lazy imports: a lazily initialised module's node: imports move into its init", () => {
  const out = deferNodeImports(BUNDLE);
  assert.doesNotMatch(out, /from "node:module"/);
  assert.match(out, /__deno_internal_require \?\?= globalThis\.process/);
  // Not lazy: left as it is.
  assert.match(out, /^import \{ posix \} from "node:path";$/m);
  assert.match(out, /^var net;$/m);
  assert.match(out, /^var createHash, randomBytes2;$/m);
  assert.match(out, /^var util;$/m);
  const init = out.slice(out.indexOf('"lib/lazy.ts"() {'));
  assert.match(init, /net = __require\("node:net"\);/);
  assert.match(
    init,
    /\(\{ createHash: createHash, randomBytes: randomBytes2 \} = __require\("node:crypto"\)\);/,
  );
  assert.match(init, /util = __require\("node:util"\);/);
  assert.ok(init.indexOf("__require") < init.indexOf("LIMIT = 1"), "before the module's own code");
});
