import assert from "node:assert/strict";
import { parseExecCommand, parseWhichProbe } from "../lib/ssh_server_exec.ts";
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
  // Exactly what Debian's xpra 3.1.3 sends with --ssh=ssh (captured) for `xpra id URL`, where
  // URL is ssh://user@host:port/57, the same with --socket-dir=/x, and ssh://user@host:port/.
  const xpra313 = (a: string) =>
    `sh -c 'xpra initenv;` +
    `if [ -x $XDG_RUNTIME_DIR/xpra/run-xpra ]; then $XDG_RUNTIME_DIR/xpra/run-xpra _proxy${a};` +
    `elif which "xpra" > /dev/null 2>&1; then xpra _proxy${a};` +
    `elif [ -x /usr/local/bin/xpra ]; then /usr/local/bin/xpra _proxy${a};` +
    `elif [ -x ~/.xpra/run-xpra ]; then ~/.xpra/run-xpra _proxy${a};` +
    `else echo "no run-xpra command found"; exit 1; fi'`;
  assert.deepEqual(parseExecCommand(xpra313(' ":57"')), { name: ":57", kind: "xpra" });
  assert.deepEqual(parseExecCommand(xpra313(' ":57" --socket-dir=/x')), {
    name: ":57",
    kind: "xpra",
  });
  assert.deepEqual(parseExecCommand(xpra313("")), { name: "", kind: "xpra" });
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

Deno.test("server exec: xpra's which probes answered as a shell would, nothing else", () => {
  // What xpra 3.1.3's paramiko client sends, one per candidate, before `CANDIDATE _proxy`.
  for (
    const candidate of [
      "$XDG_RUNTIME_DIR/xpra/run-xpra",
      "xpra",
      "/usr/local/bin/xpra",
      "~/.xpra/run-xpra",
    ]
  ) {
    assert.equal(parseWhichProbe(`which ${candidate}`), `${candidate}\n`);
    assert.deepEqual(parseExecCommand(`${candidate} _proxy ":57"`), { name: ":57", kind: "xpra" });
  }
  for (
    const other of [
      "which sh",
      "which",
      "which xpra sh",
      "which xpra; id",
      "which 'xpra;id'",
      "command -v xpra",
      "echo %OS%",
      "type xpra",
    ]
  ) {
    assert.equal(parseWhichProbe(other), undefined, other);
  }
});
