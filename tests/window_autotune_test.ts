/**
 * Channel windows that grow with the bandwidth-delay product (lib/ssh2_windows.ts): the
 * policy as pure logic; then through a latency proxy (bench/latency_proxy.ts) against OpenSSH's
 * sshd and sockhop's own server: every byte arrives, the windows grow on a long link, and a
 * slow reader holds a bounded amount.
 */

import assert from "node:assert/strict";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { randomBytes, runSockhop, sha256, startServe, tempDir, testEnv, within } from "./_cli.ts";
import { nativeFlags, requirePeer, startSshd } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { authorizeClientKey, opensshWords, servePort, USER } from "./_serve_ssh.ts";
import { startLatencyProxy } from "../bench/latency_proxy.ts";
import {
  autotuneWindows,
  CHANNEL_MAX_WINDOW,
  INITIAL_WINDOW,
  LinkRtt,
  TunedWindow,
  tunedWindowOf,
  WindowBudget,
} from "../lib/ssh2_windows.ts";

const MIB = 1024 * 1024;
/** 100 ms round trips: a 2 MiB window then caps a channel at 21 MB/s. */
const ONE_WAY_MS = 50;

Deno.test("windows: grow when a round trip's worth of data fills half the window", () => {
  const budget = new WindowBudget(64 * MIB);
  const w = new TunedWindow(budget, 16 * MIB);
  // Unknown round trip: no growth, however fast the data.
  for (let t = 0; t < 1000; t += 10) w.onData(4 * MIB, t, false, INITIAL_WINDOW, undefined);
  assert.equal(w.target, INITIAL_WINDOW);
  // 100 ms round trip, 2 MiB per round trip (window-bound): grows fourfold, then to the cap.
  w.onData(32768, 1000, false, INITIAL_WINDOW, 100);
  w.onData(2 * MIB, 1100, false, INITIAL_WINDOW, 100);
  assert.equal(w.target, 8 * MIB);
  assert.equal(w.onData(32768, 1101, false, 4 * MIB, 100), 4 * MIB, "topped up to 8 MiB");
  w.onData(8 * MIB, 1200, false, 8 * MIB, 100);
  assert.equal(w.target, 16 * MIB);
  w.onData(16 * MIB, 1300, false, 8 * MIB, 100);
  assert.equal(w.target, 16 * MIB, "capped per channel");
  assert.equal(budget.used, 14 * MIB);
  // A fast link that is far from filling the window: no growth.
  const calm = new TunedWindow(budget, 16 * MIB);
  calm.onData(32768, 0, false, INITIAL_WINDOW, 1);
  for (let t = 10; t < 1000; t += 10) calm.onData(512 * 1024, t, false, INITIAL_WINDOW, 1);
  assert.equal(calm.target, INITIAL_WINDOW);
  w.release();
  assert.equal(budget.used, 0, "a closed channel gives its share back");
});

Deno.test("windows: a slow reader halves the window and gets no more until it reads", () => {
  const budget = new WindowBudget(64 * MIB);
  const w = new TunedWindow(budget, 16 * MIB);
  w.onData(1, 0, false, INITIAL_WINDOW, 100);
  w.onData(2 * MIB, 100, false, INITIAL_WINDOW, 100);
  w.onData(8 * MIB, 200, false, 8 * MIB, 100);
  assert.equal(w.target, 16 * MIB);
  assert.equal(w.onData(32768, 300, true, 1 * MIB, 100), 0, "nothing granted while behind");
  w.onDrain(310);
  assert.equal(w.target, 16 * MIB, "a short lag (a burst) is not slowness");
  w.onData(32768, 400, true, 1 * MIB, 100);
  w.onDrain(1400);
  assert.equal(w.target, 8 * MIB);
  for (let t = 2000; t < 10000; t += 2000) {
    w.onData(32768, t, true, 0, 100);
    w.onDrain(t + 1000);
  }
  assert.equal(w.target, INITIAL_WINDOW, "never below ssh2's own window");
  assert.equal(budget.used, 0);
});

Deno.test("windows: one budget per process bounds every channel's growth", () => {
  const budget = new WindowBudget(20 * MIB);
  const grown = [0, 1, 2].map(() => {
    const w = new TunedWindow(budget, 16 * MIB);
    w.onData(1, 0, false, INITIAL_WINDOW, 100);
    w.onData(2 * MIB, 100, false, INITIAL_WINDOW, 100);
    w.onData(8 * MIB, 200, false, 8 * MIB, 100);
    return w;
  });
  assert.deepEqual(grown.map((w) => w.target), [16 * MIB, 8 * MIB, INITIAL_WINDOW]);
  assert.equal(budget.used, 20 * MIB);
  grown[0]!.release();
  assert.equal(budget.used, 6 * MIB);
});

Deno.test("windows: the round trip is the least time a request took", () => {
  let sent = 0;
  const link = new LinkRtt(() => sent++);
  link.maybePing(0);
  link.maybePing(10);
  assert.equal(sent, 1, "one request out at a time");
  link.onReply(120);
  assert.equal(link.rtt, 120);
  link.maybePing(500);
  assert.equal(sent, 1, "not again so soon");
  link.maybePing(5000);
  link.onReply(5090);
  link.maybePing(9000);
  link.onReply(9300);
  assert.equal(link.rtt, 90);
});

/** An sshd behind the latency proxy, with the proxy's port in its known_hosts. */
async function sshdBehindProxy() {
  const sshd = await startSshd();
  const proxy = startLatencyProxy(sshd.port, ONE_WAY_MS);
  await Deno.writeTextFile(sshd.knownHosts, `[127.0.0.1]:${proxy.port} ${sshd.hostKeyLine}\n`, {
    append: true,
  });
  return {
    sshd,
    port: proxy.port,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await sshd.stop();
    },
  };
}

/** ssh2's client with the tuning, logged in to `sshd` through `port`. */
async function tunedClient(sshd: Awaited<ReturnType<typeof startSshd>>, port: number) {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
    client.connect({
      host: "127.0.0.1",
      port,
      username: sshd.user,
      privateKey: Deno.readTextFileSync(sshd.clientKey),
      readyTimeout: 120_000,
    });
    autotuneWindows(client);
  });
  return client;
}

function exec(client: ssh2.Client, command: string): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, channel) => err ? reject(err) : resolve(channel))
  );
}

Deno.test("windows: ssh2's client through a 100 ms link grows its window, every byte intact", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  const data = randomBytes(48 * MIB);
  await Deno.writeFile(`${dir}/data.bin`, data);
  await using link = await sshdBehindProxy();
  const client = await tunedClient(link.sshd, link.port);
  try {
    const channel = await exec(client, `cat '${dir}/data.bin'`);
    const chunks: Uint8Array[] = [];
    let most = INITIAL_WINDOW;
    for await (const chunk of channel) {
      chunks.push(chunk);
      most = Math.max(most, tunedWindowOf(channel));
    }
    assert.equal(await sha256(_concat(chunks)), await sha256(data));
    assert.ok(most > INITIAL_WINDOW, `the window stayed at ${most} bytes`);
    assert.ok(most <= CHANNEL_MAX_WINDOW);
  } finally {
    client.end();
  }
});

Deno.test("windows: a slow reader holds at most its window, and the window shrinks", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using link = await sshdBehindProxy();
  const client = await tunedClient(link.sshd, link.port);
  try {
    const channel = await exec(client, "head -c 400000000 /dev/zero");
    let received = 0;
    let buffered = 0;
    let most = INITIAL_WINDOW;
    // Fast until the window has grown, then 256 KiB every 20 ms (13 MB/s, slower than the link).
    for (;;) {
      const chunk: Uint8Array | null = channel.read();
      if (chunk === null) {
        await within(
          60_000,
          "data on the channel",
          new Promise((r) => channel.once("readable", r)),
        );
        continue;
      }
      received += chunk.length;
      most = Math.max(most, tunedWindowOf(channel));
      if (most === CHANNEL_MAX_WINDOW && received > 64 * MIB) break;
      if (received > 300 * MIB) break;
    }
    assert.equal(most, CHANNEL_MAX_WINDOW, "the window grew to its cap first");
    for (let i = 0; i < 250; i++) {
      await new Promise((r) => setTimeout(r, 20));
      let n = 0;
      while (n < 262144) {
        const chunk: Uint8Array | null = channel.read();
        if (chunk === null) break;
        n += chunk.length;
      }
      buffered = Math.max(buffered, channel.readableLength);
    }
    // What arrived unread: at most ssh2's readable buffer plus one (largest) window.
    assert.ok(
      buffered <= INITIAL_WINDOW + CHANNEL_MAX_WINDOW + 262144,
      `${buffered} bytes buffered`,
    );
    assert.ok(tunedWindowOf(channel) < CHANNEL_MAX_WINDOW, "the window shrank");
    channel.destroy();
  } finally {
    client.end();
  }
});

Deno.test("windows: connect --ssh=native downloads through a 100 ms link intact, window grown", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  const data = randomBytes(32 * MIB);
  await Deno.writeFile(`${dir}/data.bin`, data);
  await using link = await sshdBehindProxy();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const remote = await markerWrapper(`${dir}`, `cat '${dir}/data.bin'`);
  const r = await runSockhop([
    "connect",
    ...nativeFlags(link.sshd),
    "--debug=ssh",
    `--remote-sockhop=${remote}`,
    `ssh://${link.sshd.user}@127.0.0.1:${link.port}/down`,
  ], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256(r.stdout), await sha256(data));
  assert.match(r.stderr, /channel receive window now (8|16) MiB/);
});

Deno.test("windows: uploads to sockhop's server through a 100 ms link, native and OpenSSH", async () => {
  if (!requirePeer("ssh", "ssh", "openssh-client")) return;
  await using dir = await tempDir();
  const env = testEnv(`${dir}/s`, { XDG_CONFIG_HOME: `${dir}/config` });
  const key = await authorizeClientKey(`${dir}`);
  await using server = await startServe([
    "--debug=ssh",
    "--bind-ssh=127.0.0.1:0",
    `--authorized-keys=${dir}/authorized_keys`,
    "sum",
    "exec:sha256sum",
  ], env);
  await using proxy = startLatencyProxy(servePort(server), ONE_WAY_MS);
  const data = randomBytes(32 * MIB);
  const want = `${await sha256(data)}  -\n`;
  const native = await runSockhop([
    "connect",
    `ssh://${USER}@127.0.0.1:${proxy.port}/sum`,
    "--ssh=native",
    "-F",
    "none",
    "-i",
    key,
    "--insecure-accept-any-host-key",
  ], { env, stdin: data });
  assert.equal(native.code, 0, native.stderr);
  assert.equal(new TextDecoder().decode(native.stdout), want);
  const ssh = new Deno.Command("ssh", {
    args: [...opensshWords(key, { port: proxy.port, user: USER }), "sockhop", "_proxy", "sum"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writing = (async () => {
    const w = ssh.stdin.getWriter();
    await w.write(data).catch(() => {});
    await w.close().catch(() => {});
  })();
  const [out] = await Promise.all([ssh.output(), writing]);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), `SOCKHOP/1 OK\n${want}`);
  assert.match(server.log(), /channel receive window now (8|16) MiB/);
});

function _concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
