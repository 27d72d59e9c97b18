/**
 * Certificates ssh would use on its own, which the built-in client cannot (ssh2 has no
 * certificate auth): `KEY-cert.pub` beside an identity file (ssh loads it with the key), and
 * certificates an agent holds. Under --ssh=auto such a route goes to ssh; under native it is
 * refused, naming the certificate.
 */

import { agentSocketPath } from "./agent_path.ts";
import { joinPath } from "./platform_paths.ts";
import type { SshConfig } from "./ssh_config.ts";

/** The identity files ssh tries when none is named, as the built-in client does. */
export const DEFAULT_IDENTITIES = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** The first certificate ssh would offer for this host, described, or undefined. */
export function certificateGap(
  config: SshConfig,
  extraKeys: readonly string[],
  env: { get(key: string): string | undefined },
  home: string,
  listAgent: (path: string) => string[] = agentPublicLines,
): string | undefined {
  const explicit = [...extraKeys, ...config.auth.identityFiles];
  const files = explicit.length
    ? explicit
    : DEFAULT_IDENTITIES.map((k) => joinPath([home, ".ssh", k]));
  for (const file of files) {
    const cert = `${file.replace(/\.pub$/, "")}-cert.pub`;
    if (_isFile(cert)) return `the certificate ${cert} (beside ${file}; certificates)`;
  }
  if (!config.auth.pubkey) return undefined;
  const agent = agentSocketPath(config.auth.identityAgent, env);
  if (!agent) return undefined;
  for (const line of listAgent(agent)) {
    const [type, , ...comment] = line.split(" ");
    if (type?.endsWith("-cert-v01@openssh.com")) {
      return `the certificate ${comment.join(" ") || type} in the agent at ${agent} (certificates)`;
    }
  }
  return undefined;
}

function _isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The agent's keys as `ssh-add -L` lists them; none when it cannot be asked (no ssh-add, no
 * agent). Synchronous, as the route is decided before anything connects.
 */
export function agentPublicLines(path: string): string[] {
  try {
    const out = new Deno.Command("ssh-add", {
      args: ["-L"],
      env: { SSH_AUTH_SOCK: path },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (out.code !== 0) return [];
    return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim());
  } catch {
    // No ssh-add here: nothing known of the agent's certificates.
    return [];
  }
}
