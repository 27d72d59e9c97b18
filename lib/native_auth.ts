/**
 * Authentication for the native client, in OpenSSH's order unless PreferredAuthentications
 * says otherwise: the agent, key files (asking for passphrases), keyboard-interactive,
 * password. Records what was tried, for one failure message.
 */

import { agentSocketPath } from "./agent_path.ts";
// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { DEFAULT_IDENTITIES } from "./certificates.ts";
import { type AgentKey, agentKeys, oneKeyAgent } from "./native_agent.ts";
import { loadIdentity } from "./native_identity.ts";
import { identityPublicBlob, keyOrder } from "./native_key_order.ts";
import { fingerprint } from "./public_keys.ts";
import { joinPath } from "./platform_paths.ts";
import { CannotAskError, type Prompter } from "./prompt.ts";
import type { SshConfig } from "./ssh_config.ts";

type NextAuth = ssh2.AuthenticationType | ssh2.AnyAuthMethod | false;

export interface AuthInput {
  readonly config: SshConfig;
  /** `-i` keys and the URL's `?key=`, before the config's IdentityFile. */
  readonly extraKeys: readonly string[];
  readonly password?: string;
  readonly prompter: Prompter;
  readonly logger: Logger;
  readonly env: { get(key: string): string | undefined };
  readonly home: string;
  /**
   * Ends the login with this error: keyboard-interactive asked again after a round that could
   * not be answered (a server that re-prompts for ever would otherwise be answered for ever).
   */
  readonly abort?: (err: SockhopError) => void;
}

export interface Auth {
  readonly handler: ssh2.AuthHandlerMiddleware;
  /** The error to show when every method failed. */
  failure(): SockhopError;
  /**
   * Whether an 'error' from ssh2's client is one it goes on from (a key or an agent it could
   * not use): logged, and authentication continues with the next method.
   */
  isNonFatal(err: Error & { level?: string }): boolean;
}

export function nativeAuth(input: AuthInput): Auth {
  const { config, logger } = input;
  const user = config.user;
  const tried: string[] = [];
  let allowed: string[] | null = null;
  let pending: Error | undefined;
  const steps = _steps(input, tried, () => allowed);
  const handler: ssh2.AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (methodsLeft) {
      allowed = methodsLeft;
      if (tried.length) {
        logger.debug("ssh", `  refused; the server allows ${methodsLeft.join(",")}`);
      }
    }
    (async () => {
      for (;;) {
        const r = await steps.next();
        if (r.done) return false;
        const step = r.value;
        if (step === undefined) continue;
        return step;
      }
    })().then(
      (auth: NextAuth) => next(auth as ssh2.AnyAuthMethod),
      (err: Error) => {
        pending = err;
        next(false as unknown as ssh2.AnyAuthMethod);
      },
    );
  };
  return {
    handler,
    failure() {
      if (pending instanceof SockhopError && !(pending instanceof CannotAskError)) return pending;
      const what = `tried ${tried.join(", ") || "nothing"}${
        allowed ? `; the server allows ${(allowed as string[]).join(",")}` : ""
      }`;
      return new SockhopError(
        `Authentication failed for ${user}@${config.hostName} (${what}): ${
          _authFix(
            pending,
            input.password !== undefined &&
              (tried.includes("password") || tried.includes("keyboard-interactive")),
          )
        }`,
        "auth-failed",
        pending ? { cause: pending } : undefined,
      );
    },
    isNonFatal(err) {
      // ssh2 emits 'error' when a key fails to sign or the agent cannot be used, then tries
      // the next method itself: neither ends authentication
      // (docs/upstream/client-sign-error-is-not-fatal.md).
      const nonFatal = err.level === "agent" ||
        (err.level === "client-authentication" &&
          /^Error (signing|while signing)/.test(err.message));
      if (nonFatal) {
        // It concerns the method being tried: the last one listed.
        if (tried.length) tried[tried.length - 1] += ` (${err.message})`;
        logger.debug("ssh", `auth: ${err.message}; trying the next method`);
      }
      return nonFatal;
    },
  };
}

/** What to do after a failed login: why it stopped, and the fix for that. */
function _authFix(pending: Error | undefined, passwordRefused: boolean): string {
  if (passwordRefused) {
    return "the password was refused: check the user name and the password (--password-file)";
  }
  if (pending instanceof CannotAskError) {
    const asked = `cannot ask "${pending.question.trim()}" (${pending.why})`;
    if (/passphrase/i.test(pending.question)) {
      return `${asked}: load the key into ssh-agent (ssh-add KEY), or run on a terminal`;
    }
    return `${asked}: give a key the server accepts (-i KEY, its public key in the server's ` +
      `authorized_keys) or a password (--password-file=FILE), or run on a terminal`;
  }
  return "check the user name, put your public key in the server's authorized_keys " +
    "(and name it with -i KEY), or give a password (--password-file=FILE)";
}

async function* _steps(
  input: AuthInput,
  tried: string[],
  allowed: () => string[] | null,
): AsyncGenerator<NextAuth | undefined> {
  const { config, logger, prompter } = input;
  const username = config.user;
  const may = (m: string) => allowed() === null || allowed()!.includes(m);
  tried.push("none");
  logger.debug("ssh", `auth: trying none as ${username}`);
  yield { type: "none", username };
  for (const method of config.auth.methods) {
    if (method === "publickey" && config.auth.pubkey && may("publickey")) {
      yield* _publicKeySteps(input, tried, () => may("publickey"));
    } else if (
      method === "keyboard-interactive" && config.auth.kbdInteractive && may(method)
    ) {
      tried.push("keyboard-interactive");
      logger.debug("ssh", "auth: trying keyboard-interactive");
      yield { type: "keyboard-interactive", username, prompt: _kbdintAnswers(input) };
    } else if (method === "password" && config.auth.password && may("password")) {
      if (input.password !== undefined) {
        tried.push("password");
        logger.debug("ssh", "auth: trying the given password");
        yield { type: "password", username, password: input.password };
      } else {
        for (let i = 0; i < config.auth.passwordPrompts && may("password"); i++) {
          const password = await prompter.ask(`${username}@${config.hostName}'s password: `, {
            secret: true,
          });
          tried.push("password");
          yield { type: "password", username, password };
        }
      }
    }
  }
}

/** Keys in OpenSSH's order (lib/native_key_order.ts), each one step, while the server allows. */
async function* _publicKeySteps(
  input: AuthInput,
  tried: string[],
  may: () => boolean,
): AsyncGenerator<NextAuth | undefined> {
  const { config, logger, prompter } = input;
  const username = config.user;
  const explicit = [...input.extraKeys, ...config.auth.identityFiles];
  const files = explicit.length
    ? explicit
    : DEFAULT_IDENTITIES.map((k) => joinPath([input.home, ".ssh", k]));
  const agent = agentSocketPath(config.auth.identityAgent, input.env);
  let held: AgentKey[] = [];
  if (agent) {
    logger.debug("ssh", `auth: trying the agent at ${agent}`);
    try {
      held = await agentKeys(agent);
      logger.debug("ssh", `auth: the agent holds ${held.length} key(s)`);
    } catch (err) {
      tried.push(`the agent (${(err as Error).message})`);
      logger.debug("ssh", `auth: the agent cannot be used: ${(err as Error).message}`);
    }
  }
  const order = keyOrder(
    files.map((file) => ({ file, blob: identityPublicBlob(file) })),
    held,
    config.auth.identitiesOnly,
  );
  for (const step of order) {
    if (!may()) return;
    if (step.kind === "agent") {
      const label = step.file
        ? `key ${step.file} (in the agent)`
        : `agent key ${step.key.comment || fingerprint(step.key.blob)}`;
      const one = oneKeyAgent(agent!, step.key);
      if (!one) {
        logger.debug("ssh", `auth: skipping ${label}: a key type the built-in client cannot use`);
        continue;
      }
      tried.push(label);
      logger.debug("ssh", `auth: trying ${label}`);
      yield { type: "agent", username, agent: one };
      continue;
    }
    const file = step.file;
    const loaded = await loadIdentity(file, explicit.includes(file), prompter, logger);
    if (loaded.kind === "none" || !may()) continue;
    if (loaded.kind === "unusable") {
      tried.push(`key ${file} (unusable here: ${loaded.reason})`);
      logger.debug("ssh", `auth: skipping key ${file}, unusable here: ${loaded.reason}`);
      continue;
    }
    tried.push(`key ${file}`);
    logger.debug("ssh", `auth: trying key ${file}`);
    yield { type: "publickey", username, key: loaded.key };
  }
}

/**
 * Answers to keyboard-interactive rounds: the given password for a lone hidden prompt (once),
 * the user for the rest. A round nobody can answer (BatchMode, no terminal) is answered empty,
 * as OpenSSH does, so the server can move on to another method; if it asks again instead, the
 * login ends there, with the reason the question could not be asked.
 */
function _kbdintAnswers(
  input: AuthInput,
): (
  name: string,
  instructions: string,
  lang: string,
  prompts: ssh2.Prompt[],
  finish: ssh2.KeyboardInteractiveCallback,
) => void {
  const { logger, prompter } = input;
  let given = input.password;
  let unanswerable: SockhopError | undefined;
  return (_name, instructions, _lang, prompts, finish) => {
    if (unanswerable) {
      input.abort?.(unanswerable);
      return;
    }
    (async () => {
      const answers: string[] = [];
      for (const p of prompts) {
        if (given !== undefined && !p.echo && prompts.length === 1) {
          answers.push(given);
          given = undefined;
          continue;
        }
        const q = `${instructions ? instructions + "\n" : ""}${p.prompt}`;
        answers.push(await prompter.ask(q, { secret: !p.echo }));
      }
      finish(answers);
    })().catch((err) => {
      logger.debug("ssh", `auth: keyboard-interactive: ${(err as Error).message}`);
      unanswerable = err instanceof SockhopError
        ? err
        : new SockhopError(`keyboard-interactive: ${(err as Error).message}`, "auth-failed");
      finish(prompts.map(() => ""));
    });
  };
}
