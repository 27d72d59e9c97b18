/**
 * `forward`'s keepalive: a tunnel that stays up must find a dead peer (a NAT that forgot the
 * connection, a laptop that slept) before its next client does. OpenSSH's ServerAliveInterval
 * is 0 (off) by default, and then a dead connection takes new tunnels down with it until TCP
 * gives up, 15 minutes and more (chisel #560, #213). So where the user's config sets no
 * ServerAliveInterval (ServerAliveCountMax), forward uses 15 s (3): a dead peer is found
 * within 45 s. The built-in client takes it in its config; ssh gets it as -o; plink has no
 * such option, and the ping of forward's own channel (lib/session_mux.ts) does the job there.
 */

import { compact } from "./compact.ts";
import { resolveSshConfig, type SshConfig } from "./ssh_config.ts";
import type { Hop } from "./hop.ts";

export const FORWARD_KEEPALIVE = Object.freeze({ interval: 15, countMax: 3 });

/** The keepalive in effect and where it came from, for --debug=ssh and --print-config. */
export interface Keepalive {
  readonly interval: number;
  readonly countMax: number;
  readonly source: string;
}

/** The config with forward's keepalive wherever the user's config set none. */
export function withForwardKeepalive(config: SshConfig): SshConfig {
  const { set } = config.keepalive;
  const interval = set.interval ? config.keepalive.interval : FORWARD_KEEPALIVE.interval;
  const countMax = set.countMax ? config.keepalive.countMax : FORWARD_KEEPALIVE.countMax;
  const printed = config.printed.map(([k, v]): readonly [string, string] =>
    k === "serveraliveinterval"
      ? [k, String(interval)]
      : k === "serveralivecountmax"
      ? [k, String(countMax)]
      : [k, v]
  );
  return { ...config, keepalive: { interval, countMax, set }, printed };
}

/** Where a config's keepalive came from, in words. */
export function keepaliveSource(config: SshConfig): Keepalive {
  const { set, interval, countMax } = config.keepalive;
  const source = set.interval && set.countMax
    ? "from the ssh config"
    : set.interval || set.countMax
    ? `ServerAlive${
      set.interval ? "Interval" : "CountMax"
    } from the ssh config, the other forward's default`
    : "forward's default, as the ssh config sets no ServerAliveInterval";
  return { interval, countMax, source };
}

/** ssh's options that take an argument (ssh.c's getopt string). */
const _ARG_FLAGS = new Set("bcDEeFIiJLlmOoPpQRSWw".split(""));

/** The -F file and -o options among ssh's words (the user's --ssh, then the passed-through). */
export function sshConfigWords(words: readonly string[]): { file?: string; options: string[] } {
  const options: string[] = [];
  let file: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith("-") || w === "-") break;
    for (let j = 1; j < w.length; j++) {
      const c = w[j]!;
      if (!_ARG_FLAGS.has(c)) continue;
      const arg = j + 1 < w.length ? w.slice(j + 1) : words[++i] ?? "";
      if (c === "o") options.push(arg);
      if (c === "F") file ??= arg;
      break;
    }
  }
  return compact({ file, options });
}

/**
 * The -o words that give ssh forward's keepalive where its config (as ssh would read it,
 * -F and -o included) sets none, and the keepalive in effect.
 */
export function opensshKeepalive(
  words: readonly string[],
  dest: Hop,
): { words: string[]; keepalive: Keepalive } {
  const { file, options } = sshConfigWords(words);
  const config = resolveSshConfig(compact({
    host: dest.host,
    user: dest.user,
    port: dest.port,
    options,
    configFile: file,
    matchExec: "refuse" as const,
  })).config;
  const effective = withForwardKeepalive(config);
  const { set } = config.keepalive;
  return {
    words: [
      ...(set.interval ? [] : ["-o", `ServerAliveInterval=${FORWARD_KEEPALIVE.interval}`]),
      ...(set.countMax ? [] : ["-o", `ServerAliveCountMax=${FORWARD_KEEPALIVE.countMax}`]),
    ],
    keepalive: keepaliveSource(effective),
  };
}

/** plink reads no OpenSSH config and has no keepalive option: forward's own ping. */
export const PLINK_KEEPALIVE: Keepalive = Object.freeze({
  ...FORWARD_KEEPALIVE,
  source: "forward's default; plink has no ServerAlive option, sockhop pings over its channel",
});
