/** `sockhop list`. */

import { UsageError } from "../lib/errors.ts";
import { listSessions } from "../lib/sessions.ts";
import { formatSessionList } from "../lib/list_format.ts";
import { help, out, parseCommand, setup } from "./common.ts";

export const LIST_OPTIONS = {
  json: { type: "boolean" },
  "no-clean": { type: "boolean" },
} as const;

export async function cmdList(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("list", args, LIST_OPTIONS);
  if (values.help) return help("list");
  if (positionals.length) {
    throw new UsageError(`Unexpected ${JSON.stringify(positionals[0])}`, "list");
  }
  const { dirs } = setup(values);
  const sessions = await listSessions(dirs, !values["no-clean"]);
  out(values.json ? JSON.stringify(sessions, null, 2) + "\n" : formatSessionList(sessions, dirs));
  return 0;
}
