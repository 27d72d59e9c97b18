import assert from "node:assert/strict";
import { quoteShellWord, splitShellWords } from "../lib/shell_words.ts";

Deno.test("shell words: split as sh would", () => {
  const cases: [string, string[]][] = [
    ["ssh -x", ["ssh", "-x"]],
    ["  ssh   -o 'ProxyCommand ssh -W %h:%p j'  ", ["ssh", "-o", "ProxyCommand ssh -W %h:%p j"]],
    [`ssh -o "User=a b" x\\ y`, ["ssh", "-o", "User=a b", "x y"]],
    [`a "b\\"c" 'd\\e'`, ["a", 'b"c', "d\\e"]],
    [`a""b ''`, ["ab", ""]],
    [`C:\\\\plink.exe -ssh`, ["C:\\plink.exe", "-ssh"]],
  ];
  for (const [line, want] of cases) assert.deepEqual(splitShellWords(line), want, line);
  assert.throws(() => splitShellWords("ssh 'open"), /Unterminated '/);
  assert.throws(() => splitShellWords('ssh "open'), /Unterminated "/);
});

Deno.test("shell words: quote round-trips through split and through sh", async () => {
  const words = ["plain", "with space", "it's", "$HOME", 'a"b', "", "back\\slash", "*"];
  const line = words.map(quoteShellWord).join(" ");
  assert.deepEqual(splitShellWords(line), words);
  const out = await new Deno.Command("sh", { args: ["-c", `printf '%s\\n' ${line}`] }).output();
  assert.equal(new TextDecoder().decode(out.stdout), words.join("\n") + "\n");
});
