/**
 * sockhop's command line: parses arguments, dispatches, and is the only place that prints
 * errors and sets the exit status.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { SockhopError, UsageError } from "./lib/errors.ts";
import { type Logger, stderrLogger } from "./lib/logger.ts";
import {
  listSessions,
  resolveSessionDirs,
  type SessionDirs,
  validateSessionName,
} from "./lib/sessions.ts";
import { parseServeTarget, serve } from "./lib/serve.ts";
import { runProxy } from "./lib/proxy.ts";
import { connectLocal, connectProgram } from "./lib/connect.ts";
import { parseTarget } from "./lib/url.ts";
import { parseSshOption } from "./lib/ssh_option.ts";
import {
  DEFAULT_REMOTE_SOCKHOP,
  parseRemoteSockhop,
  remoteCommand,
  validateRemoteName,
} from "./lib/remote_command.ts";
import { formatSessionList } from "./lib/list_format.ts";
import { HELP, VERSION } from "./lib/usage.ts";

const COMMON_OPTIONS = {
  "socket-dirs": { type: "string" },
  debug: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

type Common = { "socket-dirs"?: string; debug?: string; help?: boolean };

function _parse<O extends NonNullable<ParseArgsConfig["options"]>>(
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
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\.$/, ""), command);
  }
}

function _setup(values: Common): { logger: Logger; dirs: SessionDirs } {
  const debug = values.debug ? values.debug.split(",").map((s) => s.trim()).filter(Boolean) : [];
  return { logger: stderrLogger(debug), dirs: resolveSessionDirs(Deno.env, values["socket-dirs"]) };
}

function _yesNo(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`${flag}=${value}: use yes or no`);
}

/** Stop on SIGINT/SIGTERM: aborts the signal and remembers which one came. */
function _onSignals(): {
  signal: AbortSignal;
  received: () => number | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let status: number | undefined;
  const handlers: [Deno.Signal, () => void][] = [["SIGINT", 130], ["SIGTERM", 143]].map(
    ([sig, code]) => [sig as Deno.Signal, () => {
      status ??= code as number;
      controller.abort();
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

async function cmdServe(args: string[]): Promise<number> {
  const execAt = args.findIndex((a) => a.startsWith("exec:"));
  const head = execAt >= 0 ? args.slice(0, execAt) : args;
  const { values, positionals } = _parse("serve", head, {});
  if (values.help) return _help("serve");
  const targetWords = execAt >= 0
    ? [...positionals.slice(1), ...args.slice(execAt)]
    : positionals.slice(1);
  const name = positionals[0];
  if (name === undefined) throw new UsageError("Missing NAME: sockhop serve NAME TARGET", "serve");
  if (execAt >= 0 && positionals.length > 1) {
    throw new UsageError(
      `Unexpected ${JSON.stringify(positionals[1])} before the exec: TARGET`,
      "serve",
    );
  }
  validateSessionName(name);
  const target = parseServeTarget(targetWords);
  const { logger, dirs } = _setup(values);
  const signals = _onSignals();
  const serving = await serve({ dirs, name, target, logger });
  logger.info(`session ${name} at ${serving.path}`);
  signals.signal.addEventListener("abort", () => serving.close());
  await serving.done;
  signals.dispose();
  return 0;
}

async function cmdList(args: string[]): Promise<number> {
  const { values, positionals } = _parse("list", args, {
    json: { type: "boolean" },
    "no-clean": { type: "boolean" },
  });
  if (values.help) return _help("list");
  if (positionals.length) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[0])}`, "list");
  }
  const { dirs } = _setup(values);
  const sessions = await listSessions(dirs, !values["no-clean"]);
  _out(values.json ? JSON.stringify(sessions, null, 2) + "\n" : formatSessionList(sessions, dirs));
  return 0;
}

async function cmdProxy(args: string[]): Promise<number> {
  const { values, positionals } = _parse("_proxy", args, {});
  if (values.help) return _help("_proxy");
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[1])}`, "_proxy");
  }
  const { logger, dirs } = _setup(values);
  await runProxy(dirs, positionals[0] ?? "", logger);
  return 0;
}

async function cmdConnect(args: string[]): Promise<number> {
  const { values, positionals } = _parse("connect", args, {
    ssh: { type: "string" },
    "exit-ssh": { type: "string" },
    "remote-sockhop": { type: "string" },
    "password-file": { type: "string" },
  });
  if (values.help) return _help("connect");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop connect ssh://host/NAME", "connect");
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "connect");
  const target = parseTarget(where);
  const exitSsh = _yesNo(values["exit-ssh"], "--exit-ssh", true);
  const choice = parseSshOption(values.ssh ?? "auto");
  const candidates = values["remote-sockhop"]
    ? parseRemoteSockhop(values["remote-sockhop"])
    : [...DEFAULT_REMOTE_SOCKHOP];
  const { logger, dirs } = _setup(values);
  const signals = _onSignals();
  try {
    if (target.kind === "local") {
      await connectLocal(dirs, validateRemoteName(target.name), logger, signals.signal);
      return signals.received() ?? 0;
    }
    const program = choice.backend === "program"
      ? choice
      : choice.backend === "auto"
      ? parseSshOption("openssh")
      : undefined;
    if (program?.backend !== "program") {
      throw new UsageError(
        "--ssh=native is not available yet: use --ssh=openssh or --ssh=plink",
        "connect",
      );
    }
    const password = values["password-file"]
      ? _readPasswordFile(values["password-file"])
      : target.password;
    await connectProgram(
      {
        flavor: program.flavor,
        words: program.words,
        dest: {
          host: target.host,
          ...(target.port !== undefined ? { port: target.port } : {}),
          ...(target.user ? { user: target.user } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(target.key ? { key: target.key } : {}),
          ...(target.jump ? { jump: target.jump } : {}),
        },
        remoteCommand: remoteCommand(candidates, validateRemoteName(target.name)),
        exitSsh,
        interactive: _hasTerminal(),
      },
      logger,
      signals.signal,
    );
    return signals.received() ?? 0;
  } finally {
    signals.dispose();
  }
}

function _readPasswordFile(path: string): string {
  try {
    return Deno.readTextFileSync(path).split(/\r?\n/)[0] ?? "";
  } catch (err) {
    throw new SockhopError(
      `Cannot read --password-file ${path}: ${(err as Error).message}`,
      "usage-file",
    );
  }
}

function _hasTerminal(): boolean {
  if (Deno.build.os === "windows") return Deno.stdin.isTerminal();
  try {
    Deno.openSync("/dev/tty", { read: true }).close();
    return true;
  } catch {
    return false;
  }
}

function _help(command: string): number {
  _out(HELP[command]! + "\n");
  return 0;
}

function _out(text: string) {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: cmdServe,
  list: cmdList,
  connect: cmdConnect,
  _proxy: cmdProxy,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help") return _help("main");
  if (command === "--version" || command === "version") {
    _out(`sockhop ${VERSION}\n`);
    return 0;
  }
  if (command === "help") return _help(HELP[rest[0] ?? "main"] ? rest[0] ?? "main" : "main");
  const run = COMMANDS[command];
  if (!run) {
    throw new UsageError(`Unknown command ${JSON.stringify(command)}: use serve, list or connect`);
  }
  return await run(rest);
}

if (import.meta.main) {
  let status: number;
  try {
    status = await main(Deno.args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sockhop: ${err.message}`);
      console.error(`Run 'sockhop ${err.command ? `${err.command} ` : ""}--help' for usage.`);
      status = 2;
    } else if (err instanceof SockhopError) {
      console.error(`sockhop: ${err.message}`);
      status = 1;
    } else {
      console.error(`sockhop: internal error: ${err instanceof Error ? err.stack : String(err)}`);
      status = 1;
    }
  }
  Deno.exit(status);
}
