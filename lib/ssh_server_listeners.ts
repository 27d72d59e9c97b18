/** Starting the built-in SSH server's listeners for `serve`: --bind-ssh and --bind-tcp. */

import { SockhopError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { SessionDirs } from "./sessions.ts";
import { configDir } from "./env.ts";
import { loadHostKeys } from "./host_keys.ts";
import { checkAuthNone, checkLoginFiles } from "./ssh_server_auth.ts";
import { createPasswordChecker } from "./password_hashes.ts";
import { joinPath } from "./platform_paths.ts";
import { refuseNotRegular } from "./regular_file.ts";
import { createSshServer, listenSsh } from "./ssh_server.ts";
import type { TcpSocketListener } from "./tcp_sockets.ts";
import { listenTcp } from "./tcp_upgrade.ts";
import { isLoopback, parseHostPort } from "./address.ts";

/** Connections not logged in yet, in all (sshd's MaxStartups). */
const MAX_UNAUTHENTICATED = 100;

export interface SshListenOptions {
  readonly bindSsh: readonly string[];
  readonly bindTcp: readonly string[];
  readonly sshUpgrade: boolean;
  readonly bindTcpRaw: boolean;
  readonly hostKeyFiles: readonly string[];
  readonly rsaHostKey: boolean;
  readonly authorizedKeys?: string;
  readonly passwordHashes?: string;
  readonly authNone: boolean;
  readonly loginGraceSeconds: number;
  /** Channels open at once per connection (sshd's MaxSessions). */
  readonly maxSessions: number;
  /** Password hashes computed at once; more wait their turn. */
  readonly maxPasswordChecks: number;
  /** Targets `sockhop start` may start through this server (--allow-start). */
  readonly allowStart?: readonly string[];
  readonly session?: string;
  readonly dirs: SessionDirs;
  readonly user: string;
  readonly home: string;
  readonly logger: Logger;
}

export interface SshListeners {
  readonly addresses: readonly string[];
  close(): void;
}

/** `HOST:PORT`, `:PORT` or `PORT`; host 127.0.0.1 by default. */
export function parseBind(text: string, flag: string): { host: string; port: number } {
  const t = /^\d+$/.test(text)
    ? `127.0.0.1:${text}`
    : text.startsWith(":")
    ? `127.0.0.1${text}`
    : text;
  const { host, port } = parseHostPort(t, `${flag}=${text}`, true);
  if (port === undefined) {
    throw new UsageError(`${flag}=${text} has no port: write ${flag}=127.0.0.1:2222`, "serve");
  }
  return { host, port };
}

export function startSshListeners(o: SshListenOptions): SshListeners {
  const binds = o.bindSsh.map((b) => parseBind(b, "--bind-ssh"));
  const tcps = o.bindTcp.map((b) => parseBind(b, "--bind-tcp"));
  const exposed = [...binds, ...tcps].filter((b) => !isLoopback(b.host));
  checkAuthNone(o.authNone, exposed.length > 0);
  const wantSsh = binds.length > 0 || (tcps.length > 0 && o.sshUpgrade);
  const listeners: TcpSocketListener[] = [];
  const addresses: string[] = [];
  let server: ReturnType<typeof createSshServer> | undefined;
  if (wantSsh) {
    for (const f of o.hostKeyFiles) refuseNotRegular(f, "--ssh-host-key");
    const hostKeys = loadHostKeys(o.hostKeyFiles, configDir(Deno.env), o.rsaHostKey);
    for (const k of hostKeys) o.logger.info(`host key ${k.type} ${k.fingerprint} (${k.path})`);
    if (exposed.length) {
      o.logger.info(
        `NOTICE: SSH on a non-loopback address; clients should check the host key: ${
          hostKeys.map((k) => `${k.type} ${k.fingerprint}`).join(", ")
        }`,
      );
    }
    const authorizedKeys = o.authorizedKeys ?? joinPath([o.home, ".ssh", "authorized_keys"]);
    checkLoginFiles(
      { authorizedKeys, passwordHashes: o.passwordHashes, none: o.authNone },
      o.logger,
    );
    server = createSshServer({
      hostKeys,
      auth: {
        user: o.user,
        authorizedKeys,
        ...(o.passwordHashes
          ? {
            passwordHashes: o.passwordHashes,
            // As many may wait as there can be connections not logged in: each has at most
            // one attempt out at a time (ssh2 holds the next until it is answered).
            passwords: createPasswordChecker({
              maxConcurrent: o.maxPasswordChecks,
              maxQueued: MAX_UNAUTHENTICATED,
            }),
          }
          : {}),
        none: o.authNone,
      },
      dirs: o.dirs,
      ...(o.session !== undefined ? { only: o.session } : {}),
      loginGraceSeconds: o.loginGraceSeconds,
      maxUnauthenticated: MAX_UNAUTHENTICATED,
      maxUnauthenticatedPerSource: 10,
      maxSessions: o.maxSessions,
      ...(o.allowStart ? { allowStart: o.allowStart } : {}),
      logger: o.logger,
    });
  }
  try {
    for (const b of binds) {
      const l = listenSsh(server!, b.host, b.port, o.logger);
      listeners.push(l);
      addresses.push(`ssh:${l.address}`);
    }
    for (const t of tcps) {
      const raw = o.bindTcpRaw || isLoopback(t.host);
      const l = listenTcp(
        {
          ssh: o.sshUpgrade ? server : undefined,
          session: o.session,
          rawAllowed: raw,
          dirs: o.dirs,
          logger: o.logger,
        },
        t.host,
        t.port,
      );
      listeners.push(l);
      addresses.push(`tcp:${l.address}`);
    }
  } catch (err) {
    for (const l of listeners) l.close();
    server?.close();
    throw new SockhopError(`Cannot listen: ${(err as Error).message}`, "listen", { cause: err });
  }
  return {
    addresses,
    close() {
      for (const l of listeners) l.close();
      server?.close();
    },
  };
}
