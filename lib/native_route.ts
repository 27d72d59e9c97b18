/**
 * Where the built-in client goes: the hops as the user named them and what each needs. Kept
 * apart from the client itself so that resolving and printing a route does not load ssh2.
 */

import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt.ts";
import { resolveSshConfig } from "./ssh_config.ts";

/** One hop as the user named it. */
export interface HopSpec {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly key?: string;
  /** A pinned host key fingerprint (`SHA256:...`): that key only, known_hosts aside. */
  readonly hostKey?: string;
}

/** Everything the native client needs to reach the final host. */
export interface NativeRoute {
  readonly target: HopSpec;
  /** Jump hosts, first to last; undefined: the config's ProxyJump decides. */
  readonly jumps?: readonly HopSpec[];
  readonly configFile?: string;
  /** `-o Key=value` lines. */
  readonly options: readonly string[];
  /** `-i` keys. */
  readonly identityFiles: readonly string[];
  readonly insecureAcceptAnyHostKey: boolean;
  readonly prompter: Prompter;
  readonly logger: Logger;
}

/** Resolve the config of one hop, with the route's -o, -F and the spec's own fields. */
export function hopConfig(route: NativeRoute, spec: HopSpec) {
  return resolveSshConfig({
    host: spec.host,
    ...(spec.user ? { user: spec.user } : {}),
    ...(spec.port !== undefined ? { port: spec.port } : {}),
    options: route.options,
    ...(route.configFile !== undefined ? { configFile: route.configFile } : {}),
  });
}

/** Parse `[user@]host[:port]` (a -J or ProxyJump entry). */
export function parseHop(text: string): HopSpec {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.replace(/^ssh:\/\//, ""));
  if (!m) {
    throw new SockhopError(
      `Bad jump host ${JSON.stringify(text)}: write [user@]host[:port]`,
      "usage-jump",
    );
  }
  return {
    host: m[2]!.replace(/^\[|\]$/g, ""),
    ...(m[1] ? { user: m[1] } : {}),
    ...(m[3] ? { port: Number(m[3]) } : {}),
  };
}
