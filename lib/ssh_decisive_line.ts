/**
 * The line of ssh's stderr that says why it failed. Its last line is often only the
 * consequence: through a jump host, "Host key verification failed." comes before
 * "Connection closed by UNKNOWN port 65535"; a summary keeps the cause.
 */

/** OpenSSH's words for why a connection or login failed (ssh.c, sshconnect*.c). */
const _DECISIVE: readonly RegExp[] = [
  /Host key verification failed/,
  /REMOTE HOST IDENTIFICATION HAS CHANGED/,
  /Permission denied \(/,
  /Too many authentication failures/,
  /Could not resolve hostname/,
  /connect to host .* port .*:/,
  /Unable to negotiate with/,
  /no matching .* found/,
  /Bad owner or permissions on/,
  /UNPROTECTED PRIVATE KEY FILE/,
  /open failed:/,
  /stdio forwarding failed/,
  /Connection (refused|timed out)|No route to host|Network is unreachable/,
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
    if (_DECISIVE.some((re) => re.test(lines[i]!))) return lines[i];
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!_CONSEQUENCE.some((re) => re.test(lines[i]!))) return lines[i];
  }
  return lines.at(-1);
}
