/**
 * An ssh-agent for the built-in client: the keys it holds, as wire blobs (certificates
 * included, which ssh2's own listing drops), and an agent of one key each, so that every agent
 * key is one step of authentication, in the order OpenSSH offers them (lib/key_order.ts).
 */

import { Buffer } from "node:buffer";
import net from "node:net";
// @ts-types="@types/ssh2"
import ssh2 from "ssh2";

/** One key the agent holds. */
export interface AgentKey {
  /** The public key in SSH wire format. */
  readonly blob: Uint8Array;
  readonly comment: string;
}

/** SSH_AGENTC_REQUEST_IDENTITIES and its answer (draft-miller-ssh-agent §4.4). */
const _REQUEST_IDENTITIES = 11;
const _IDENTITIES_ANSWER = 12;
/** An answer larger than this is not an agent's. */
const _ANSWER_MAX = 256 * 1024;

/** The keys of the agent at `path`, in its order. Rejects when it cannot be asked. */
export function agentKeys(path: string, timeoutMs = 10000): Promise<AgentKey[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, keys?: AgentKey[]) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(keys!);
    };
    const timer = setTimeout(() => done(new Error("the agent did not answer")), timeoutMs);
    sock.on("error", (err) => done(err));
    sock.on("close", () => done(new Error("the agent closed the connection")));
    sock.on("connect", () => sock.write(Buffer.from([0, 0, 0, 1, _REQUEST_IDENTITIES])));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const length = buf.readUInt32BE(0);
      if (length > _ANSWER_MAX) return done(new Error("the agent's answer is too large"));
      if (buf.length < 4 + length) return;
      try {
        done(undefined, parseIdentitiesAnswer(buf.subarray(4, 4 + length)));
      } catch (err) {
        done(err as Error);
      }
    });
  });
}

/** The keys in an SSH_AGENT_IDENTITIES_ANSWER message (without its length). */
export function parseIdentitiesAnswer(message: Uint8Array): AgentKey[] {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (message[0] !== _IDENTITIES_ANSWER) {
    throw new Error(`the agent answered with message ${message[0]}, not a key list`);
  }
  let pos = 1;
  const string = (): Uint8Array => {
    if (pos + 4 > message.length) throw new Error("the agent's key list is cut short");
    const n = view.getUint32(pos);
    if (pos + 4 + n > message.length) throw new Error("the agent's key list is cut short");
    const out = message.subarray(pos + 4, pos + 4 + n);
    pos += 4 + n;
    return out;
  };
  if (pos + 4 > message.length) throw new Error("the agent's key list is cut short");
  const count = view.getUint32(pos);
  pos += 4;
  const keys: AgentKey[] = [];
  for (let i = 0; i < count; i++) {
    const blob = string();
    keys.push({ blob: blob.slice(), comment: new TextDecoder().decode(string()) });
  }
  return keys;
}

/**
 * ssh2's agent auth for one key of the agent at `path`: ssh2 tries every key an agent lists,
 * so each key gets an agent of its own, and the order stays ours. Undefined when ssh2 cannot
 * read the key (a certificate, an unknown type).
 */
export function oneKeyAgent(path: string, key: AgentKey): ssh2.BaseAgent | undefined {
  const parsed = ssh2.utils.parseKey(Buffer.from(key.blob));
  if (parsed instanceof Error) return undefined;
  const real = ssh2.createAgent(path);
  return new _OneKeyAgent(real, Array.isArray(parsed) ? parsed[0]! : parsed);
}

class _OneKeyAgent extends ssh2.BaseAgent {
  readonly #real: ssh2.BaseAgent;
  readonly #key: ssh2.ParsedKey;
  constructor(real: ssh2.BaseAgent, key: ssh2.ParsedKey) {
    super();
    this.#real = real;
    this.#key = key;
  }
  getIdentities(cb: (err: Error | undefined, keys?: ssh2.ParsedKey[]) => void): void {
    cb(undefined, [this.#key]);
  }
  sign(
    pubKey: ssh2.ParsedKey,
    data: Buffer,
    options: ssh2.SigningRequestOptions | ssh2.SignCallback,
    cb?: ssh2.SignCallback,
  ): void {
    if (typeof options === "function") this.#real.sign(pubKey, data, {}, options);
    else this.#real.sign(pubKey, data, options, cb);
  }
}
