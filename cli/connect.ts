/** `sockhop connect`. */

import { SockhopError, UsageError } from "../lib/errors.ts";
import { connectLocal, connectProgram } from "../lib/connect.ts";
import { parseTarget } from "../lib/url.ts";
import { parseSshOption } from "../lib/ssh_option.ts";
import {
  DEFAULT_REMOTE_SOCKHOP,
  parseRemoteSockhop,
  remoteCommand,
  validateRemoteName,
} from "../lib/remote_command.ts";
import { help, onSignals, parseCommand, setup, yesNo } from "./common.ts";

export async function cmdConnect(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("connect", args, {
    ssh: { type: "string" },
    "exit-ssh": { type: "string" },
    "remote-sockhop": { type: "string" },
    "password-file": { type: "string" },
  });
  if (values.help) return help("connect");
  const [where, ...extra] = positionals;
  if (where === undefined) {
    throw new UsageError("Missing URL: sockhop connect ssh://host/NAME", "connect");
  }
  if (extra.length) throw new UsageError(`Unexpected ${JSON.stringify(extra[0])}`, "connect");
  const target = parseTarget(where);
  const exitSsh = yesNo(values["exit-ssh"], "--exit-ssh", true);
  const choice = parseSshOption(values.ssh ?? "auto");
  const candidates = values["remote-sockhop"]
    ? parseRemoteSockhop(values["remote-sockhop"])
    : [...DEFAULT_REMOTE_SOCKHOP];
  const { logger, dirs } = setup(values);
  const signals = onSignals();
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
