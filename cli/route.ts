/**
 * The options connect and forward share, as a flag table; lib/route.ts resolves what they say.
 * -F -i -o -J -p -l mean what they mean to ssh.
 */

import type { ParseArgsConfig } from "node:util";
import type { ArgOrder, RouteFlags } from "../lib/route.ts";

export const ROUTE_OPTIONS = {
  ssh: { type: "string" },
  "exit-ssh": { type: "string" },
  "remote-sockhop": { type: "string" },
  "remote-socket": { type: "string" },
  "password-file": { type: "string" },
  "host-key": { type: "string" },
  "insecure-accept-any-host-key": { type: "boolean" },
  "print-config": { type: "boolean" },
  "config-file": { type: "string", short: "F" },
  identity: { type: "string", short: "i", multiple: true },
  option: { type: "string", short: "o", multiple: true },
  jump: { type: "string", short: "J" },
  port: { type: "string", short: "p" },
  login: { type: "string", short: "l" },
} as const satisfies Record<keyof RouteFlags, NonNullable<ParseArgsConfig["options"]>[string]>;

/** The order of -i, -o and -J among the parsed options: ssh reads them in that order. */
export function argOrder(
  tokens: readonly { readonly kind: string; readonly name?: string }[],
): ArgOrder {
  const flags = { identity: "i", option: "o", jump: "J" } as const;
  return tokens.flatMap((t) =>
    t.kind === "option" && t.name !== undefined && t.name in flags
      ? [flags[t.name as keyof typeof flags]]
      : []
  );
}
