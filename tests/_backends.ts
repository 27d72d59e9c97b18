/** The three SSH backends as tests pick them: the system ssh, plink and the built-in client. */

import assert from "node:assert/strict";
import { nativeFlags, requirePeer, type Sshd } from "./_sshd.ts";
import { sshOption } from "./_remote.ts";

const dec = new TextDecoder();

export interface Backend {
  readonly name: string;
  /** Whether its programs are here (a missing one skips, or fails under SOCKHOP_REQUIRE_PEERS). */
  available(): boolean;
  /** The flags that pick it and let it in, given the sshd and a scratch dir. */
  flags(sshd: Sshd, dir: string): Promise<string[]>;
}

export const BACKENDS: readonly Backend[] = [
  {
    name: "openssh",
    available: () => requirePeer("ssh", "ssh", "openssh-client"),
    flags: (sshd) => Promise.resolve([`--ssh=${sshOption(sshd.sshWords())}`]),
  },
  {
    name: "plink",
    available: () =>
      requirePeer("plink", "plink", "putty-tools") &&
      requirePeer("puttygen", "puttygen", "putty-tools"),
    async flags(sshd, dir) {
      // plink reads PuTTY's key format only.
      const ppk = `${dir}/client.ppk`;
      const conv = await new Deno.Command("puttygen", {
        args: [sshd.clientKey, "-O", "private", "-o", ppk],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(conv.code, 0, dec.decode(conv.stderr));
      return [`--ssh=plink -ssh -noagent -i ${ppk}`, `--host-key=${sshd.hostKeyFingerprint}`];
    },
  },
  {
    name: "native",
    available: () => true,
    flags: (sshd) =>
      Promise.resolve([
        ...nativeFlags(sshd),
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
      ]),
  },
];
