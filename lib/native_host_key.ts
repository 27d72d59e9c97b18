/**
 * The built-in client's host key checks, as small composable callbacks in the manner of Go's
 * ssh.HostKeyCallback: each resolves to trust a key and throws the reason to refuse it.
 * `knownHostsCheck` is OpenSSH's way (known_hosts, StrictHostKeyChecking, the question, the
 * append); `pinnedHostKey` trusts one fingerprint only; `insecureAcceptAnyHostKey` trusts any
 * and says so every time. A route's policy picks one per hop (`hostKeyCallback`).
 */

import {
  acceptsAnswer,
  appendKnownHost,
  decideHostKey,
  HostKeyError,
  hostKeyName,
  type KnownHosts,
  unknownHostQuestion,
} from "./known_hosts.ts";
import { fingerprint, keyTypeLabel, keyTypeOf } from "./public_keys.ts";
import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt.ts";
import type { HostKeyPolicy } from "./route.ts";
import type { SshConfig } from "./ssh_config.ts";

/** Resolves when the key is trusted; throws (a HostKeyError, a SockhopError) when it is not. */
export type HostKeyCallback = (blob: Uint8Array) => Promise<void>;

/** `ED25519 SHA256:...`, as ssh names a key in its messages. */
function _label(blob: Uint8Array): string {
  return `${keyTypeLabel(keyTypeOf(blob))} ${fingerprint(blob)}`;
}

/** Any key, with a warning at every use: for throwaway test machines only. */
export function insecureAcceptAnyHostKey(host: string, logger: Logger): HostKeyCallback {
  return (blob) => {
    logger.warn(
      `--insecure-accept-any-host-key: accepting ${host}'s key ${_label(blob)} without checking it`,
    );
    return Promise.resolve();
  };
}

/** The key with this fingerprint (`SHA256:...`) only, whatever known_hosts says. */
export function pinnedHostKey(pinned: string, host: string, logger: Logger): HostKeyCallback {
  return (blob) => {
    const label = _label(blob);
    if (fingerprint(blob) === pinned.replace(/=+$/, "")) {
      logger.debug("ssh", `host key ${label}: the pinned key, accept`);
      return Promise.resolve();
    }
    return Promise.reject(
      new SockhopError(
        `The host key of ${host} is ${label}, not the pinned ${pinned}: check the fingerprint with its administrator, then pin the right one with --host-key`,
        "host-key",
      ),
    );
  };
}

/**
 * OpenSSH's check: the key against known_hosts, then StrictHostKeyChecking and BatchMode
 * decide; an unknown key may be asked about, and is appended to the user's file once trusted.
 */
export function knownHostsCheck(
  config: SshConfig,
  knownHosts: KnownHosts,
  prompter: Prompter,
  logger: Logger,
): HostKeyCallback {
  const { hostName: host, port } = config;
  const { alias, userFiles, strict, hash } = config.knownHosts;
  const name = hostKeyName(host, port, alias);
  const userFile = userFiles[0] ?? "~/.ssh/known_hosts";
  return async (blob) => {
    const label = _label(blob);
    const result = knownHosts.check(host, port, alias, blob);
    const decision = decideHostKey(result, strict, config.batchMode);
    logger.debug("ssh", `host key ${label}: ${result.status}, ${decision}`);
    if (decision === "accept") return;
    if (decision === "refuse") throw new HostKeyError(result, name, blob, userFile);
    if (decision === "ask") {
      // As OpenSSH: an empty answer is no, and only yes (or the fingerprint) is yes; a
      // dialog is asked for text, not a bare OK, so that dismissing it never trusts a key.
      let answer = await prompter.ask(unknownHostQuestion(name, blob), { secret: false })
        .catch((err) => {
          // Nobody to ask: the refusal names the key and the ways to trust it.
          if (err instanceof SockhopError && err.code === "no-prompt") {
            throw new HostKeyError(result, name, blob, userFile, { cause: err });
          }
          throw err;
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
      if (!acceptsAnswer(answer, blob)) throw new HostKeyError(result, name, blob, userFile);
    }
    appendKnownHost({ file: userFile, name, keyBlob: blob, hash });
    logger.info(`Permanently added ${name} (${label}) to ${userFile}`);
  };
}

/** The check a hop's policy names. */
export function hostKeyCallback(
  policy: HostKeyPolicy,
  config: SshConfig,
  knownHosts: KnownHosts,
  prompter: Prompter,
  logger: Logger,
): HostKeyCallback {
  switch (policy.kind) {
    case "insecure-accept-any":
      return insecureAcceptAnyHostKey(config.hostName, logger);
    case "pinned":
      return pinnedHostKey(policy.fingerprint, config.hostName, logger);
    case "known-hosts":
      return knownHostsCheck(config, knownHosts, prompter, logger);
  }
}

/**
 * A callback as ssh2's hostVerifier wants it (true to go on), keeping the reason of a refusal
 * for the connection's error, since ssh2 only reports that the key was not verified.
 */
export function hostVerifier(callback: HostKeyCallback): {
  verify(blob: Uint8Array): Promise<boolean>;
  failure(): Error | undefined;
} {
  let error: Error | undefined;
  return {
    failure: () => error,
    async verify(blob) {
      try {
        await callback(blob);
        return true;
      } catch (err) {
        error = err as Error;
        return false;
      }
    },
  };
}
