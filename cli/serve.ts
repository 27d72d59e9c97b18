/** `sockhop serve`: arguments to a running session. */

import { UsageError } from "../lib/errors.ts";
import { validateSessionName } from "../lib/sessions.ts";
import { parseServeTarget, serve } from "../lib/serve.ts";
import { help, onSignals, parseCommand, setup } from "./common.ts";

export async function cmdServe(args: string[]): Promise<number> {
  const execAt = args.findIndex((a) => a.startsWith("exec:"));
  const head = execAt >= 0 ? args.slice(0, execAt) : args;
  const { values, positionals } = parseCommand("serve", head, {});
  if (values.help) return help("serve");
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
  const { logger, dirs } = setup(values);
  const signals = onSignals();
  const serving = await serve({ dirs, name, target, logger });
  logger.info(`session ${name} at ${serving.path}`);
  signals.signal.addEventListener("abort", () => serving.close());
  await serving.done;
  signals.dispose();
  return 0;
}
