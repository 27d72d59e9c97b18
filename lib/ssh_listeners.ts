/** Starting the built-in SSH server's listeners for `serve`: --bind-ssh and --bind-tcp. */

import type net from "node:net";
import { SockhopError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { SessionDirs } from "./sessions.ts";
import { configDir } from "./env.ts";
import { loadHostKeys } from "./host_keys.ts";
import { checkAuthorizedKeys } from "./server_auth.ts";
import { readPasswordEntries } from "./password_file.ts";
import { createSshServer, listenSsh } from "./server.ts";
import { listenTcp } from "./tcp_upgrade.ts";
import { isLoopback, parseHostPort } from "./address.ts";

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

export async function startSshListeners(o: SshListenOptions): Promise<SshListeners> {
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
  const listeners: net.Server[] = [];
  const addresses: string[] = [];
  let server: ReturnType<typeof createSshServer> | undefined;
  if (wantSsh) {
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
    _refuseWritableByOthers(authorizedKeys);
    if (o.passwordFile) {
      _refuseWritableByOthers(o.passwordFile);
      readPasswordEntries(o.passwordFile); // a bad line is named now, not at the first login
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
        ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}),
        none: o.authNone,
      },
      dirs: o.dirs,
      ...(o.session !== undefined ? { only: o.session } : {}),
      loginGraceSeconds: o.loginGraceSeconds,
      maxUnauthenticated: 100,
      maxUnauthenticatedPerSource: 10,
      logger: o.logger,
    });
  }
  try {
    for (const b of binds) {
      const l = await listenSsh(server!, b.host, b.port);
      listeners.push(l);
      addresses.push(`ssh:${_addr(l)}`);
    }
    for (const t of tcps) {
      const raw = o.bindTcpRaw || isLoopback(t.host);
      const l = await listenTcp(
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
      addresses.push(`tcp:${_addr(l)}`);
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

function _addr(l: net.Server): string {
  const a = l.address();
  if (a && typeof a === "object") {
    return `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`;
  }
  return String(a);
}
