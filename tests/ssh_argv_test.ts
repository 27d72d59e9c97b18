/** sockhop ssh's grammar (cli/ssh_argv.ts); ssh_argv_diff_test.ts holds it against ssh -G. */

import assert from "node:assert/strict";
import { parseSshArgv } from "../cli/ssh_argv.ts";

Deno.test("ssh_argv: BSD getopt as ssh's, options after the destination, the command's words", () => {
  const p = parseSshArgv(["-p", "22", "host", "-l", "u", "echo", "-l", "x"]);
  assert.equal(p.destination, "host");
  assert.deepEqual(p.command, ["echo", "-l", "x"]);
  assert.deepEqual(p.items.filter((i) => "letter" in i).map((i) => "letter" in i && i.letter), [
    "p",
    "l",
  ]);
  // `--` before the destination: nothing after it is an option.
  assert.deepEqual(parseSshArgv(["--", "host", "-v"]).command, ["-v"]);
  // `--` after it ends the options there.
  assert.deepEqual(parseSshArgv(["host", "--", "-v"]).command, ["-v"]);
  // Clusters, attached and detached arguments, `-o` in one word.
  const c = parseSshArgv(["-vTp2222", "-oPort=1", "-o", "User x", "h"]);
  assert.deepEqual(c.items.slice(0, 5), [
    { letter: "v" },
    { letter: "T" },
    { letter: "p", arg: "2222" },
    { letter: "o", arg: "Port=1" },
    { letter: "o", arg: "User x" },
  ]);
});
