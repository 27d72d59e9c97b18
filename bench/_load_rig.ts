/**
 * Everything the load measurements need, started here and stopped by dispose: a temp dir, a
 * real sshd, the sessions, the built-in server (its host key in sshd's known_hosts file).
 */

import { randomBytes, type ServeProcess, startServe, tempDir, testEnv } from "../tests/_cli.ts";
import { nativeFlags, type Sshd, startSshd } from "../tests/_sshd.ts";
import { sockhopWrapper } from "../tests/_remote.ts";

/** OpenSSH's own first choice. */
export const CIPHER = "chacha20-poly1305@openssh.com";

export interface Rig extends AsyncDisposable {
  readonly env: Record<string, string>;
  readonly sshd: Sshd;
  /** `serve --bind-ssh` in front of every session below. */
  readonly builtin: ServeProcess;
  /**
   * Sessions: `hello` (echo ready), `cat`, `zero` (`slowBytes` zeros), `blob` (prints
   * "ready", reads a byte count N, sends the first N bytes of `data`).
   */
  readonly zero: ServeProcess;
  readonly data: Uint8Array;
  /** The socket path of session `blob`. */
  readonly blobSocket: string;
  /** OpenSSH `ssh` to the built-in server from the loopback address `source`, running `command`. */
  sshToBuiltin(source: string, ...command: string[]): string[];
  /**
   * `sockhop forward` arguments: session `name` through the real sshd with the native client,
   * by `_proxy` (this checkout as the remote sockhop) or with `remoteSocket` over
   * direct-streamlocal.
   */
  forwardArgs(name: string, remoteSocket?: string): string[];
}

export async function startRig(slowBytes: number, dataBytes: number): Promise<Rig> {
  await using stack = new AsyncDisposableStack();
  const dir = stack.use(await tempDir("sockhop-load-"));
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const sshd = stack.use(await startSshd());
  const data = randomBytes(dataBytes);
  const blob = `${dir}/blob.bin`;
  await Deno.writeFile(blob, data);
  const serve = async (...args: string[]) => stack.use(await startServe(args, env));
  await serve("hello", "exec:echo", "ready");
  await serve("cat", "exec:cat");
  const zero = await serve("zero", "exec:head", "-c", String(slowBytes), "/dev/zero");
  const blobServe = await serve(
    "blob",
    "exec:sh",
    "-c",
    `echo ready; read n; exec head -c "$n" '${blob}'`,
  );
  await Deno.writeTextFile(`${dir}/ak`, await Deno.readTextFile(`${sshd.clientKey}.pub`));
  const builtin = await serve("--bind-ssh=127.0.0.1:0", `--authorized-keys=${dir}/ak`);
  const port = Number(/listening on ssh:127\.0\.0\.1:(\d+)/.exec(builtin.log())![1]);
  const hostKey = await Deno.readTextFile(`${dir}/config/sockhop/ssh_host_ed25519_key.pub`);
  const keyLine = hostKey.trim().split(/\s+/).slice(0, 2).join(" ");
  await Deno.writeTextFile(sshd.knownHosts, `[127.0.0.1]:${port} ${keyLine}\n`, { append: true });
  const wrapper = await sockhopWrapper(`${dir}`, `${dir}/s`);
  const owned = stack.move();
  return {
    env,
    sshd,
    builtin,
    zero,
    data,
    blobSocket: / at (\/\S+)/.exec(blobServe.log())![1]!,
    sshToBuiltin: (source, ...command) => [
      ...sshd.sshWords(),
      "-c",
      CIPHER,
      "-p",
      String(port),
      "-o",
      `BindAddress=${source}`,
      `${sshd.user}@127.0.0.1`,
      ...command,
    ],
    forwardArgs: (name, remoteSocket) => [
      "forward",
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}/${name}`,
      "--listen=tcp:127.0.0.1:0",
      // The client's own cipher choice (chacha20-poly1305 first), as a user would get.
      ...nativeFlags(sshd),
      remoteSocket ? `--remote-socket=${remoteSocket}` : `--remote-sockhop=${wrapper}`,
    ],
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}
