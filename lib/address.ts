/**
 * Hosts and ports as the user writes them (`host:port`, `[v6]:port`), and which addresses stay
 * on this host: shared by URLs, listeners (`--listen`, `--bind-ssh`, `--bind-tcp`) and serve.
 */

import { UsageError } from "./errors.ts";
import { quote } from "./safe_text.ts";

/** Split `host[:port]` or `[v6]:port`. */
export function parseHostPort(
  text: string,
  context = text,
  allowZero = false,
): { host: string; port?: number } {
  const { host: raw, portText } = splitHostPort(text, context);
  const host = percentDecode(raw, context);
  if (!host) throw new UsageError(`No host in ${quote(context)}: write ssh://host/NAME`);
  if (portText === undefined || portText === "") return { host };
  return { host, port: parsePort(portText, context, allowZero) };
}

export function splitHostPort(text: string, context: string): { host: string; portText?: string } {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) throw new UsageError(`Missing ] in ${quote(context)}: write [::1]:22`);
    const after = text.slice(end + 1);
    if (after !== "" && !after.startsWith(":")) {
      throw new UsageError(`Unexpected ${quote(after)} after ] in ${quote(context)}`);
    }
    return { host: text.slice(1, end), ...(after ? { portText: after.slice(1) } : {}) };
  }
  const colon = text.lastIndexOf(":");
  if (colon >= 0 && text.indexOf(":") === colon) {
    return { host: text.slice(0, colon), portText: text.slice(colon + 1) };
  }
  return { host: text }; // a bare IPv6 address without brackets has no port
}

/** A TCP port number, 1-65535 (0 too when a listener may pick one). */
export function parsePort(text: string, context = text, allowZero = false): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new UsageError(`Bad port ${quote(text)} in ${quote(context)}: use 1-65535`);
  }
  return port;
}

/** `%XX` decoded, as in a URL; bad escapes are a usage error naming `original`. */
export function percentDecode(text: string, original: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(`Bad percent-encoding in ${quote(original)}: write %XX with hex digits`);
  }
}

/** Whether an address is this host's own (loopback): nothing beyond it can reach a listener there. */
export function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);
}
