/**
 * One hop of a route: a host to log in to and what to log in with. A URL's destination and its
 * jump host, a `-J` entry, a `ProxyJump` entry and a connection file's hosts are all hops.
 */

import { UsageError } from "./errors.ts";
import { compact } from "./compact.ts";
import { parseJumpHop } from "./ssh_config_values.ts";

export interface Hop {
  /** The host as the user named it: a name, an address, or an alias of ~/.ssh/config. */
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** A key file named for this hop alone (a URL's `key=`, a connection file's `key`). */
  readonly key?: string;
}

/**
 * Parse one jump host, `[user@]host[:port]` or `ssh://[user@]host[:port]`, with OpenSSH's
 * grammar (ssh_config_values.ts parseJumpHop). `strict` (a -J or a URL's jump host) refuses
 * shell characters in the names, as ssh does for -J; a config's ProxyJump is not strict.
 */
export function parseHop(text: string, strict = true): Hop {
  const hop = parseJumpHop(text, strict);
  if (!hop) {
    throw new UsageError(
      `Bad jump host ${JSON.stringify(text)}: write [user@]host[:port], a port 1-65535`,
    );
  }
  return compact({
    host: hop.host,
    user: hop.user,
    port: hop.port > 0 ? hop.port : undefined,
  });
}

/** A comma-separated list of jump hosts (-J), first to last. */
export function parseHops(list: string): Hop[] {
  return list.split(",").map((h) => parseHop(h));
}
