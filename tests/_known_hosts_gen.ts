/**
 * Seeded known_hosts cases for the differential test: a few lines drawn from the kinds ssh
 * reads differently (plain, hashed, wildcard, negated, bare host, other host; @revoked and
 * @cert-authority; the server's own keys, changed keys, keys that do not decode, a type field
 * that contradicts its key) and the options that change the decision (StrictHostKeyChecking,
 * HostKeyAlgorithms with + - ^, HostKeyAlias). Fixed seeds: the same cases on every run.
 */

import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { seededRandom } from "./_ssh_config_gen.ts";

/** The keys and names the lines are built from (the test's Ctx). */
export interface KeyCtx {
  readonly ed: string;
  readonly ec: string;
  readonly rsa: string;
  readonly ed2: string;
  readonly ec2: string;
  readonly rsa2: string;
  readonly ca: string;
  /** `[127.0.0.1]:PORT` */
  readonly n: string;
  readonly port: number;
}

export interface GeneratedKnownHosts {
  readonly user: string[];
  readonly global?: string[];
  readonly options: string[];
}

/** A key line's key part that ssh cannot decode: the blob cut short, or a byte too many. */
function _undecodable(key: string, rnd: () => number): string {
  const [type, b64] = key.split(" ");
  const blob = Buffer.from(b64!, "base64");
  const bad = rnd() < 0.5
    ? blob.subarray(0, blob.length - 3)
    : Buffer.concat([blob, Buffer.from([0])]);
  return `${type} ${bad.toString("base64")}`;
}

/** A hashed host name with a salt drawn from the seed. */
function _hash(name: string, rnd: () => number): string {
  const salt = Buffer.from(Array.from({ length: 20 }, () => Math.floor(rnd() * 256)));
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

/** `n` cases from `seed`, each a function of the run's keys and port. */
export function generatedKnownHostsCases(
  seed: number,
  n: number,
): [name: string, make: (k: KeyCtx) => GeneratedKnownHosts][] {
  const out: [string, (k: KeyCtx) => GeneratedKnownHosts][] = [];
  for (let c = 0; c < n; c++) {
    const caseSeed = seed * 100003 + c;
    out.push([`seeded ${seed}#${c}`, (k) => _one(k, seededRandom(caseSeed))]);
  }
  return out;
}

function _one(k: KeyCtx, rnd: () => number): GeneratedKnownHosts {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const names = [
    () => k.n,
    () => _hash(k.n, rnd),
    () => "*",
    () => `[127.0.0.?]:*`,
    () => "127.0.0.1",
    () => `*,!${k.n}`,
    () => `[127.0.0.2]:${k.port}`,
    () => `other,${k.n}`,
  ];
  const keys = [
    () => k.ed,
    () => k.ec,
    () => k.rsa,
    () => k.ed2,
    () => k.ec2,
    () => k.rsa2,
    () => _undecodable(pick([k.ed2, k.ec2, k.ed]), rnd),
    () => `ssh-rsa ${k.ed2.split(" ")[1]}`,
  ];
  const line = () => {
    const r = rnd();
    const marker = r < 0.15 ? "@revoked " : r < 0.2 ? "@cert-authority " : "";
    return `${marker}${pick(names)()} ${marker.startsWith("@cert") ? k.ca : pick(keys)()}`;
  };
  const count = Math.floor(rnd() * 4);
  const user = [Array.from({ length: count }, line).join("\n")];
  const global = rnd() < 0.2 ? [line()] : undefined;
  const options = [
    `StrictHostKeyChecking=${pick(["yes", "yes", "accept-new", "no"])}`,
    ...(rnd() < 0.4
      ? [`HostKeyAlgorithms=${
        pick([
          "ssh-ed25519",
          "^rsa-sha2-256",
          "^ecdsa-sha2-nistp256",
          "-ssh-ed25519",
          "+ssh-rsa",
          "ecdsa-sha2-nistp256,ssh-ed25519",
          "rsa-sha2-512,rsa-sha2-256",
        ])
      }`]
      : []),
    ...(rnd() < 0.1 ? ["HostKeyAlias=khalias"] : []),
  ];
  return { user, ...(global ? { global } : {}), options };
}
