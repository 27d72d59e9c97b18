/**
 * The host name ssh connects to (ssh.c main, resolve_canonicalize): an address in the form
 * getnameinfo writes it, or a name under CanonicalizeHostname, which sockhop does not look up.
 */

import { UsageError } from "./errors.ts";
import type { Options } from "./ssh_config_options.ts";

/**
 * The name ssh connects to: an address as getnameinfo writes it (kept as written when only the
 * case differs), anything that looks like an address as it is, any other name in lower case.
 */
export function connectName(host: string): { name: string; address: boolean } {
  const canonical = _canonicalAddress(host);
  if (canonical !== undefined) {
    return {
      name: canonical.toLowerCase() === host.toLowerCase() ? host : canonical,
      address: true,
    };
  }
  if (/[%:]/.test(host) || /^[0-9.]*$/.test(host)) return { name: host, address: true };
  return { name: host.toLowerCase(), address: false };
}

/**
 * An address in the form getnameinfo prints it (`127.1` -> `127.0.0.1`, IPv6 compressed and
 * in lower case); undefined when `host` is not a numeric address.
 */
function _canonicalAddress(host: string): string | undefined {
  const v4 = _ipv4(host);
  if (v4 !== undefined) return v4;
  if (!host.includes(":") || host.includes("%")) return undefined;
  try {
    const h = new URL(`http://[${host}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** inet_aton's forms: a.b.c.d, a.b.c, a.b, a; each part decimal, octal (0...) or hex (0x...). */
function _ipv4(host: string): string | undefined {
  const parts = host.split(".");
  if (parts.length > 4 || parts.some((p) => !/^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/.test(p))) {
    return undefined;
  }
  const nums = parts.map((p) =>
    /^0[xX]/.test(p)
      ? parseInt(p.slice(2) || "0", 16)
      : p.startsWith("0")
      ? parseInt(p, 8)
      : Number(p)
  );
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  let value = last;
  nums.forEach((n, i) => (value += n * 2 ** (8 * (3 - i))));
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join(".");
}

/**
 * ssh.c resolve_canonicalize for a name: sockhop does not look names up, so every suffix in
 * CanonicalDomains counts as not found (README, Differences) and the name stays as it is,
 * unless CanonicalizeFallbackLocal is off.
 */
export function canonicalizeName(o: Options, host: string) {
  if (/[%:]/.test(host) || /^[0-9.]*$/.test(host)) return;
  const direct = (o.proxyCommand === undefined || o.proxyCommand.toLowerCase() === "none") &&
    o.jumpHost === undefined;
  if (!direct && o.canonicalizeHostname !== 2) return;
  if (!host.endsWith(".") && host.split(".").length - 1 > o.canonicalizeMaxDots) return;
  if (!o.canonicalizeFallbackLocal) {
    throw new UsageError(
      `Could not resolve host "${host}" (CanonicalizeHostname, CanonicalizeFallbackLocal no): sockhop does not look host names up; use --ssh=openssh`,
    );
  }
}
