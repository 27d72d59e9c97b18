/**
 * Opening SSH connections with the built-in client: one hop or a chain of jump hosts, each
 * with its own config, host key check and authentication.
 */

import net from "node:net";
import { Duplex as NodeDuplex } from "node:stream";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";
import { SockhopError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { localEnv } from "./env.ts";
import type { SshConfig } from "./ssh_config.ts";
import type { NativeHop, NativeRoute } from "./route.ts";
import { resolveAlgorithms } from "./ssh_algorithms.ts";
import { hostKeyCallback, hostVerifier } from "./native_host_key.ts";
import { nativeAuth } from "./native_auth.ts";
import { makePrompter } from "./prompt.ts";
import { readKnownHosts } from "./known_hosts.ts";
import { VERSION } from "./version.ts";
import { compact } from "./compact.ts";
import { proxyCommandSocket } from "./native_proxy_command.ts";
import { autotuneWindows, windowMessage } from "./ssh2_windows.ts";

export interface NativeConnection {
  /** The connection to the final host. */
  readonly client: ssh2.Client;
  readonly config: SshConfig;
  /** Ends every hop. */
  close(): void;
  /** Resolves when the final connection has closed; with the reason if it failed. */
  readonly closed: Promise<Error | undefined>;
}

/** Connect through every hop to the final host. */
export async function connectNative(route: NativeRoute, logger: Logger): Promise<NativeConnection> {
  const jumps = route.hops.slice(0, -1);
  const final = route.hops.at(-1)!;
  const clients: ssh2.Client[] = [];
  const closeAll = () => {
    for (const c of clients.reverse()) c.end();
  };
  try {
    // Each hop forwards to the next hop, the last one to the target.
    let sock: NodeDuplex | undefined;
    for (let i = 0; i < jumps.length; i++) {
      const cfg = jumps[i]!.config;
      logger.debug("ssh", `jump host ${i + 1}: ${cfg.user}@${cfg.hostName}:${cfg.port}`);
      const client = await _connectOne(jumps[i]!, sock, logger);
      clients.push(client);
      const next = route.hops[i + 1]!.config;
      sock = await _forward(client, next.hostName, next.port, cfg);
    }
    const client = await _connectOne(final, sock, logger);
    clients.push(client);
    const closed = new Promise<Error | undefined>((resolve) => {
      let error: Error | undefined;
      client.on("error", (err) => error = _clientError(err, final.config));
      client.on("close", () => resolve(error));
    });
    return { client, config: final.config, close: closeAll, closed };
  } catch (err) {
    closeAll();
    throw err;
  }
}

function _forward(
  client: ssh2.Client,
  host: string,
  port: number,
  via: SshConfig,
): Promise<NodeDuplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
      if (err) {
        reject(
          new SockhopError(
            `Jump host ${via.hostName} cannot reach ${host}:${port}: ${err.message}`,
            "ssh-failed",
          ),
        );
      } else resolve(_deferWrites(stream));
    });
  });
}

/**
 * The inner connection's socket is a channel of the outer one. ssh2's pure-JS
 * chacha20-poly1305 writes the encrypted length before it finishes the packet and keeps its
 * nonce in a module-wide buffer: a synchronous write into the outer connection, which
 * encrypts with that same buffer, corrupts the inner packet. Deferring each write to a
 * microtask lets the inner packet finish first; order is kept.
 */
function _deferWrites(channel: NodeDuplex): NodeDuplex {
  const proxy: NodeDuplex = new NodeDuplex({
    allowHalfOpen: true,
    read() {
      channel.resume();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      queueMicrotask(() => {
        if (channel.write(chunk)) callback();
        else channel.once("drain", () => callback());
      });
    },
    final(callback) {
      queueMicrotask(() => channel.end(callback));
    },
    destroy(err, callback) {
      channel.destroy();
      callback(err);
    },
  });
  channel.on("data", (chunk: Uint8Array) => {
    if (!proxy.push(chunk)) channel.pause();
  });
  channel.on("end", () => proxy.push(null));
  channel.on("close", () => proxy.destroy());
  channel.on("error", (err: Error) => proxy.destroy(err));
  return proxy;
}

/**
 * ssh2 writes each packet to the socket in pieces (chacha20-poly1305: length, body, MAC) and
 * a channel's chunk as several packets in one go: each write is a call into Deno's runtime.
 * Corked until the current job ends, a burst goes as one write; nothing waits longer.
 */
function _batchWrites(sock: net.Socket) {
  const write = sock.write;
  let corked = false;
  sock.write = function (this: net.Socket, ...args: Parameters<net.Socket["write"]>) {
    if (!corked) {
      corked = true;
      this.cork();
      queueMicrotask(() => {
        corked = false;
        this.uncork();
      });
    }
    return write.apply(this, args);
  } as net.Socket["write"];
}

function _tcpConnect(cfg: SshConfig): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const family = { any: 0, inet: 4, inet6: 6 }[cfg.session.family];
    // An address of the other family is not looked up, so the family check is ours (ssh -4/-6).
    const literal = net.isIP(cfg.hostName);
    if (family && literal && literal !== family) {
      reject(
        new SockhopError(
          `Cannot connect to ${cfg.hostName}: not an IPv${family} address (AddressFamily, -4/-6)`,
          "ssh-failed",
        ),
      );
      return;
    }
    const sock = net.connect({ host: cfg.hostName, port: cfg.port, family });
    const timer = cfg.connectTimeout > 0
      ? setTimeout(() => {
        sock.destroy();
        reject(
          new SockhopError(
            `Cannot connect to ${cfg.hostName} port ${cfg.port}: no answer within ConnectTimeout ${cfg.connectTimeout} s`,
            "ssh-failed",
          ),
        );
      }, timerMs(cfg.connectTimeout))
      : undefined;
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      _batchWrites(sock);
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(
        new SockhopError(
          `Cannot connect to ${cfg.hostName} port ${cfg.port}: ${err.message}; check the host and port, and that an SSH server listens there`,
          "ssh-failed",
        ),
      );
    });
  });
}

async function _connectOne(
  hop: NativeHop,
  sock: NodeDuplex | undefined,
  logger: Logger,
): Promise<ssh2.Client> {
  const cfg = hop.config;
  const env = localEnv();
  // Algorithms first: a list that leaves nothing is the user's to fix, before any connection.
  const kex = resolveAlgorithms("kex", cfg.algorithms.kex, "KexAlgorithms");
  const cipher = resolveAlgorithms("cipher", cfg.algorithms.ciphers, "Ciphers");
  const hmac = resolveAlgorithms("hmac", cfg.algorithms.macs, "MACs");
  const hostKeys = resolveAlgorithms("serverHostKey", cfg.algorithms.hostKey, "HostKeyAlgorithms");
  // BatchMode from any config file or -o: no question is asked for this hop.
  const prompter = makePrompter({ batchMode: cfg.batchMode, env: Deno.env });
  // Read once: for the key types to prefer, then for the check.
  const knownHosts = readKnownHosts([...cfg.knownHosts.userFiles, ...cfg.knownHosts.globalFiles]);
  const check = hostVerifier(hostKeyCallback(hop.hostKey, cfg, knownHosts, prompter, logger));
  let abort = (_err: SockhopError) => {};
  const auth = nativeAuth({
    abort: (err) => abort(err),
    config: cfg,
    // -i is in the destination's config (IdentityFile), as ssh has it; this is the key a URL or
    // connection file names for this hop.
    extraKeys: hop.key ? [hop.key] : [],
    ...compact({ password: hop.password }),
    prompter,
    logger,
    env: Deno.env,
    home: env.home,
  });
  const known = knownHosts.keyTypes(cfg.hostName, cfg.port, cfg.knownHosts.alias);
  // Prefer the key types already on record, as OpenSSH does, so a known host is not "unknown".
  // As ssh's order_hostkeyalgs, and only when HostKeyAlgorithms is not set (ssh sends a list
  // the user gave, + - ^ included, as it is).
  const preferred = cfg.algorithms.hostKey
    ? hostKeys
    : [...hostKeys.filter((k) => known.some((t) => _sameFamily(t, k))), ...hostKeys];
  const socket = sock ?? (_proxied(cfg) ? proxyCommandSocket(cfg, logger) : await _tcpConnect(cfg));
  const client = new ssh2.Client();
  const t0 = performance.now();
  return await new Promise<ssh2.Client>((resolve, reject) => {
    let settled = false;
    // As in OpenSSH, ConnectTimeout covers the banner exchange too: a server that accepts and
    // then says nothing is given up on.
    const banner = cfg.connectTimeout > 0
      ? setTimeout(() => {
        if (settled) return;
        settled = true;
        client.end();
        socket.destroy();
        reject(
          new SockhopError(
            `Connection to ${cfg.hostName} port ${cfg.port} timed out during banner exchange (ConnectTimeout ${cfg.connectTimeout} s)`,
            "ssh-failed",
          ),
        );
      }, timerMs(cfg.connectTimeout))
      : undefined;
    client.once("handshake", () => clearTimeout(banner));
    client.once("close", () => clearTimeout(banner));
    client.on("handshake", (n) => {
      logger.debug(
        "ssh",
        `negotiated: kex ${n.kex}, host key ${n.serverHostKey}, cipher ${n.cs.cipher}, mac ${
          n.cs.mac || "(in the cipher)"
        }`,
      );
    });
    client.on("banner", (message) => logger.info(message.trimEnd()));
    abort = (err) => {
      if (settled) return;
      settled = true;
      client.end();
      socket.destroy();
      reject(err);
    };
    client.once("ready", () => {
      settled = true;
      logger.debug(
        "ssh",
        `authenticated to ${cfg.user}@${cfg.hostName}:${cfg.port} in ${
          (performance.now() - t0).toFixed(0)
        } ms`,
      );
      resolve(client);
    });
    // on, not once: ssh2 emits more than one error during authentication, some of which it
    // goes on from (docs/upstream/client-sign-error-is-not-fatal.md).
    client.on("error", (err: Error & { level?: string }) => {
      if (settled || auth.isNonFatal(err)) return;
      settled = true;
      client.end();
      const hk = check.failure();
      if (hk) reject(hk);
      else if (err.level === "client-authentication") reject(auth.failure());
      else reject(_clientError(err, cfg));
    });
    client.once("close", () => {
      if (settled) return;
      settled = true;
      reject(
        check.failure() ??
          new SockhopError(
            `${cfg.hostName} closed the connection during the handshake`,
            "ssh-failed",
          ),
      );
    });
    client.connect({
      sock: socket as unknown as ssh2.ConnectConfig["sock"] & object,
      username: cfg.user,
      host: cfg.hostName,
      port: cfg.port,
      ident: `sockhop_${VERSION}`,
      readyTimeout: 120_000,
      // direct-streamlocal works with any server that has it (sockhop's own too), not only
      // with those whose version string says OpenSSH.
      strictVendor: false,
      keepaliveInterval: timerMs(cfg.keepalive.interval),
      keepaliveCountMax: cfg.keepalive.countMax,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        check.verify(new Uint8Array(key)).then(verify, () => verify(false));
      },
      authHandler: auth.handler,
      // -A (sockhop ssh): ssh2 asks for agent forwarding on each session channel.
      ...(hop.agentForward ? { agent: hop.agentForward, agentForward: true } : {}),
      algorithms: {
        kex,
        serverHostKey: [...new Set(preferred)],
        cipher,
        hmac,
        // Never compressed, -C or not: ssh2's zlib runs on node's internal zlib binding, which
        // Deno lacks (the handshake fails "expected type v8::data::Function").
        compress: ["none"],
      } as ssh2.Algorithms,
      ...(logger.debugOn("ssh2") ? { debug: (m: string) => logger.debug("ssh2", m) } : {}),
    });
    autotuneWindows(client, (w) => logger.debug("ssh", windowMessage(w)));
    _boundKeyboardInteractive(client, cfg, (err) => abort(err));
  });
}

/**
 * The most keyboard-interactive rounds (questions from the server) one login answers. PAM asks
 * one to three; a server that answers every response with a new question (or with no question
 * at all, which ssh2 answers by itself) once ran a login for two minutes into 470 MB.
 */
export const KBDINT_ROUNDS_MAX = 20;

/**
 * Ends the login after KBDINT_ROUNDS_MAX keyboard-interactive rounds. ssh2 has no hook for
 * this (it answers a round without prompts itself): its protocol's handler is wrapped.
 */
function _boundKeyboardInteractive(
  client: ssh2.Client,
  cfg: SshConfig,
  abort: (err: SockhopError) => void,
) {
  type Handler = (...args: unknown[]) => unknown;
  const proto = (client as unknown as { _protocol?: { _handlers?: Record<string, Handler> } })
    ._protocol;
  const original = proto?._handlers?.USERAUTH_INFO_REQUEST;
  if (!proto?._handlers || !original) {
    throw new Error("ssh2's protocol handlers are not where they were: check ssh2");
  }
  let rounds = 0;
  proto._handlers.USERAUTH_INFO_REQUEST = (...args: unknown[]) => {
    if (++rounds > KBDINT_ROUNDS_MAX) {
      abort(
        new SockhopError(
          `${cfg.hostName} asked keyboard-interactive questions ${KBDINT_ROUNDS_MAX} times without an end: given up (a broken server, or not the one meant)`,
          "auth-failed",
        ),
      );
      return undefined;
    }
    return original(...args);
  };
}

/** A ProxyCommand to run instead of a TCP connection ("none" is the ProxyJump marker). */
function _proxied(cfg: SshConfig): boolean {
  return cfg.proxyCommand !== "" && cfg.proxyCommand !== "none";
}

function _sameFamily(recorded: string, algorithm: string): boolean {
  if (recorded === "ssh-rsa") return algorithm.startsWith("rsa-sha2") || algorithm === "ssh-rsa";
  return recorded === algorithm;
}

function _clientError(err: Error & { level?: string }, cfg: SshConfig): SockhopError {
  if (err instanceof SockhopError) return err;
  if (err.message === "Keepalive timeout") {
    return new SockhopError(
      `${cfg.hostName} stopped answering: no reply to ${cfg.keepalive.countMax} keepalives ` +
        `${cfg.keepalive.interval} s apart (ServerAliveInterval, ServerAliveCountMax); the connection is dead`,
      "ssh-dead",
    );
  }
  if (err.level === "client-timeout") {
    return new SockhopError(
      `${cfg.hostName}: ${err.message}: the server did not complete the handshake`,
      "ssh-failed",
    );
  }
  return new SockhopError(
    `SSH connection to ${cfg.hostName} failed: ${err.message}`,
    "ssh-failed",
    { cause: err },
  );
}

/**
 * `seconds` as a timer's milliseconds. ssh takes durations up to INT_MAX seconds, but a timer
 * longer than 2^31-1 ms fires at once (Node's TimeoutOverflowWarning): ConnectTimeout=3000000
 * failed every connection. Anything longer is as good as never.
 */
export function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, 2 ** 31 - 1);
}
