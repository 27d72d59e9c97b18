/**
 * A hostile SSH server for tests (asyncssh, python3): escape sequences in its auth banner and
 * in keyboard-interactive's name, instructions and prompts, and keyboard-interactive that never
 * ends (a new question for every answer, or rounds with no question at all).
 */

import { PYTHON } from "./_ssh_clients.ts";
import { requirePeer } from "./_sshd.ts";

/** What the server sends that a terminal must never see raw. */
export const HOSTILE = {
  banner: "Welcome\x1b]0;pwned-title\x07 to\x1b[2J\x1b[H here\r\nsecond line\x9b31m\n",
  name: "\x1b]0;name-title\x07Login",
  instructions: "\x1b[2JRead\x1b[5m this",
  prompt: "\x1b[31mCode\x1b[0m: ",
};

const SCRIPT = `
import asyncio, sys, asyncssh
mode, host_key, banner, name, instructions, prompt = sys.argv[1:7]
rounds = 0

class Server(asyncssh.SSHServer):
    def connection_made(self, conn):
        self.conn = conn
    def begin_auth(self, username):
        self.conn.send_auth_banner(banner)
        return True
    def password_auth_supported(self):
        return False
    def public_key_auth_supported(self):
        return False
    def kbdint_auth_supported(self):
        return True
    def get_kbdint_challenge(self, username, lang, submethods):
        return self.challenge()
    def validate_kbdint_response(self, username, responses):
        global rounds
        rounds += 1
        print("round %d" % rounds, file=sys.stderr, flush=True)
        if mode == "once":
            return False
        return self.challenge()
    def challenge(self):
        if mode == "empty":
            return (name, instructions, "", [])
        return (name, instructions, "", [(prompt, False)])

async def main():
    server = await asyncssh.create_server(Server, "127.0.0.1", 0, server_host_keys=[host_key])
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Future()

asyncio.run(main())
`;

export interface HostileServer extends AsyncDisposable {
  readonly port: number;
  /** What it printed on stderr: one "round N" line per keyboard-interactive response. */
  log(): string;
}

/** Whether asyncssh is there (skips, or fails under SOCKHOP_REQUIRE_PEERS=1). */
export function haveAsyncssh(): boolean {
  return requirePeer(
    "asyncssh",
    "/usr/lib/python3/dist-packages/asyncssh/__init__.py",
    "python3-asyncssh",
  );
}

/**
 * Start it in `dir`. `mode`: "forever" asks again after every answer, "empty" asks rounds with
 * no question for ever, "once" asks once and then refuses.
 */
export async function startHostileServer(
  dir: string,
  mode: "forever" | "empty" | "once",
): Promise<HostileServer> {
  const hostKey = `${dir}/hostile_host_key`;
  await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ed25519", "-N", "", "-f", hostKey] })
    .output();
  await Deno.writeTextFile(`${dir}/hostile.py`, SCRIPT);
  const child = new Deno.Command(PYTHON, {
    args: [
      `${dir}/hostile.py`,
      mode,
      hostKey,
      HOSTILE.banner,
      HOSTILE.name,
      HOSTILE.instructions,
      HOSTILE.prompt,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) log += dec.decode(chunk, { stream: true });
  })();
  const reader = child.stdout.getReader();
  let out = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += dec.decode(value);
  }
  clearTimeout(timer);
  const port = Number(out.trim());
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
    await child.status;
    await reading;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
  };
  if (!port) {
    await stop();
    throw new Error(`The hostile server did not start:\n${log}`);
  }
  return { port, log: () => log, [Symbol.asyncDispose]: stop };
}
