/**
 * The line of ssh's stderr that says why it failed. Its last line is often only the
 * consequence: through a jump host, "Host key verification failed." comes before
 * "Connection closed by UNKNOWN port 65535"; a summary keeps the cause.
 */

import type { ErrorCode } from "./errors.ts";

/**
 * OpenSSH's words for why a connection or login failed (ssh.c, sshconnect*.c), and plink's
 * (PuTTY's ssh.c, console.c), with the code of those a retry cannot mend: the login or the
 * host key needs the user. The first row that matches any line gives the code, so a changed
 * key is told from the "Host key verification failed." that follows it.
 */
const _DECISIVE: readonly { readonly re: RegExp; readonly code?: ErrorCode }[] = [
  { re: /REMOTE HOST IDENTIFICATION HAS CHANGED/, code: "host-key-changed" },
  { re: /Host key does not match|host key does not match the one/i, code: "host-key-changed" },
  { re: /host key is known for .* you have requested strict/, code: "host-key-unknown" },
  { re: /host key is not cached/i, code: "host-key-unknown" },
  { re: /Host key verification failed/, code: "host-key" },
  { re: /Host key did not appear in manually configured list/, code: "host-key" },
  { re: /Permission denied \(/, code: "auth-failed" },
  { re: /Too many authentication failures/, code: "auth-failed" },
  { re: /No supported authentication methods/, code: "auth-failed" },
  { re: /Server refused our key/, code: "auth-failed" },
  { re: /Could not resolve hostname/ },
  { re: /connect to host .* port .*:/ },
  { re: /Unable to negotiate with/ },
  { re: /no matching .* found/ },
  { re: /Bad owner or permissions on/ },
  { re: /UNPROTECTED PRIVATE KEY FILE/ },
  { re: /open failed:/ },
  { re: /stdio forwarding failed/ },
  { re: /Connection (refused|timed out)|No route to host|Network is unreachable/ },
];

/** What ssh says when a connection ends, whatever the cause. */
const _CONSEQUENCE: readonly RegExp[] = [
  /^Connection closed by /,
  /^Connection reset by /,
  /^Connection to .* closed/,
  /^Killed by signal/,
  /^kex_exchange_identification: (Connection closed|read: Connection reset)/,
];

/** The last decisive line of `lines`, else the last that is not only a consequence. */
export function decisiveLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (_DECISIVE.some((row) => row.re.test(lines[i]!))) return lines[i];
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!_CONSEQUENCE.some((re) => re.test(lines[i]!))) return lines[i];
  }
  return lines.at(-1);
}

/**
 * The code of ssh's (or plink's) failure when its words say the user must act (a refused
 * login, a host key unknown or changed), else undefined: trying again would fail the same.
 */
export function decisiveCode(lines: readonly string[]): ErrorCode | undefined {
  for (const row of _DECISIVE) {
    if (row.code && lines.some((line) => row.re.test(line))) return row.code;
  }
  return undefined;
}
