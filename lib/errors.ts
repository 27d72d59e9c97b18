/** Typed errors: main.ts maps them to messages and exit codes. */

/** A mistake in how sockhop was called: exit code 2, with the usage hint. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

/**
 * What kind of failure a SockhopError is, for code that acts on it (a session that refused
 * its client is tried no further; tests tell a path too long from another socket dir problem).
 * A closed list, so that a code is never a typo nobody notices; the message is for people.
 */
export type ErrorCode =
  | "failed"
  | "auth-failed"
  | "auth-file-perms"
  | "auth-file-type"
  | "host-key"
  | "host-key-perms"
  | "host-key-unknown"
  | "host-key-changed"
  | "host-key-revoked"
  | "interrupted"
  | "listen"
  | "name-in-use"
  | "no-marker"
  | "no-prompt"
  | "no-session"
  | "no-sshpass"
  | "output-closed"
  | "password-hashes"
  | "path-too-long"
  | "relay"
  | "remote-failed"
  | "remote-missing"
  | "session-ended"
  | "session-key"
  | "session-refused"
  | "socket-dir"
  | "ssh-dead"
  | "ssh-failed"
  | "ssh-killed"
  | "ssh-missing"
  | "start-failed"
  | "start-refused"
  | "unsafe-session"
  | "usage"
  | "usage-auth"
  | "usage-file"
  | "usage-target";

/** A failure to do what was asked: exit code 1. `code` lets tests and scripts tell kinds apart. */
export class SockhopError extends Error {
  override name = "SockhopError";
  constructor(
    message: string,
    readonly code: ErrorCode = "failed",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The errno-style code of a node or Deno error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") {
    return err.code;
  }
  return undefined;
}

/** What opening or reading a file failed with, in the system's words but without its noise. */
const _FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory: check the path",
  EACCES: "permission denied: check its mode and its directories'",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is not a directory: check the path",
  EISDIR: "it is a directory: give the path of a file",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the path is too long",
};

/**
 * A failed file operation as one short line: "no such file or directory: check the path"
 * rather than the runtime's "ENOENT: no such file or directory, open '/x'" (the caller names
 * the file); other errors as errorText says them.
 */
export function fileErrorText(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  return _FILE_ERRORS[errorCode(err) ?? errorCode(cause) ?? ""] ?? errorText(err);
}

/** A short text for any thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
