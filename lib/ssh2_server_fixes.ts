/**
 * Workarounds for bugs of ssh2's Server (1.17.0, which sockhop ships unpatched), applied to
 * each connection as soon as its banner arrives, before the key exchange. ssh2 has no hooks
 * for any of this, so its protocol object's handlers and fields are wrapped: each is looked
 * up by ssh2 at the moment it is used. Each fix names the report in docs/upstream/.
 */

import { Buffer } from "node:buffer";
// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import { KEY_ALGORITHMS } from "./public_keys.ts";

/**
 * The signature algorithms the server accepts for a user's key (ssh_server_auth.ts refuses SHA-1:
 * ssh-rsa and ssh-dss), announced in the server-sig-algs extension (RFC 8308 §3.1).
 */
export const SERVER_SIG_ALGS = KEY_ALGORITHMS;

/** What of ssh2's protocol object the fixes use. */
interface Protocol {
  _handlers: Record<string, ((...args: unknown[]) => unknown) | undefined>;
  _offer: KexInit;
  _kex?: { _remoteKexinit?: Uint8Array; remoteExtInfoEnabled: boolean };
  _skipNextInboundPacket: boolean;
  _onHandshakeComplete: (...args: unknown[]) => unknown;
  _packetRW: {
    write: { allocStart: number; alloc(n: number): Buffer; finalize(packet: Buffer): Buffer };
  };
  _cipher: { encrypt(packet: Buffer): void };
  serviceAccept(name: string): void;
  authPKOK(algo: string, key: Buffer): void;
}

/** ssh2's KexInit: one name list per field, and a constructor that builds the wire form. */
interface KexInit {
  constructor: new (lists: Record<string, unknown>) => KexInit;
  lists: {
    kex: { array: string[] };
    serverHostKey: { array: string[] };
    cs: Record<"cipher" | "mac" | "compress" | "lang", { array: string[] }>;
    sc: Record<"cipher" | "mac" | "compress" | "lang", { array: string[] }>;
  };
}

/**
 * Apply every fix to a connection, from the server's "connection" event (ssh2 emits it when
 * the client's banner arrives, before it sends its own KEXINIT). `hostKeyAlgorithms`: the
 * server's configured list; ssh2 offers SHA-1 ones beyond it (see _offerNoSha1HostKey).
 */
export function fixServerConnection(
  client: ssh2.Connection,
  hostKeyAlgorithms: readonly string[],
): void {
  const proto = (client as unknown as { _protocol?: Protocol })._protocol;
  if (
    !proto?._handlers || !proto._offer?.lists || !proto._packetRW ||
    typeof proto._onHandshakeComplete !== "function" || !("_skipNextInboundPacket" in proto)
  ) {
    throw new Error("ssh2's protocol internals are not where they were: check ssh2");
  }
  _offerNoSha1HostKey(proto, hostKeyAlgorithms);
  _honourRightKexGuess(proto);
  _announceServerSigAlgs(proto);
  _acceptRepeatedServiceRequest(client, proto);
  _answerPkOkWithAskedAlgorithm(client);
  _freeClosedSessions(client, proto);
}

/**
 * A session request that starts nothing (exec, shell, subsystem) refused, and the channel
 * ended: nothing runs on it, so it holds no slot (see channelsHeld) and takes no further
 * request. With want-reply ssh2 gives `reject`; the client is told, and the channel closed
 * from this side (a client that leaves it open would otherwise keep its slot: after ten
 * refusals a connection could open nothing). Without, ssh2 gives no `reject` and a Session has
 * no way to be closed: the client waits for ever (dbclient's `dbclient host id` never returns).
 * So the channel is started and ended at once, as sshd ends a session whose command fails: the
 * message on stderr, an exit status, EOF and close.
 * docs/upstream/server-refused-request-without-reply.md
 */
export function refuseSessionStart(
  client: ssh2.Connection,
  session: ssh2.Session,
  accept: () => ssh2.ServerChannel | undefined,
  reject: (() => void) | undefined,
  message: string,
  status: number,
): void {
  const s = session as unknown as BareSession;
  _letGo.get(client)?.add(s._chanInfo.incoming.id);
  if (reject) {
    reject();
    s._ending = true;
    if (s._chanInfo.outgoing.state !== "closed") {
      s._chanInfo.outgoing.state = "closed";
      (client as unknown as { _protocol: { channelClose(id: number): void } })._protocol
        .channelClose(s._chanInfo.outgoing.id);
    }
    return;
  }
  const channel = accept();
  if (!channel) return;
  channel.stderr.write(`${message}\n`);
  channel.exit(status);
  channel.end();
}

/**
 * A channel open refused with a description the client shows ("open failed: connect failed:
 * DESCRIPTION"): ssh2's `reject` always sends an empty one, so for the moment of the call the
 * protocol's channelOpenFail fills it in. docs/upstream/server-channel-open-fail-description.md
 */
export function rejectChannelOpen(
  client: ssh2.Connection,
  reject: () => void,
  description: string,
): void {
  type Fail = (recipient: number, reason: number, desc?: string, ...rest: unknown[]) => void;
  const proto = (client as unknown as { _protocol?: { channelOpenFail?: Fail } })._protocol;
  const original = proto?.channelOpenFail;
  if (!proto || typeof original !== "function") return reject();
  const own = Object.hasOwn(proto, "channelOpenFail");
  proto.channelOpenFail = (recipient, reason, desc, ...rest) =>
    original.call(proto, recipient, reason, desc || description, ...rest);
  try {
    reject();
  } finally {
    if (own) proto.channelOpenFail = original;
    else delete proto.channelOpenFail;
  }
}

/** ssh2's Session before (and after) a command starts on it: its channel's ends. */
interface BareSession {
  _ending: boolean;
  _channel: unknown;
  _chanInfo: {
    incoming: { id: number; state: string };
    outgoing: { id: number; state: string };
  };
}

/** ssh2's channel table of a connection. */
interface ChannelTable {
  _count: number;
  _channels: Record<number, unknown>;
  get(id: number): unknown;
  remove(id: number): void;
}

/** Per connection: the channels still in ssh2's table that sockhop has let go of. */
const _letGo = new WeakMap<object, Set<number>>();

/**
 * How many channels sockhop holds on a connection (something runs on it, or it may still be
 * asked to): ssh2's table, less those refused and ended here, which wait only for the
 * client's close. `unclaimed`: how many of those there are.
 */
export function channelsHeld(client: ssh2.Connection): { held: number; unclaimed: number } {
  const table = (client as unknown as { _chanMgr: ChannelTable })._chanMgr;
  const unclaimed = _letGo.get(client)?.size ?? 0;
  return { held: table._count - unclaimed, unclaimed };
}

/**
 * A session channel the client closes before anything started on it stays in ssh2's channel
 * table for good (its CHANNEL_CLOSE handler returns early for a bare Session): it is removed
 * here, and the close answered as RFC 4254 §5.3 asks. Also keeps channelsHeld's count: a
 * channel gone from the table is no longer one let go of.
 */
function _freeClosedSessions(client: ssh2.Connection, proto: Protocol) {
  const c = client as unknown as { _chanMgr?: ChannelTable };
  const table = c._chanMgr;
  const original = proto._handlers.CHANNEL_CLOSE;
  const channelClose = (proto as unknown as { channelClose?: (id: number) => void }).channelClose;
  if (!table || typeof table.remove !== "function" || !original || !channelClose) {
    throw new Error("ssh2's channel table is not where it was: check ssh2");
  }
  const letGo = new Set<number>();
  _letGo.set(client, letGo);
  const remove = table.remove.bind(table);
  table.remove = (id: number) => {
    letGo.delete(id);
    remove(id);
  };
  proto._handlers.CHANNEL_CLOSE = (...args: unknown[]) => {
    const recipient = args[1] as number;
    const entry = table.get(recipient) as Partial<BareSession> | undefined;
    const result = original(...args);
    if (entry && typeof entry === "object" && entry._chanInfo && !entry._channel) {
      if (entry._chanInfo.outgoing.state !== "closed") {
        entry._chanInfo.outgoing.state = "closed";
        channelClose.call(proto, entry._chanInfo.outgoing.id);
      }
      table.remove(recipient);
    }
    return result;
  };
}

const _fixedOffers = new WeakMap<KexInit, KexInit>();
const SHA1_HOST_KEY = ["ssh-rsa", "ssh-dss"];

/**
 * ssh2 offers `ssh-rsa` (SHA-1 host signatures) for an RSA host key whatever the configured
 * list says: it appends it when the list lacks it (and `ssh-dss` for a DSA key, by key type).
 * The offer is rebuilt without the SHA-1 ones the configured list leaves out, before ssh2
 * sends it. docs/upstream/server-ssh-rsa-host-key.md
 */
function _offerNoSha1HostKey(proto: Protocol, allowed: readonly string[]) {
  const offer = proto._offer;
  const hostKey = offer.lists.serverHostKey.array;
  const kept = hostKey.filter((a) => allowed.includes(a) || !SHA1_HOST_KEY.includes(a));
  if (kept.length === hostKey.length) return;
  let fixed = _fixedOffers.get(offer);
  if (!fixed) {
    const side = (s: "cs" | "sc") => ({
      cipher: offer.lists[s].cipher.array,
      mac: offer.lists[s].mac.array,
      compress: offer.lists[s].compress.array,
      lang: offer.lists[s].lang.array,
    });
    fixed = new offer.constructor({
      kex: offer.lists.kex.array,
      serverHostKey: kept,
      cs: side("cs"),
      sc: side("sc"),
    });
    _fixedOffers.set(offer, fixed);
  }
  proto._offer = fixed;
}

/**
 * A client that sends its first key-exchange packet on a guess (first_kex_packet_follows,
 * dbclient does) must have it ignored only when the guess was wrong (RFC 4253 §7.1): when its
 * first kex or host key algorithm is not the server's first. ssh2 compares the negotiated name
 * with the first character of it (it overwrote the client's list), so it always ignores the
 * packet, and a client that guessed right waits until the login grace time ends. ssh2 reads
 * `_skipNextInboundPacket` when the next packet arrives, once the client's KEXINIT is stored:
 * an accessor puts the RFC's rule there. docs/upstream/server-first-kex-packet-follows.md
 */
function _honourRightKexGuess(proto: Protocol) {
  let skip = proto._skipNextInboundPacket;
  Object.defineProperty(proto, "_skipNextInboundPacket", {
    configurable: true,
    enumerable: true,
    get() {
      const remote = proto._kex?._remoteKexinit;
      const offer = proto._offer.lists;
      if (
        skip && remote &&
        kexGuessIsRight(remote, offer.kex.array[0], offer.serverHostKey.array[0])
      ) {
        skip = false;
      }
      return skip;
    },
    set(value: boolean) {
      skip = value;
    },
  });
}

/**
 * Whether a client's guess was right: its KEXINIT (payload) names first the server's first
 * kex and host key algorithms (RFC 4253 §7.1).
 */
export function kexGuessIsRight(
  kexinit: Uint8Array,
  serverKex: string | undefined,
  serverHostKey: string | undefined,
): boolean {
  const view = new DataView(kexinit.buffer, kexinit.byteOffset, kexinit.byteLength);
  const dec = new TextDecoder();
  let pos = 1 + 16; // message number, cookie
  const firstName = (): string | undefined => {
    if (pos + 4 > kexinit.length) return undefined;
    const len = view.getUint32(pos);
    if (pos + 4 + len > kexinit.length) return undefined;
    const list = dec.decode(kexinit.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
    return list.split(",")[0];
  };
  const kex = firstName();
  const hostKey = firstName();
  return kex !== undefined && hostKey !== undefined && kex === serverKex &&
    hostKey === serverHostKey;
}

/**
 * ssh2's server-sig-algs lacks a comma ("...ecdsa-sha2-nistp521rsa-sha2-512,..."): it drops
 * ecdsa-sha2-nistp521 and rsa-sha2-512, and names ssh-rsa and ssh-dss, which sockhop refuses.
 * OpenSSH limited to rsa-sha2-512 then cannot log in. ssh2 sends it from the end of the first
 * key exchange when the client asked (ext-info-c); the fix tells ssh2 the client did not ask
 * and sends the right list itself, at the same point: the first packet after NEWKEYS
 * (RFC 8308 §2.4). docs/upstream/server-sig-algs.md
 */
function _announceServerSigAlgs(proto: Protocol) {
  const original = proto._onHandshakeComplete;
  let first = true;
  proto._onHandshakeComplete = (...args: unknown[]) => {
    if (first && proto._kex?.remoteExtInfoEnabled) {
      proto._kex.remoteExtInfoEnabled = false;
      _sendExtInfo(proto, SERVER_SIG_ALGS.join(","));
    }
    first = false;
    return original(...args);
  };
}

const EXT_INFO = 7;

function _sendExtInfo(proto: Protocol, sigAlgs: string) {
  const name = Buffer.from("server-sig-algs");
  const value = Buffer.from(sigAlgs);
  const write = proto._packetRW.write;
  let p = write.allocStart;
  const packet = write.alloc(1 + 4 + 4 + name.length + 4 + value.length);
  packet[p++] = EXT_INFO;
  packet.writeUInt32BE(1, p);
  p += 4;
  for (const field of [name, value]) {
    packet.writeUInt32BE(field.length, p);
    packet.set(field, p + 4);
    p += 4 + field.length;
  }
  // Not during a key exchange (this runs once it is complete): straight to the cipher, as
  // ssh2's own EXT_INFO goes.
  proto._cipher.encrypt(write.finalize(packet));
}

/**
 * A client may ask for the ssh-userauth service again before each attempt (paramiko does);
 * ssh2 disconnects on the second request, so paramiko can try neither a second key nor a
 * password after `none`. sshd accepts each one before login; so does this.
 * docs/upstream/server-service-request-repeated.md
 */
function _acceptRepeatedServiceRequest(client: ssh2.Connection, proto: Protocol) {
  const original = proto._handlers.SERVICE_REQUEST;
  let handshakes = 0;
  client.on("handshake", () => handshakes++);
  let accepted = false;
  proto._handlers.SERVICE_REQUEST = (p: unknown, service: unknown) => {
    const authenticated = (client as unknown as { authenticated: boolean }).authenticated;
    if (service === "ssh-userauth" && !authenticated && handshakes > 0) {
      if (accepted) {
        proto.serviceAccept(service);
        return undefined;
      }
      accepted = true;
    }
    return original?.(p, service);
  };
}

const RSA_SHA2: Readonly<Record<string, string>> = {
  sha256: "rsa-sha2-256",
  sha512: "rsa-sha2-512",
};

/**
 * USERAUTH_PK_OK must name the algorithm the client asked about (RFC 4252 §7). For
 * rsa-sha2-256 and rsa-sha2-512, ssh2 names the key type, ssh-rsa: Go's x/crypto and asyncssh
 * then give up on the key. The context's `accept` is replaced, before sockhop's own listener
 * sees it, by one that names what was asked. docs/upstream/server-pk-ok-algorithm.md
 */
function _answerPkOkWithAskedAlgorithm(client: ssh2.Connection) {
  client.prependListener("authentication", (ctx: ssh2.AuthContext) => {
    if (ctx.method !== "publickey" || ctx.signature || !ctx.hashAlgo) return;
    const asked = RSA_SHA2[ctx.hashAlgo];
    if (!asked) return;
    const internals = ctx as unknown as { _initialResponse: boolean; _protocol: Protocol };
    ctx.accept = () => {
      internals._initialResponse = true;
      internals._protocol.authPKOK(asked, ctx.key.data);
    };
  });
}
