/** The native client's host key check: known_hosts, OpenSSH's policy, the question, the append. */

import {
  acceptsAnswer,
  appendKnownHost,
  checkHostKey,
  decideHostKey,
  fingerprint,
  HostKeyError,
  hostKeyName,
  keyTypeLabel,
  keyTypeOf,
  unknownHostQuestion,
} from "./known_hosts.ts";
import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt.ts";
import type { SshConfig } from "./ssh_config.ts";

export interface HostKeyCheck {
  /** For ssh2's hostVerifier: resolves true to go on. Errors are kept for `failure()`. */
  verify(blob: Uint8Array): Promise<boolean>;
  /** Why the key was refused, if it was. */
  failure(): Error | undefined;
}

/**
 * Build the check for one hop. `insecure` accepts any key (--insecure-accept-any-host-key);
 * `pinned` (--host-key SHA256:...) accepts that key only, whatever known_hosts says.
 */
export function hostKeyCheck(
  config: SshConfig,
  prompter: Prompter,
  logger: Logger,
  insecure: boolean,
  pinned?: string,
): HostKeyCheck {
  let error: Error | undefined;
  const host = config.hostName;
  const port = config.port;
  const alias = config.hostKeyAlias;
  const name = hostKeyName(host, port, alias);
  const files = [...config.userKnownHostsFiles, ...config.globalKnownHostsFiles];
  return {
    failure: () => error,
    async verify(blob) {
      const label = `${keyTypeLabel(keyTypeOf(blob))} ${fingerprint(blob)}`;
      if (insecure) {
        logger.warn(
          `--insecure-accept-any-host-key: accepting ${host}'s key ${label} without checking it`,
        );
        return true;
      }
      if (pinned !== undefined) {
        if (fingerprint(blob) === pinned.replace(/=+$/, "")) {
          logger.debug("ssh", `host key ${label}: the pinned key, accept`);
          return true;
        }
        error = new SockhopError(
          `The host key of ${host} is ${label}, not the pinned ${pinned}: check the fingerprint with its administrator, then pin the right one with --host-key`,
          "host-key",
        );
        return false;
      }
      const result = checkHostKey({ host, port, alias, keyBlob: blob, files });
      const decision = decideHostKey(result, config.strictHostKeyChecking, config.batchMode);
      logger.debug("ssh", `host key ${label}: ${result.status}, ${decision}`);
      const userFile = config.userKnownHostsFiles[0] ?? "~/.ssh/known_hosts";
      try {
        if (decision === "accept") return true;
        if (decision === "refuse") throw new HostKeyError(result, name, blob, userFile);
        if (decision === "ask") {
          // As OpenSSH: an empty answer is no, and only yes (or the fingerprint) is yes; a
          // dialog is asked for text, not a bare OK, so that dismissing it never trusts a key.
          let answer = await prompter.ask(unknownHostQuestion(name, blob), {
            secret: false,
          });
          for (
            let again = 0;
            again < 3 && !acceptsAnswer(answer, blob) && !/^(no?)?$/i.test(answer.trim());
            again++
          ) {
            answer = await prompter.ask("Please type 'yes', 'no' or the fingerprint: ", {
              secret: false,
            });
          }
          if (!acceptsAnswer(answer, blob)) {
            throw new HostKeyError(result, name, blob, userFile);
          }
        }
        appendKnownHost({ file: userFile, name, keyBlob: blob, hash: config.hashKnownHosts });
        logger.info(`Permanently added ${name} (${label}) to ${userFile}`);
        return true;
      } catch (err) {
        error = err as Error;
        return false;
      }
    },
  };
}
