/** Typed errors: main.ts maps them to messages and exit codes. */

/** A mistake in how sockhop was called: exit code 2, with the usage hint. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

/** A failure to do what was asked: exit code 1. `code` lets tests and scripts tell kinds apart. */
export class SockhopError extends Error {
  override name = "SockhopError";
  constructor(
    message: string,
    readonly code: string = "failed",
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

/** A short text for any thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
