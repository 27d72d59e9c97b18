/** Starting the built-in SSH server's listeners for `serve`: --bind-ssh and --bind-tcp. */

import { SockhopError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { SessionDirs } from "./sessions.ts";
import { configDir } from "./env.ts";
import { loadHostKeys } from "./host_keys.ts";
import { checkAuthorizedKeys } from "./server_auth.ts";
import { createPasswordChecker, readPasswordEntries } from "./password_file.ts";
import { createSshServer, listenSsh } from "./server.ts";
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
  readonly passwordFile?: string;
  readonly authNone: boolean;
  readonly loginGraceSeconds: number;
  /** Channels open at once per connection (sshd's MaxSessions). */
  readonly maxSessions: number;
  /** Password hashes computed at once; more wait their turn. */
  readonly maxPasswordChecks: number;
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

/**
 * As sshd's StrictModes: a file that says who may log in is not used when someone else could
 * have written it.
 */
function _refuseWritableByOthers(path: string) {
  if (Deno.build.os === "windows") return;
  let mode: number;
  try {
    mode = Deno.statSync(path).mode ?? 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (mode & 0o022) {
    throw new SockhopError(
      `${path} is writable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`,
      "auth-file-perms",
    );
  }
}

/**
 * A file given to the server must be a regular file: reading a FIFO blocks for ever (and the
 * server with it). Checked with stat, which never blocks; the reads open it non-blocking too.
 */
function _refuseNotRegular(path: string, what: string) {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isFile) {
    const kind = info.isFifo
      ? "a FIFO"
      : info.isDirectory
      ? "a directory"
      : info.isSocket
      ? "a socket"
      : "not a regular file";
    throw new SockhopError(
      `${what} ${path} is ${kind}: give a regular file`,
      "auth-file-type",
    );
  }
}

export function startSshListeners(o: SshListenOptions): SshListeners {
  const binds = o.bindSsh.map((b) => parseBind(b, "--bind-ssh"));
  const tcps = o.bindTcp.map((b) => parseBind(b, "--bind-tcp"));
  const exposed = [...binds, ...tcps].filter((b) => !isLoopback(b.host));
  if (o.authNone && exposed.length) {
    throw new UsageError(
      "--auth=none is refused on a non-loopback address: use keys or a password file",
      "serve",
    );
  }
  const wantSsh = binds.length > 0 || (tcps.length > 0 && o.sshUpgrade);
  const listeners: TcpSocketListener[] = [];
  const addresses: string[] = [];
  let server: ReturnType<typeof createSshServer> | undefined;
  if (wantSsh) {
    for (const f of o.hostKeyFiles) _refuseNotRegular(f, "--ssh-host-key");
    const hostKeys = loadHostKeys(o.hostKeyFiles, configDir(Deno.env), o.rsaHostKey);
    for (const k of hostKeys) o.logger.info(`host key ${k.type} ${k.fingerprint} (${k.path})`);
    if (exposed.length) {
      o.logger.info(
        `NOTICE: SSH on a non-loopback address; clients should check the host key: ${
          hostKeys.map((k) => `${k.type} ${k.fingerprint}`).join(", ")
        }`,
      );
    }
    const authorizedKeys = o.authorizedKeys ?? `${o.home}/.ssh/authorized_keys`;
    _refuseNotRegular(authorizedKeys, "--authorized-keys");
    _refuseWritableByOthers(authorizedKeys);
    if (o.passwordFile) {
      _refuseNotRegular(o.passwordFile, "--password-file");
      _refuseWritableByOthers(o.passwordFile);
      // Missing, or a bad line: said now, not at the first login.
      readPasswordEntries(o.passwordFile);
    }
    const usable = checkAuthorizedKeys(authorizedKeys, o.logger);
    if (!o.authNone && !usable && !o.passwordFile) {
      throw new SockhopError(
        `No way to log in: ${authorizedKeys} has no usable key and no --password-file was given; add a key or a password file`,
        "usage-auth",
      );
    }
    server = createSshServer({
      hostKeys,
      auth: {
        user: o.user,
        authorizedKeys,
        ...(o.passwordFile
          ? {
            passwordFile: o.passwordFile,
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
