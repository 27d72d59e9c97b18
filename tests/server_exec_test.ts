import assert from "node:assert/strict";
import { parseExecCommand } from "../lib/server_exec.ts";
import { DEFAULT_REMOTE_SOCKHOP, remoteCommand } from "../lib/remote_command.ts";

Deno.test("server exec: our commands and xpra's are recognised, anything else refused", () => {
  assert.deepEqual(parseExecCommand("sockhop _proxy db"), { name: "db", kind: "sockhop" });
  assert.deepEqual(parseExecCommand("/usr/local/bin/sockhop _proxy db"), {
    name: "db",
    kind: "sockhop",
  });
  assert.deepEqual(parseExecCommand("sockhop _proxy"), { name: "", kind: "sockhop" });
  assert.deepEqual(parseExecCommand(remoteCommand(DEFAULT_REMOTE_SOCKHOP, "pg")), {
    name: "pg",
    kind: "sockhop",
  });
  assert.deepEqual(parseExecCommand(remoteCommand(["/opt/x/sockhop"], ":100")), {
    name: ":100",
    kind: "sockhop",
  });
  assert.deepEqual(parseExecCommand("xpra _proxy :100"), { name: ":100", kind: "xpra" });
  assert.deepEqual(parseExecCommand("xpra _proxy 100"), { name: ":100", kind: "xpra" });
  const xpra31 =
    `sh -c 'xpra initenv;if [ -x $XDG_RUNTIME_DIR/xpra/run-xpra ]; then $XDG_RUNTIME_DIR/xpra/run-xpra _proxy ":100";elif which "xpra" > /dev/null 2>&1; then xpra _proxy ":100";else echo "no run-xpra command found"; exit 1; fi'`;
  assert.deepEqual(parseExecCommand(xpra31), { name: ":100", kind: "xpra" });
  const xpra6 =
    `sh -c 'if command -v "xpra" >/dev/null 2>&1; then xpra _proxy :7 --socket-dirs=/run/user/1000/xpra; else echo "no xpra command found"; exit 1; fi'`;
  assert.deepEqual(parseExecCommand(xpra6), { name: ":7", kind: "xpra" });
  for (
    const bad of [
      "sh",
      "cat /etc/passwd",
      "sockhop _proxy db; rm -rf /",
      "sockhop serve x exec:sh",
      "bash -c 'sockhop _proxy x'",
      "sockhop _proxy ../x",
      "evil _proxy x",
    ]
  ) {
    assert.equal(parseExecCommand(bad), undefined, bad);
  }
});
