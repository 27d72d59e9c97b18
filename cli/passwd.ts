/** `sockhop passwd`: add or replace a user's entry in the built-in server's password file. */

import { UsageError } from "../lib/errors.ts";
import { writePasswordEntry } from "../lib/password_hashes.ts";
import { defaultPasswordsFile, localEnv } from "../lib/env.ts";
import { makePrompter } from "../lib/prompt.ts";
import { parentDir } from "../lib/platform_paths.ts";
import { stderrLogger } from "../lib/logger.ts";
import { help, out, parseCommand } from "./common.ts";
import { PASSWORD_HASHES_OPTIONS, passwordHashesFile } from "./password_hashes.ts";

export const PASSWD_OPTIONS = PASSWORD_HASHES_OPTIONS;

export async function cmdPasswd(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("passwd", args, PASSWD_OPTIONS);
  if (values.help) return help("passwd");
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[1])}`, "passwd");
  }
  const user = positionals[0] ?? localEnv().localUser;
  const logger = stderrLogger([]);
  const file = passwordHashesFile(values, "passwd", logger) ?? defaultPasswordsFile(Deno.env);
  const me = localEnv().localUser;
  if (positionals[0] !== undefined && positionals[0] !== me) {
    logger.warn(
      `the built-in server lets in only the user its serve runs as: ${
        positionals[0]
      } can log in only to a serve that ${
        positionals[0]
      } runs (with this file as --password-hashes), not to one of ${me}'s`,
    );
  }
  let password: string;
  if (Deno.stdin.isTerminal()) {
    const prompter = makePrompter({ batchMode: false, env: Deno.env });
    password = await prompter.ask(`New password for ${user}: `, { secret: true });
    const again = await prompter.ask("Again: ", { secret: true });
    if (again !== password) {
      throw new UsageError("The two passwords differ: nothing was changed", "passwd");
    }
  } else {
    password = (await new Response(Deno.stdin.readable).text()).split(/\r?\n/)[0] ?? "";
  }
  if (password.length < 8) {
    throw new UsageError("A password needs at least 8 characters: nothing was changed", "passwd");
  }
  Deno.mkdirSync(parentDir(file), { recursive: true, mode: 0o700 });
  const problems = await writePasswordEntry(file, user, password);
  out(`Password for ${user} written to ${file}\n`);
  for (const p of problems) {
    logger.warn(`${p} (serve refuses this file until then)`);
  }
  return 0;
}
