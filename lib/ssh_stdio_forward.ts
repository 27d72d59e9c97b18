/**
 * `-W host:port`: stdin and stdout as a TCP stream from the server to host:port
 * (a direct-tcpip channel), as ssh's stdio forwarding; what makes `sockhop ssh` a
 * ProxyCommand for other clients, and a jump host's hop.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import { type Duplex, relay } from "./relay.ts";
import { fromNodeStreams, fromStdio } from "./streams.ts";

/** Relay stdio to host:port through the server until either side ends. */
export async function stdioForward(
  client: ssh2.Client,
  to: { readonly host: string; readonly port: number },
  signal: AbortSignal,
): Promise<void> {
  const channel = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
    client.forwardOut("127.0.0.1", 0, to.host, to.port, (err, ch) => {
      if (err) {
        reject(
          new SockhopError(
            `stdio forwarding to ${to.host}:${to.port} failed: ${err.message}`,
            "ssh-failed",
          ),
        );
      } else resolve(ch);
    });
  });
  const closed = new Promise<void>((r) => channel.once("close", () => r()));
  const remote: Duplex = {
    ...fromNodeStreams(channel, channel, () => channel.close()),
    ended: closed,
  };
  const result = await relay(fromStdio(), remote, { signal });
  if (result.error && !signal.aborted && result.failed === "b") {
    throw new SockhopError(`stdio forwarding: ${result.error.message}`, "ssh-failed");
  }
}
