/** Where an agent socket setting points: IdentityAgent's and ForwardAgent's grammar. */

/**
 * `SSH_AUTH_SOCK` (that variable, or Windows' OpenSSH agent pipe), `$VAR`, `none`, or a path
 * as written. Undefined when there is no agent to use.
 */
export function agentSocketPath(
  spec: string,
  env: { get(key: string): string | undefined },
  os: typeof Deno.build.os = Deno.build.os,
): string | undefined {
  if (spec === "none") return undefined;
  if (spec === "SSH_AUTH_SOCK") {
    return env.get("SSH_AUTH_SOCK") ||
      (os === "windows" ? "\\\\.\\pipe\\openssh-ssh-agent" : undefined);
  }
  if (spec.startsWith("$")) return env.get(spec.slice(1)) || undefined;
  return spec;
}
