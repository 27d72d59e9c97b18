/** What went wrong on the remote side before the marker, as one message: shared by both backends. */

import { SockhopError } from "./errors.ts";
import type { MarkerResult } from "./marker.ts";
import { REMOTE_MISSING_STATUS } from "./remote_command.ts";

/**
 * The error for a marker that was not OK. `status` is the remote exit status; `lastLine` the
 * last line of stderr, if any; `host` names the remote host.
 */
export function remoteFailure(
  marker: Exclude<MarkerResult, { kind: "ok" }>,
  status: number,
  lastLine: string | undefined,
  host: string,
): SockhopError {
  const tail = lastLine ? `: ${lastLine}` : "";
  if (marker.kind === "err") {
    const code = status === REMOTE_MISSING_STATUS ? "remote-missing" : "no-session";
    return new SockhopError(`Remote: ${marker.message}`, code);
  }
  if (marker.kind === "too-much-noise") {
    return new SockhopError(
      "The remote login printed more than 4 MiB without sockhop's marker: check the remote shell start-up files",
      "no-marker",
    );
  }
  if (status === REMOTE_MISSING_STATUS) {
    return new SockhopError(
      `sockhop was not found on ${host} (exit 127${tail}): install it there or name it with --remote-sockhop`,
      "remote-missing",
    );
  }
  return new SockhopError(
    `The remote command ended (exit ${status}) before sockhop answered${tail}; run with --debug=ssh to see its output`,
    "no-marker",
  );
}
