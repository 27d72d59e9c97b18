/** What the docs promise about running the tests, checked against what CI does. */

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("readme: the tests' apt-get line (docs/testing.md) lists every package .ci/run installs", async () => {
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  const readme = await Deno.readTextFile(new URL("docs/testing.md", root));
  // `for pair in BIN:PACKAGE ...; do` and `need_apt+=(PACKAGE)`.
  const pairs = /for pair in ([^;]+);/.exec(ci)?.[1] ?? "";
  const wanted = new Set([
    ...pairs.split(/\s+/).filter((w) => w.includes(":")).map((w) => w.split(":")[1]!),
    ...[...ci.matchAll(/need_apt\+=\(([a-z0-9.+-]+)\)/g)].map((m) => m[1]!),
  ]);
  assert.ok(wanted.size >= 10, `.ci/run no longer reads as expected: ${[...wanted]}`);
  const line = /apt-get install ((?:[^\n]*\\\n)*[^\n]*)/.exec(readme)?.[1] ?? "";
  const listed = new Set(line.split(/[\s\\`;]+/).filter(Boolean));
  assert.deepEqual([...wanted].filter((p) => !listed.has(p)), []);
});
