/** How a ProxyCommand is run (lib/native_proxy_command.ts): its tokens and its shell. */

import assert from "node:assert/strict";
import { proxyCommandArgv } from "../lib/native_proxy_command.ts";
import { resolveSshConfig } from "../lib/ssh_config.ts";

Deno.test("native_proxy_command: %h %p %r %n %% expanded, run by $SHELL -c exec, or cmd.exe /c", () => {
  const { config } = resolveSshConfig({
    host: "alias",
    configFile: "none",
    options: ["HostName real.example", "User u", "Port 2022", "ProxyCommand nc -X %% %h %p %r %n"],
    env: { home: "/home/me", localUser: "me", localHost: "here" },
  });
  const env = { get: (k: string) => ({ SHELL: "/bin/bash", ComSpec: "C:\\cmd.exe" })[k] };
  assert.deepEqual(proxyCommandArgv(config, env, "linux"), [
    "/bin/bash",
    "-c",
    "exec nc -X % real.example 2022 u alias",
  ]);
  assert.deepEqual(proxyCommandArgv(config, env, "windows"), [
    "C:\\cmd.exe",
    "/d",
    "/s",
    "/c",
    '"nc -X % real.example 2022 u alias"',
  ]);
  assert.equal(proxyCommandArgv(config, { get: () => undefined }, "linux")[0], "/bin/sh");
});
