/**
 * `--password-hashes=FILE` of `serve` and `passwd`: the built-in server's file of scrypt
 * hashes. `--password-file` was its name there too, while `connect` and `forward` read a
 * plaintext password from a file of that name (as sshpass -f and plink -pwfile do); it still
 * works on `serve` and `passwd`, with a warning, so existing scripts keep running.
 */

import { UsageError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";

export const PASSWORD_HASHES_OPTIONS = {
  "password-hashes": { type: "string" },
  /** Deprecated on serve and passwd: --password-hashes. */
  "password-file": { type: "string" },
} as const;

/** The hashes file given, if any, warning when it came by the deprecated name. */
export function passwordHashesFile(
  values: { "password-hashes"?: string; "password-file"?: string },
  command: string,
  logger: Logger,
): string | undefined {
  const hashes = values["password-hashes"];
  const old = values["password-file"];
  if (old === undefined) return hashes;
  if (hashes !== undefined) {
    throw new UsageError(
      "--password-file and --password-hashes name the same file: give --password-hashes only",
      command,
    );
  }
  logger.warn(
    `--password-file on ${command} is deprecated: use --password-hashes=${old} (the same file)`,
  );
  return old;
}
