/** What every subcommand shares: option parsing, the logger and session dirs, signals. */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../lib/errors.ts";
import { help, out } from "./output.ts";

// What every command writes with, kept apart so that --version and --help load nothing more.
export { help, out };
import { type Logger, type LogOptions, stderrLogger } from "../lib/logger.ts";
import { resolveSessionDirs, type SessionDirs } from "../lib/sessions.ts";
import { closest } from "../lib/suggest.ts";

export const COMMON_OPTIONS = {
  "socket-dirs": { type: "string" },
  debug: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export type Common = { "socket-dirs"?: string; debug?: string; help?: boolean };

export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: string[],
  options: O,
) {
  try {
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError(optionMistake(err as Error, { ...COMMON_OPTIONS, ...options }), command);
  }
}

/**
 * The words of a `NAME TARGET...` command (serve, start): options and words before the first
 * `exec:` word are parsed; that word and every word after it are the command's, as given.
 */
export function splitAtExec(args: readonly string[]): { head: string[]; exec: string[] } {
  const at = args.findIndex((a) => a.startsWith("exec:"));
  return at < 0 ? { head: [...args], exec: [] } : { head: args.slice(0, at), exec: args.slice(at) };
}

type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util's parse error in our words: its own text quotes unevenly and names no fix
 * ("Unknown option '--lisen'. To specify a positional argument ... as in '-- "--lisen"').
 */
export function optionMistake(err: Error & { code?: string }, options: OptionTable): string {
  const flag = /'(-[^' ]*)/.exec(err.message)?.[1] ?? "";
  const names = Object.entries(options).flatMap(([long, o]) => [
    `--${long}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const typed = flag.split("=")[0]!;
      if (/^-[LRD]/.test(typed)) {
        // ssh's forwarding flags: the nearest name (-l, a user) would send the user astray.
        return `Unknown option ${typed}: ssh's -L, -R and -D are not sockhop's; ` +
          "sockhop forward URL --listen=tcp:PORT (or unix:PATH) makes a session a local port";
      }
      const near = closest(
        typed,
        names.filter((n) => n.startsWith("--") === typed.startsWith("--")),
      );
      return near
        ? `Unknown option ${typed}: did you mean ${near}?`
        : `Unknown option ${typed} (a word that starts with "-" and is not an option goes after --)`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const short = /'(-\w), --/.exec(err.message)?.[1];
      const long = `--${/--([^' <]+)/.exec(err.message)?.[1] ?? flag.replace(/^-+/, "")}`;
      return /argument missing/.test(err.message)
        ? `${short ?? long} needs a value: ${short ? `${short} VALUE` : `${long}=VALUE`}`
        : `${long} takes no value: give ${long} alone`;
    }
    default:
      return err.message.replace(/\.$/, "");
  }
}

export function setup(
  values: Common,
  log: LogOptions = {},
): { logger: Logger; dirs: SessionDirs } {
  const debug = values.debug ? values.debug.split(",").map((s) => s.trim()).filter(Boolean) : [];
  return {
    logger: stderrLogger(debug, "sockhop", log),
    dirs: resolveSessionDirs(Deno.env, values["socket-dirs"]),
  };
}

/**
 * Stop on SIGINT/SIGTERM: aborts the signal and remembers which one came. What the abort
 * starts (closing streams, ending ssh) gets `graceMs`; a process still running then, or a
 * second signal, exits at once with 130/143: a signal always ends sockhop, whatever is stuck.
 */
export function onSignals(graceMs = 3000): {
  signal: AbortSignal;
  received: () => number | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let status: number | undefined;
  const handlers: [Deno.Signal, () => void][] = [["SIGINT", 130], ["SIGTERM", 143]].map(
    ([sig, code]) => [sig as Deno.Signal, () => {
      if (status !== undefined) Deno.exit(status);
      status = code as number;
      controller.abort();
      Deno.unrefTimer(setTimeout(() => Deno.exit(status), graceMs) as unknown as number);
    }],
  );
  if (Deno.build.os !== "windows") {
    for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  } else {
    Deno.addSignalListener("SIGINT", handlers[0]![1]);
  }
  return {
    signal: controller.signal,
    received: () => status,
    dispose() {
      if (Deno.build.os !== "windows") {
        for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
      } else Deno.removeSignalListener("SIGINT", handlers[0]![1]);
    },
  };
}
