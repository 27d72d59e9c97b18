/** Where the ssh-agent is for a host: IdentityAgent, else SSH_AUTH_SOCK (Windows: its pipe). */

import type { SshConfig } from "./ssh_config.ts";

export function agentPath(
  config: SshConfig,
  env: { get(key: string): string | undefined },
): string | undefined {
  const a = config.auth.identityAgent;
  if (a === "none") return undefined;
  if (a === "SSH_AUTH_SOCK") {
    return env.get("SSH_AUTH_SOCK") ||
      (Deno.build.os === "windows" ? "\\\\.\\pipe\\openssh-ssh-agent" : undefined);
  }
  if (a.startsWith("$")) return env.get(a.slice(1)) || undefined;
  return a;
}
