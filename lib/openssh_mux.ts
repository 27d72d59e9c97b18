/**
 * forward's connection with ssh or plink: one process running `_proxy --mux NAME`, every
 * tunnel a stream inside its one channel (lib/mux_connection.ts). One SSH connection and one
 * session whatever the number of tunnels: sshd's MaxStartups (unauthenticated connections)
 * and MaxSessions (channels per connection, which a ControlMaster's clients meet) are never
 * reached, and it works the same with plink and on Windows, where there is no ControlMaster.
 */

import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { readMarker } from "./marker.ts";
import { exitWithin, programFailure, startSsh } from "./openssh.ts";
import { buildSshInvocation } from "./openssh_argv.ts";
import type { ProgramRoute } from "./route.ts";
import { fromNodeStreams, nodeChunks, withPrefix } from "./streams.ts";
import type { Connection, Connector } from "./transport.ts";
import { FORWARD_KEEPALIVE } from "./forward_keepalive.ts";
import { muxConnection } from "./mux_connection.ts";

export function programConnector(route: ProgramRoute, logger: Logger): Connector {
  return {
    async connect(signal): Promise<Connection> {
      const inv = buildSshInvocation({ ...route, remoteCommand: route.muxCommand });
      const ssh = await startSsh(inv, false, logger);
      const onAbort = () => ssh.kill();
      signal.addEventListener("abort", onAbort, { once: true });
      const chunks = nodeChunks(ssh.child.stdout);
      const marker = await readMarker(chunks).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
      if (marker.kind !== "ok") {
        ssh.child.stdin.destroy();
        const { status } = await exitWithin(ssh, 5000);
        throw programFailure(route, ssh, status, marker);
      }
      logger.debug("ssh", "the session is there; one channel carries every tunnel");
      const base = fromNodeStreams(ssh.child.stdout, ssh.child.stdin);
      const program = route.words[0] ?? "ssh";
      return muxConnection({
        chunks: withPrefix(base, marker.rest, chunks).readable,
        write: base.write,
        keepalive: route.keepalive ?? FORWARD_KEEPALIVE,
        gone: ssh.exited.then((status) => {
          const last = ssh.stderrTail().at(-1);
          return new SockhopError(
            `${program} exited (status ${status})${last ? `: ${last}` : ""}`,
            "ssh-dead",
          );
        }),
        close() {
          ssh.kill();
          return ssh.exited.then(() => {});
        },
      });
    },
  };
}
