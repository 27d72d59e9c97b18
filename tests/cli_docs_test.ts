/**
 * --help, shell completion and the man page say the same as the flag tables the commands
 * parse with; completion works in the real shells; mistyped words get a "did you mean".
 */

import assert from "node:assert/strict";
import { COMMON_OPTIONS } from "../cli/common.ts";
import { COMMANDS, type OptionTable, publicCommands } from "../cli/commands.ts";
import { commandSpecs } from "../cli/command_specs.ts";
import { completionScript, type Shell } from "../lib/completion.ts";
import { helpEntries } from "../lib/help_entries.ts";
import { HELP } from "../lib/usage.ts";
import { closest } from "../lib/suggest.ts";
import { runSockhop, tempDir } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("every flag a command parses is in its --help, and every flag --help names is parsed", async () => {
  for (const name of publicCommands()) {
    const { options = {}, letters } = await COMMANDS[name]!();
    if (letters !== undefined) {
      // A grammar of its own (ssh's): every flag its help names is one of its letters.
      for (const flag of helpEntries(HELP[name] ?? "").flatMap((e) => e.flags)) {
        assert(
          flag === "--help" || (flag.length === 2 && letters.includes(flag[1]!)),
          `${name} --help names ${flag}, which it does not take`,
        );
      }
      continue;
    }
    const table: OptionTable = { ...COMMON_OPTIONS, ...options };
    const parsed = new Set(
      Object.entries(table).flatMap((
        [long, o],
      ) => [`--${long}`, ...(o.short ? [`-${o.short}`] : [])]),
    );
    const helped = helpEntries(HELP[name] ?? "").flatMap((e) => e.flags);
    for (const flag of helped) {
      assert(parsed.has(flag), `${name} --help names ${flag}, which it does not parse`);
    }
    for (const [long, o] of Object.entries(table)) {
      const text = HELP[name] ?? "";
      assert(
        text.includes(`--${long}`) || (o.short !== undefined && helped.includes(`-${o.short}`)),
        `${name} parses --${long}, which its --help does not show`,
      );
    }
  }
});

Deno.test("the man page and every completion script carry every flag of every command", async () => {
  const specs = await commandSpecs();
  const scripts = (["bash", "zsh", "fish", "powershell"] as Shell[]).map((s) =>
    completionScript(s, specs)
  );
  const man = (await runSockhop(["man"])).stdout;
  for (const c of specs) {
    for (const f of c.flags) {
      for (const n of f.names) {
        for (const script of scripts) {
          const spelled = script.startsWith("# fish")
            ? (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)
            : n;
          assert(script.includes(spelled), `${c.name} ${n} missing from a completion script`);
        }
        assert(
          decode(man).includes(n.replaceAll("-", "\\-")),
          `${c.name} ${n} missing from the man page`,
        );
      }
    }
  }
});

Deno.test("the man page renders with groff without a warning", async () => {
  if (!requirePeer("groff")) return;
  const man = (await runSockhop(["man"])).stdout;
  const child = new Deno.Command("groff", {
    args: ["-man", "-Tutf8", "-ww", "-z"],
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(man);
  await w.close();
  const out = await child.output();
  // Only line-adjustment notes are allowed: long URLs cannot be justified.
  const warnings = decode(out.stderr).split("\n").filter((l) =>
    l && !/cannot adjust line|cannot break line/.test(l)
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(out.code, 0);
});

async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_sockhop; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = await new Deno.Command("bash", { args: ["-c", program], stdout: "piped" }).output();
  return decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test("bash completes commands, flags and flag values", async () => {
  if (!requirePeer("bash")) return;
  const script = decode((await runSockhop(["completion", "bash"])).stdout);
  assert.deepEqual(await bashComplete(script, ["sockhop", "li"]), ["list"]);
  assert.deepEqual(await bashComplete(script, ["sockhop", "forward", "--lis"]), ["--listen="]);
  // bash splits --ssh-upgrade=y at "=": the word list it gives the function
  assert.deepEqual(await bashComplete(script, ["sockhop", "serve", "--ssh-upgrade", "=", "y"]), [
    "yes",
  ]);
  assert.deepEqual(await bashComplete(script, ["sockhop", "list", "--j"]), ["--json"]);
});

Deno.test("fish completes commands, flags and flag values", async () => {
  if (!requirePeer("fish")) return;
  await using home = await tempDir();
  const script = `${home}/sockhop.fish`;
  await Deno.writeFile(script, (await runSockhop(["completion", "fish"])).stdout);
  const complete = async (line: string) => {
    const out = await new Deno.Command("fish", {
      args: ["--no-config", "-c", `source ${script}; complete -C '${line}'`],
      env: { HOME: home, XDG_CONFIG_HOME: home },
      stdout: "piped",
    }).output();
    return decode(out.stdout).split("\n").map((l) => l.split("\t")[0]).filter(Boolean);
  };
  assert((await complete("sockhop con")).includes("connect"));
  assert((await complete("sockhop forward --lis")).includes("--listen"));
  assert.deepEqual(await complete("sockhop serve --ssh-upgrade="), [
    "--ssh-upgrade=no",
    "--ssh-upgrade=yes",
  ]);
});

Deno.test("zsh loads the completion function under compinit", async () => {
  if (!requirePeer("zsh")) return;
  await using home = await tempDir();
  await Deno.writeFile(`${home}/_sockhop`, (await runSockhop(["completion", "zsh"])).stdout);
  const out = await new Deno.Command("zsh", {
    args: [
      "-f",
      "-c",
      `fpath=(${home} $fpath); autoload -U compinit; compinit -u -d ${home}/.zcompdump; print -r -- $_comps[sockhop]`,
    ],
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.deepEqual(decode(out.stderr), "");
  assert.deepEqual(decode(out.stdout).trim(), "_sockhop");
});

Deno.test("a mistyped option, command or backend is answered with the one meant, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["forward", "--lisen=tcp:1"], /Unknown option --lisen: did you mean --listen\?/],
    [["list", "--jsno"], /did you mean --json\?/],
    [
      ["forward", "ssh://h/x", "-L", "5432"],
      /-L, -R and -D are not sockhop's; sockhop forward URL --listen=tcp:PORT/,
    ],
    [["connect", "-L5432:/s", "ssh://h/x"], /Unknown option -L: ssh.s -L, -R and -D/],
    [["connect", "-i"], /-i needs a value: -i VALUE/],
    [["list", "--json=yes"], /--json takes no value/],
    [["lsit"], /Unknown command "lsit": did you mean list\?/],
    [["connect", "--ssh=opnessh", "ssh://h/x"], /--ssh=opnessh: did you mean --ssh=openssh\?/],
  ];
  for (const [args, expected] of cases) {
    const r = await runSockhop(args);
    assert.deepEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert(!r.stderr.includes(`'-- "`), "Node's own wording leaked");
  }
});

Deno.test("-V and --version print the version", async () => {
  for (const flag of ["-V", "--version"]) {
    const r = await runSockhop([flag]);
    assert.deepEqual(r.code, 0);
    assert.match(decode(r.stdout), /^sockhop \d+\.\d+\.\d+\n$/);
  }
});

Deno.test("closest: slips of the keyboard, not guesses", () => {
  assert.deepEqual(closest("opnessh", ["openssh", "native"]), "openssh");
  assert.deepEqual(closest("--lis", ["--listen", "--json"]), "--listen");
  assert.deepEqual(closest("xyz", ["openssh", "native"]), undefined);
  assert.deepEqual(closest("ab", ["ac", "ad"]), undefined);
});
