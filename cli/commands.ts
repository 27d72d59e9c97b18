/**
 * Every command, each loaded only when it runs: `_proxy` starts for every connection and a
 * local `connect` needs no SSH, so neither pays for loading ssh2 (about 100 ms). The flag
 * table a command parses with is what its completion and the man page are made from.
 */

import type { ParseArgsConfig } from "node:util";

export type Command = (args: string[]) => Promise<number>;
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;
/**
 * `options`: the parseArgs table; `letters`: instead, a command with a grammar of its own
 * (`ssh`'s getopt): the one-letter options it takes, its help lines the only description.
 */
export type CommandModule = { run: Command; options?: OptionTable; letters?: string };

export const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  serve: async () => {
    const m = await import("./serve.ts");
    return { run: m.cmdServe, options: m.SERVE_OPTIONS };
  },
  list: async () => {
    const m = await import("./list.ts");
    return { run: m.cmdList, options: m.LIST_OPTIONS };
  },
  connect: async () => {
    const m = await import("./connect.ts");
    return { run: m.cmdConnect, options: m.CONNECT_OPTIONS };
  },
  forward: async () => {
    const m = await import("./forward.ts");
    return { run: m.cmdForward, options: m.FORWARD_OPTIONS };
  },
  passwd: async () => {
    const m = await import("./passwd.ts");
    return { run: m.cmdPasswd, options: m.PASSWD_OPTIONS };
  },
  start: async () => {
    const m = await import("./lifecycle.ts");
    return { run: m.cmdStart, options: m.START_OPTIONS };
  },
  stop: async () => {
    const m = await import("./lifecycle.ts");
    return { run: m.cmdStop, options: m.STOP_OPTIONS };
  },
  completion: async () => {
    const m = await import("./completion.ts");
    return { run: m.cmdCompletion, options: m.COMPLETION_OPTIONS };
  },
  man: async () => {
    const m = await import("./completion.ts");
    return { run: m.cmdMan, options: m.MAN_OPTIONS };
  },
  ssh: async () => {
    const m = await import("./ssh.ts");
    return { run: m.cmdSsh, letters: m.SSH_LETTERS };
  },
  _proxy: async () => {
    const m = await import("./proxy.ts");
    return { run: m.cmdProxy, options: m.PROXY_OPTIONS };
  },
  _start: async () => ({ run: (await import("./lifecycle.ts")).cmdRemoteStart }),
  _stop: async () => ({ run: (await import("./lifecycle.ts")).cmdRemoteStop }),
};

/** The commands a user types: those not starting with "_". */
export function publicCommands(): string[] {
  return Object.keys(COMMANDS).filter((c) => !c.startsWith("_"));
}
