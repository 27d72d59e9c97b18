/** Which session sockhop ssh opens: pty or not (ssh.c's tty_flag), and the variables sent. */

import assert from "node:assert/strict";
import { sessionEnv, wantsTty } from "../lib/ssh_session_plan.ts";

Deno.test("ssh_session_plan: a pty as ssh.c decides it", () => {
  // [RequestTTY, command?, -n?, stdin a terminal?] -> pty?
  const cases: [Parameters<typeof wantsTty>[0], boolean, boolean, boolean, boolean][] = [
    ["auto", false, false, true, true], // a login shell on a terminal
    ["auto", true, false, true, false], // a command: none
    ["auto", false, false, false, false], // no terminal: none
    ["yes", true, false, true, true], // -t with a command
    ["yes", true, false, false, false], // -t, stdin not a terminal
    ["force", true, false, false, true], // -tt: always (Ansible)
    ["force", true, true, false, true], // -tt -n
    ["yes", true, true, true, false], // -t -n
    ["no", false, false, true, false], // -T
  ];
  for (const [request, command, stdinNull, terminal, want] of cases) {
    assert.equal(
      wantsTty(request, command, stdinNull, terminal),
      want,
      `${request} ${command} ${stdinNull} ${terminal}`,
    );
  }
});

Deno.test("ssh_session_plan: SendEnv patterns pick local variables, SetEnv sets (and wins)", () => {
  const local = { GIT_PROTOCOL: "version=2", LANG: "C", LC_ALL: "C", HOME: "/h", A: "local" };
  assert.deepEqual(sessionEnv(["GIT_PROTOCOL"], [], local), { GIT_PROTOCOL: "version=2" });
  assert.deepEqual(sessionEnv(["LANG", "LC_*"], [], local), { LANG: "C", LC_ALL: "C" });
  assert.deepEqual(sessionEnv(["A"], ["A=set", "B=x=y"], local), { A: "set", B: "x=y" });
  assert.deepEqual(sessionEnv([], [], local), {});
});
