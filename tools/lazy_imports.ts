/**
 * The bundle's `node:` imports, loaded when the module that uses them is, not at start.
 *
 * `deno bundle` keeps each module that main.ts imports lazily (a command) as a lazily
 * initialised `var init_x = __esm({ "lib/x.ts"() { ... } })`, but hoists that module's
 * `import ... from "node:..."` to the top level of the one file, where every one of them is
 * loaded before main runs: `--version` paid for node:net, node:crypto, node:child_process and
 * the hundred-odd polyfill modules behind them (seconds under emulation). Each such import is
 * turned into a `var` at the top level, assigned from `require` at the start of its module's
 * init function; an import of a module that is not lazily initialised is left as it is.
 * `require` itself is made on its first call: node:module (like any use of `process`) sets up
 * Deno's whole node compatibility layer, which `--version` and `--help` do without.
 */

const IMPORT = /^import (.+) from "(node:[^"]+)";$/;
const INIT = /^(?:var .*\b)?init_[\w$]+ = __esm\(\{$/;

/** `text` with the `node:` imports of lazily initialised modules moved into their init. */
export function deferNodeImports(text: string): string {
  const lines = _lazyRequire(text).split("\n");
  const moved = new Map<number, string[]>();
  for (let i = 0; i < lines.length; i++) {
    const m = IMPORT.exec(lines[i]!);
    if (!m || m[2] === "node:module") continue;
    const bindings = _bindings(m[1]!);
    if (!bindings) continue;
    const init = _initOf(lines, i);
    if (init === undefined) continue;
    lines[i] = `var ${bindings.names.join(", ")};`;
    const assign = bindings.assign(`__require("${m[2]}")`);
    moved.set(init, [...(moved.get(init) ?? []), assign]);
  }
  return lines.flatMap((line, i) => [line, ...(moved.get(i) ?? []).map((a) => `    ${a}`)])
    .join("\n");
}

const REQUIRE_PROLOGUE =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);\n";

/** The bundle's `__require`, made when first called. */
function _lazyRequire(text: string): string {
  if (!text.includes(REQUIRE_PROLOGUE)) return text;
  return text.replace(
    REQUIRE_PROLOGUE,
    "var __deno_internal_require;\n" +
      "var __require = (id) => (__deno_internal_require ??= globalThis.process\n" +
      '  .getBuiltinModule("node:module").createRequire(import.meta.url))(id);\n',
  );
}

/**
 * The line that opens the init function of the module whose import is at `at`; undefined
 * when another module (or a top-level comment) comes first: the module is not lazy.
 */
function _initOf(lines: readonly string[], at: number): number | undefined {
  for (let i = at + 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    if (line.startsWith("// ")) return undefined;
    if (INIT.test(line) && /^ {2}"[^"]+"\(\) \{$/.test(lines[i + 1]!)) return i + 1;
  }
  return undefined;
}

/** The names an import clause binds, and the statement that assigns them from a module. */
function _bindings(
  clause: string,
): { names: string[]; assign: (mod: string) => string } | undefined {
  const m = /^(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\* as ([\w$]+))?$/.exec(clause.trim());
  if (!m) return undefined;
  const [, def, named, ns] = m;
  const pairs = (named ?? "").split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const [from, as] = s.split(/\s+as\s+/);
    return { from: from!, as: as ?? from! };
  });
  const names = [...(def ? [def] : []), ...(ns ? [ns] : []), ...pairs.map((p) => p.as)];
  if (!names.length) return undefined;
  return {
    names,
    assign: (mod) => {
      const parts: string[] = [];
      if (def || ns) parts.push(`${def ?? ns} = ${mod};`);
      if (pairs.length) {
        const src = def || ns ? (def ?? ns)! : mod;
        parts.push(`({ ${pairs.map((p) => `${p.from}: ${p.as}`).join(", ")} } = ${src});`);
      }
      return parts.join(" ");
    },
  };
}
