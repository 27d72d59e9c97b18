/**
 * `%` tokens, `${VAR}` and `~` in ssh_config values, as OpenSSH 9.2 expands them
 * (misc.c percent_expand, dollar_expand, tilde_expand).
 */

import { createHash } from "node:crypto";

/** An expansion OpenSSH refuses, in its words. */
export class ExpandError extends Error {
  override name = "ExpandError";
}

/**
 * Expand `%x` tokens from `tokens` (`%%` is a percent sign) and, with `vars`, `${VAR}`s.
 * Throws ExpandError for an unknown token, a bad `${`, or (with vars) an unset variable.
 */
export function expandTokens(
  text: string,
  tokens: Readonly<Record<string, string>> | undefined,
  vars?: (name: string) => string | undefined,
): string {
  let out = "";
  let missing: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (vars && ch === "$" && text[i + 1] === "{") {
      const end = text.indexOf("}", i + 2);
      if (end < 0) {
        throw new ExpandError(`environment variable '${text.slice(i + 2)}' missing closing '}'`);
      }
      const name = text.slice(i + 2, end);
      if (!name) throw new ExpandError("zero-length environment variable");
      const value = vars(name);
      if (value === undefined) missing ??= name;
      else out += value;
      i = end;
      continue;
    }
    if (ch !== "%" || !tokens) {
      out += ch;
      continue;
    }
    const t = text[++i];
    if (t === "%") out += "%";
    else if (t === undefined) throw new ExpandError("invalid format");
    else if (tokens[t] !== undefined) out += tokens[t];
    else throw new ExpandError(`unknown key %${t}`);
  }
  if (missing !== undefined) throw new ExpandError(`env var \${${missing}} has no value`);
  return out;
}

/** `${VAR}`s only (misc.c dollar_expand). */
export function expandVars(text: string, vars: (name: string) => string | undefined): string {
  return expandTokens(text, undefined, vars);
}

/**
 * misc.c tilde_expand: `~` and `~/...` in `home`, `~user/...` in that user's home, with the
 * slashes after the tilde folded into one.
 */
export function expandTilde(
  path: string,
  home: string,
  lookupHome: (user: string) => string | undefined,
): string {
  if (!path.startsWith("~")) return path;
  const body = path.slice(1);
  let dir: string | undefined;
  let rest: string;
  if (body === "" || body.startsWith("/")) {
    dir = home;
    rest = body.replace(/^\/+/, "");
  } else {
    const slash = body.indexOf("/");
    const user = slash < 0 ? body : body.slice(0, slash);
    rest = slash < 0 ? "" : body.slice(slash + 1).replace(/^\/+/, "");
    dir = lookupHome(user);
    if (dir === undefined) throw new ExpandError(`No such user ${user}`);
  }
  return `${dir}${dir === "" || !dir.endsWith("/") ? "/" : ""}${rest}`;
}

/** The values of OpenSSH's client % tokens (sshconnect.h DEFAULT_CLIENT_PERCENT_EXPAND_ARGS). */
export interface TokenValues {
  /** The local host name, in full (%l; %L is up to the first dot). */
  readonly localHost: string;
  readonly uid: number;
  /** HostKeyAlias, else the host as given (%k). */
  readonly keyAlias: string;
  /** The host as given (%n). */
  readonly originalHost: string;
  readonly port: number;
  readonly home: string;
  /** The host name connected to (%h). */
  readonly host: string;
  readonly user: string;
  readonly localUser: string;
}

/** The token table, %C the hash ssh names a connection by. */
export function clientTokens(v: TokenValues): Record<string, string> {
  const port = String(v.port);
  return {
    C: connectionHash(v.localHost, v.host, port, v.user),
    L: v.localHost.split(".")[0]!,
    i: String(v.uid),
    k: v.keyAlias,
    l: v.localHost,
    n: v.originalHost,
    p: port,
    d: v.home,
    h: v.host,
    r: v.user,
    u: v.localUser,
  };
}

/** readconf.c ssh_connection_hash: SHA-1 of local host, host, port and user, in hex. */
export function connectionHash(
  localHost: string,
  host: string,
  port: string,
  user: string,
): string {
  return createHash("sha1").update(localHost + host + port + user).digest("hex");
}
