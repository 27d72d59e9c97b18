/**
 * Which targets the built-in SSH server may start (`serve --bind-ssh ... --allow-start=`):
 * none unless listed, as xpra's embedded server starts nothing without `proxy-start=yes`.
 * A pattern matches the target as written, words joined by spaces; `*` is any text, `?` one
 * character: `exec:/usr/bin/xpra*` allows `exec:/usr/bin/xpra start :100`.
 */

import { UsageError } from "./errors.ts";

export function parseAllowStart(values: readonly string[]): string[] {
  const patterns = values.flatMap((v) => v.split(",")).map((p) => p.trim()).filter(Boolean);
  if (values.length && !patterns.length) {
    throw new UsageError(
      "--allow-start is empty: give target patterns such as exec:/usr/bin/xpra*",
      "serve",
    );
  }
  return patterns;
}

/** Whether `target` (its words) matches one of the patterns. */
export function startAllowed(patterns: readonly string[], target: readonly string[]): boolean {
  const text = target.join(" ");
  return patterns.some((p) => _glob(p).test(text));
}

function _glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(
    /\?/g,
    "[\\s\\S]",
  );
  return new RegExp(`^${body}$`);
}

/** What a refused start tells the client. */
export function startRefusal(target: readonly string[]): string {
  return `This sockhop server does not start ${
    target.join(" ").slice(0, 200)
  }: its serve needs --allow-start=PATTERN (e.g. --allow-start='${
    target[0] ?? "exec:/usr/bin/xpra"
  }*'), which lists the targets it may start and stop`;
}
