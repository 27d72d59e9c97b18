/**
 * The one grammar of session names, for every place a name is written or read: `serve NAME`,
 * a socket's file name, a URL's session, the server's `_proxy NAME`. A name is 1-64 letters,
 * digits, ".", "_", "+", "@" or "-", not starting with "." or "-" (so it is never an option, a
 * hidden file or a path); what a client asks for may also be an xpra display (`:100`).
 */

import { UsageError } from "./errors.ts";

/** A session name, as a regular expression's source. */
export const SESSION_NAME = String.raw`[A-Za-z0-9_][A-Za-z0-9._+@-]{0,63}`;
/** What a client may ask for: a session name or an xpra display. */
export const REMOTE_NAME = String.raw`:?${SESSION_NAME}`;

const _NAME_RE = new RegExp(`^${SESSION_NAME}$`);
const _REMOTE_RE = new RegExp(`^${REMOTE_NAME}$`);
const _DISPLAY_RE = /^:?(\d{1,6})$/;

export function isSessionName(name: string): boolean {
  return _NAME_RE.test(name);
}

/** Throw a usage error unless `name` is a valid session name. */
export function validateSessionName(name: string): string {
  if (!isSessionName(name)) {
    throw new UsageError(
      `Invalid session name ${
        JSON.stringify(name)
      }: use 1-64 letters, digits, ".", "_", "+", "@" or "-", not starting with "." or "-"`,
    );
  }
  return name;
}

/**
 * A name a client asks for: a session, an xpra display (`:100`), or "" for the only one.
 * `local`: the name was given alone (no URL), so HOST/NAME or HOST:NAME is likely a URL meant.
 */
export function validateRemoteName(name: string, local = false): string {
  if (name !== "" && !_REMOTE_RE.test(name)) {
    throw new UsageError(
      `Invalid session name ${JSON.stringify(name)}: use letters, digits, ".", "_", "+", "@", "-"${
        local ? _urlHint(name) : ""
      }`,
    );
  }
  return name;
}

/** What a name that reads as HOST/NAME or HOST:NAME was likely meant to be: a URL. */
function _urlHint(name: string): string {
  const m = /^([^/:\s]+)[/:]([^/:\s]+)$/.exec(name);
  if (!m || !_REMOTE_RE.test(m[2]!)) return "";
  return `; for session ${m[2]} on host ${m[1]}, write ssh://${m[1]}/${m[2]}`;
}

/** The display number of an xpra display name (`:100`, `100`), if it is one. */
export function xpraDisplay(name: string): string | undefined {
  return _DISPLAY_RE.exec(name)?.[1];
}
