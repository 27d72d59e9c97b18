/**
 * SSH servers nobody here wrote, for the built-in client: dropbear and tinysshd on 127.0.0.1
 * with their own host keys and a free port, a throwaway user whose authorized_keys they read,
 * client keys of every type, and what a server offers (read from its KEXINIT). Everything
 * started is stopped by pid.
 */

import { Buffer } from "node:buffer";
import { tempDir, within } from "./_cli.ts";
import { freePort, withTestUser } from "./_sshd.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function _run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** A server started by a test: where it listens and its host key, for known_hosts. */
export interface PeerServer extends AsyncDisposable {
  readonly name: string;
  readonly port: number;
  /** "[127.0.0.1]:PORT type base64" lines. */
  readonly knownHostsLines: string[];
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The client key types of the matrix, as ssh-keygen makes them. */
export const KEY_TYPES = ["ed25519", "ecdsa-256", "ecdsa-384", "ecdsa-521", "rsa"] as const;
export type KeyType = typeof KEY_TYPES[number];

export interface ClientKey {
  readonly type: KeyType;
  readonly path: string;
  readonly publicLine: string;
}

/**
 * One key of each type. The P-256 and P-384 keys are ones whose private scalar has its top bit
 * set, so OpenSSH stores it with a sign byte: about half of all keys, the half that ssh2 1.17.0
 * cannot sign with on Deno (docs/upstream/client-ecdsa-private-key-sign-byte.md).
 */
export async function clientKeys(dir: string): Promise<Record<KeyType, ClientKey>> {
  const out = {} as Record<KeyType, ClientKey>;
  for (const type of KEY_TYPES) {
    const path = `${dir}/id_${type.replace("-", "")}`;
    const [alg, bits] = type.split("-");
    for (let i = 0;; i++) {
      await Deno.remove(path).catch(() => {});
      await Deno.remove(`${path}.pub`).catch(() => {});
      await _run("ssh-keygen", [
        "-q",
        "-t",
        alg!,
        ...(bits ? ["-b", bits] : alg === "rsa" ? ["-b", "2048"] : []),
        "-N",
        "",
        "-C",
        `sockhop-${type}`,
        "-f",
        path,
      ]);
      if (bits === "521" || alg !== "ecdsa" || i >= 40) break;
      if (ecdsaScalar(await Deno.readTextFile(path)).length > Number(bits) / 8) break;
    }
    const publicLine = (await Deno.readTextFile(`${path}.pub`)).trim();
    out[type] = { type, path, publicLine };
  }
  return out;
}

/** The private scalar of an unencrypted OpenSSH ECDSA key file, as stored (an mpint). */
export function ecdsaScalar(pem: string): Uint8Array {
  return _ecdsaFields(_openSshBlob(pem)).scalar.bytes;
}

/**
 * A copy of an unencrypted ECDSA key whose private scalar is replaced by one beyond the
 * curve's order: it parses, its public half is the original's (so a server that has the
 * original in authorized_keys asks for a signature), but no signature can be made with it.
 */
export async function unsignableKey(from: string, to: string): Promise<void> {
  const blob = _openSshBlob(await Deno.readTextFile(from));
  const { scalar } = _ecdsaFields(blob);
  // All ones (after the sign byte, if any) is beyond every NIST curve's order; the length
  // stays, so the file stays well formed.
  const start = scalar.offset + (scalar.bytes[0] === 0 ? 1 : 0);
  blob.fill(0xff, start, scalar.offset + scalar.bytes.length);
  const b64 = Buffer.from(blob).toString("base64").replace(/.{70}/g, "$&\n");
  await Deno.writeTextFile(
    to,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    { mode: 0o600 },
  );
}

function _openSshBlob(pem: string): Uint8Array {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(body, "base64"));
}

/** openssh-key-v1, unencrypted, one ECDSA key: where the private scalar sits. */
function _ecdsaFields(blob: Uint8Array) {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let pos = "openssh-key-v1\0".length;
  const string = () => {
    const n = view.getUint32(pos);
    const offset = pos + 4;
    pos = offset + n;
    return { offset, bytes: blob.subarray(offset, offset + n) };
  };
  const cipher = dec.decode(string().bytes);
  if (cipher !== "none") throw new Error("an encrypted key: give an unencrypted one");
  string(); // kdf name
  string(); // kdf options
  pos += 4; // number of keys
  string(); // public key
  const priv = string();
  pos = priv.offset + 8; // two check integers
  const type = dec.decode(string().bytes);
  if (!type.startsWith("ecdsa-")) throw new Error(`${type}: not an ECDSA key`);
  string(); // curve
  string(); // public point
  return { scalar: string() };
}

/** The algorithm name-lists a server offers, from its KEXINIT. */
export interface ServerOffer {
  readonly kex: string[];
  readonly hostKey: string[];
  readonly cipher: string[];
  readonly mac: string[];
}

export async function serverOffer(port: number): Promise<ServerOffer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode("SSH-2.0-sockhop_probe\r\n"));
    let buf = new Uint8Array(0);
    const more = async () => {
      const chunk = new Uint8Array(65536);
      const n = await conn.read(chunk);
      if (n === null) throw new Error(`port ${port} closed before its KEXINIT`);
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
    };
    // The banner (and any lines before it) ends with a line feed.
    for (;;) {
      const text = dec.decode(buf);
      const at = text.indexOf("SSH-2.0-");
      if (at >= 0 && text.indexOf("\n", at) >= 0) {
        buf = buf.subarray(enc.encode(text.slice(0, text.indexOf("\n", at) + 1)).length);
        break;
      }
      await more();
    }
    while (buf.length < 5) await more();
    const length = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
    while (buf.length < 4 + length) await more();
    const view = new DataView(buf.buffer, buf.byteOffset);
    let pos = 4 + 1 + 1 + 16; // length, padding length, message number, cookie
    const list = () => {
      const n = view.getUint32(pos);
      const names = dec.decode(buf.subarray(pos + 4, pos + 4 + n));
      pos += 4 + n;
      return names ? names.split(",") : [];
    };
    const kex = list();
    const hostKey = list();
    const cipher = list();
    list(); // server to client
    const mac = list();
    return { kex, hostKey, cipher, mac };
  } finally {
    conn.close();
  }
}

/** The descendants of a process, deepest last. */
function _descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e.name)]);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function _kill(pid: number) {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

async function _waitForBanner(port: number, exited: () => boolean, name: string) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`${name} exited`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const buf = new Uint8Array(256);
      // A silent listener that took the port meanwhile must not hold the wait.
      const n = await within(2000, "a banner", conn.read(buf)).catch(() => null);
      conn.close();
      if (n && dec.decode(buf.subarray(0, n)).includes("SSH-2.0-")) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name}: no SSH banner within 10 s`);
}

async function _serve(
  name: string,
  port: number,
  cmd: string,
  args: string[],
  dir: string & AsyncDisposable,
  knownHostsLines: string[],
): Promise<PeerServer> {
  const logFile = `${dir}/${name}.log`;
  const log = await Deno.open(logFile, { write: true, create: true });
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const copying = child.stderr.pipeTo(log.writable).catch(() => {});
  let exited = false;
  child.status.then(() => exited = true);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      // Per-connection children (and the commands they run) outlive the listener: end them
      // first, then the listener.
      for (const pid of _descendants(child.pid).reverse()) _kill(pid);
      _kill(child.pid);
      await child.status;
      await copying;
      await dir[Symbol.asyncDispose]();
    })();
  try {
    await _waitForBanner(port, () => exited, name);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name,
    port,
    knownHostsLines,
    log: () => Deno.readTextFile(logFile).catch(() => ""),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** dropbear on a free port with an ed25519 host key of its own (dropbearkey). */
export async function startDropbear(): Promise<PeerServer> {
  const dir = await tempDir("sockhop-dropbear-");
  const port = freePort();
  const key = `${dir}/host_ed25519`;
  await _run("dropbearkey", ["-t", "ed25519", "-f", key]);
  const line = (await _run("dropbearkey", ["-y", "-f", key])).split("\n")
    .find((l) => l.startsWith("ssh-"))!.split(" ").slice(0, 2).join(" ");
  // -F foreground, -E log to stderr, -s no passwords: the user's authorized_keys only.
  return await _serve(
    "dropbear",
    port,
    "dropbear",
    ["-F", "-E", "-s", "-p", `127.0.0.1:${port}`, "-r", key],
    dir,
    [`[127.0.0.1]:${port} ${line}`],
  );
}

/** tinysshd (one process per connection, under socat) with a key dir of its own. */
export async function startTinysshd(): Promise<PeerServer> {
  const dir = await tempDir("sockhop-tinysshd-");
  const port = freePort();
  const keys = `${dir}/keys`;
  await _run("tinysshd-makekey", [keys]);
  const pk = await Deno.readFile(`${keys}/ed25519.pk`);
  const blob = new Uint8Array([..._sshString(enc.encode("ssh-ed25519")), ..._sshString(pk)]);
  const line = `ssh-ed25519 ${Buffer.from(blob).toString("base64")}`;
  return await _serve(
    "tinysshd",
    port,
    "socat",
    [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `EXEC:tinysshd -v ${keys}`],
    dir,
    [`[127.0.0.1]:${port} ${line}`],
  );
}

function _sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/**
 * A throwaway user (root only) with a home under /home, as dropbear and tinysshd read
 * ~/.ssh/authorized_keys from the user's real home and tinysshd refuses one under /tmp.
 * Removed afterwards, its processes ended, even on failure.
 */
export async function withPeerUser(
  authorized: readonly string[],
  fn: (user: { name: string; home: string }) => Promise<void>,
): Promise<void> {
  await withTestUser(async ({ name, home }) => {
    await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
    await Deno.writeTextFile(`${home}/.ssh/authorized_keys`, authorized.join("\n") + "\n", {
      mode: 0o600,
    });
    await _run("chown", ["-R", `${name}:${name}`, `${home}/.ssh`]);
    await fn({ name, home });
  });
}
