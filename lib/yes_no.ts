/** A yes/no option's value, from the command line or a connection file. */

import { UsageError } from "./errors.ts";

/** `yes` or `no`; `fallback` when unset; anything else is a usage error naming the flag. */
export function yesNo(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`${flag}=${value}: use yes or no`);
}
