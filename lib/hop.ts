/**
 * One hop of a route: a host to log in to and what to log in with. A URL's destination and its
 * jump host, a `-J` entry, a `ProxyJump` entry and a connection file's hosts are all hops.
 */

import { UsageError } from "./errors.ts";
import { compact } from "./compact.ts";

export interface Hop {
  /** The host as the user named it: a name, an address, or an alias of ~/.ssh/config. */
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** A key file named for this hop alone (a URL's `key=`, a connection file's `key`). */
  readonly key?: string;
}

/** Parse `[user@]host[:port]` (a -J or ProxyJump entry). */
export function parseHop(text: string): Hop {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.replace(/^ssh:\/\//, ""));
  if (!m) {
    throw new UsageError(`Bad jump host ${JSON.stringify(text)}: write [user@]host[:port]`);
  }
  return compact({
    host: m[2]!.replace(/^\[|\]$/g, ""),
    user: m[1] || undefined,
    port: m[3] ? Number(m[3]) : undefined,
  });
}
