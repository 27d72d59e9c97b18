/** What every ssh2 session channel of the built-in client needs, in one place. */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";

/**
 * Keep a session channel open until the server closes it (or the caller does). Node destroys a
 * duplex once it has ended both ways, and ssh2's Channel#destroy sends CHANNEL_CLOSE: our EOF
 * and the server's would close the channel before the exit status, which asyncssh, paramiko,
 * Go's and libssh's servers send after their EOF, and then drop. Call it in the request's
 * callback, before anything else is read.
 */
export function keepUntilClosed(channel: ssh2.ClientChannel): void {
  const states = channel as unknown as {
    _readableState?: { autoDestroy: boolean };
    _writableState?: { autoDestroy: boolean };
  };
  if (states._readableState) states._readableState.autoDestroy = false;
  if (states._writableState) states._writableState.autoDestroy = false;
}
