/** Running `sockhop forward` in tests, and talking through its listener. */

import { HANG_MS, sockhopArgv, stopChild, within } from "./_cli.ts";
import { parseListen } from "../lib/forward.ts";

/** Start `sockhop forward ARGS`; resolves with the address it printed. */
export async function startForward(args: string[], env: Record<string, string>) {
  const [cmd, ...rest] = sockhopArgv();
  const child = new Deno.Command(cmd!, {
    args: [...rest, "forward", ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      log += r.value;
    }
  })();
  const deadline = Date.now() + 15000;
  let where: string | undefined;
  while (!(where = /forwarding ([^\s,]+)[ ,]/.exec(log)?.[1])) {
    // forward's log lines are stamped (stderr is no terminal); main.ts's error line is not.
    if (Date.now() > deadline || /^sockhop: /m.test(log)) {
      child.kill("SIGKILL");
      await child.status;
      await reading;
      throw new Error(`forward did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    where,
    pid: child.pid,
    status: child.status,
    log: () => log,
    async stop(signal: Deno.Signal = "SIGINT") {
      const status = await stopChild(child, signal);
      await reading;
      return status.code;
    },
  };
}

/** Send `data` over a TCP or unix connection, half-close, and read the whole reply. */
export async function exchange(where: string, data: Uint8Array): Promise<Uint8Array> {
  const addr = parseListen(where);
  const conn = addr.kind === "tcp"
    ? await Deno.connect({ hostname: addr.host, port: addr.port })
    : await Deno.connect({ transport: "unix", path: addr.path });
  const writing = (async () => {
    const w = conn.writable.getWriter();
    await w.write(data);
    await conn.closeWrite();
  })();
  const reply = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  await writing;
  return reply;
}

/** Each payload through its own connection at once; their replies (a hang fails, naming `log`). */
export function exchangeAll(
  where: string,
  payloads: Uint8Array[],
  log: () => string = () => "",
): Promise<Uint8Array[]> {
  return within(
    HANG_MS,
    `${payloads.length} connections through ${where}`,
    Promise.all(payloads.map((p) => exchange(where, p))),
    log,
  );
}
