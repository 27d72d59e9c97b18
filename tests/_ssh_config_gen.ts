/**
 * Seeded ssh_config cases for the differential test: each draws a few keyword lines (into
 * Host/Match blocks of a config, or as -o), -l/-p, and -i/-J/-o interleaved, from small pools
 * that hold the corners (service-name ports, `+`/`-`/`^` lists, revoked spellings, globs with
 * `^`, missing -i files, -J before and after ProxyJump/ProxyCommand). Fixed seeds: the same
 * cases on every run, so a failure names a case that can be run again.
 */

import type { Case, CommandLineArg } from "./_ssh_config_cases.ts";

/** mulberry32: small, fast, and the same on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: Record<string, readonly string[]> = {
  User: ["alice", "bob", "%u", "x%h"],
  Port: ["22", "2222", "ssh", "http", "0", "65536"],
  LogLevel: ["QUIET", "quiet", "ERROR", "DEBUG3", "verbose", "bogus"],
  IPQoS: ["reliability", "lowdelay throughput", "af21", "0x01", "cs7 le", "none", "bogus"],
  SessionType: ["default", "none", "DEFAULT", "subsystem"],
  GSSAPIKexAlgorithms: [
    "+gss-curve25519-sha256-",
    "gss-group14-sha256-",
    "^gss-gex-sha1-",
    "-gss-gex-sha1-",
  ],
  HostKeyAlgorithms: [
    "ssh-ed25519",
    "+ssh-rsa",
    "-ecdsa*",
    "^rsa-sha2-256",
    "ssh-ed25519-cert-v01@openssh.com",
    "bogus-alg",
  ],
  Ciphers: ["aes128-ctr", "+aes128-cbc", "-chacha20*", "^aes256-gcm@openssh.com", "nope"],
  KexAlgorithms: ["curve25519-sha256", "+diffie-hellman-group1-sha1", "-sntrup*", "^ecdh*"],
  MACs: ["hmac-sha2-256", "+hmac-md5", "-umac*", "^hmac-sha1"],
  IdentityFile: ["~/id_a", "~/.ssh/id_b", "/tmp/x%h", "id_a"],
  ProxyJump: ["gw", "bob@gw:2200", "none", "ssh://gw:22", "gw:ssh", "a@b@:x"],
  ProxyCommand: ["nc %h %p", "none"],
  Compression: ["yes", "no", "maybe"],
  ForwardAgent: ["yes", "no", "~/agent.sock", "$SSH_AUTH_SOCK"],
  ServerAliveInterval: ["10", "1m", "-1", "2h30m"],
  ConnectTimeout: ["5", "0", "none"],
  StrictHostKeyChecking: ["accept-new", "off", "ask", "bogus"],
  AddressFamily: ["inet", "any", "inet6"],
  ControlPath: ["~/.ssh/cm-%C", "none", "/tmp/%r@%h:%p"],
  RequestTTY: ["force", "no", "auto"],
  EscapeChar: ["~", "^]", "none"],
  UpdateHostKeys: ["ask", "yes", "no"],
  HostName: ["%h.example.com", "10.0.0.1", "web"],
  HostKeyAlias: ["KhAlias", "alias"],
  PubkeyAcceptedAlgorithms: ["+ssh-rsa", "ssh-ed25519", "^rsa-sha2-512"],
};
const KEYWORDS = Object.keys(VALUES);

const HOSTS = ["web", "gw", "WEB", "a.example.com", "bob@web"];
const PATTERNS = ["*", "web", "!web *", "w?b", "gw", "*.example.com", "nothing"];
const MATCHES = ["all", "host web", "user alice", "originalhost web", "localuser root"];
const INCLUDES = ["x[^c].conf", "x[!c].conf", "x*.conf", "x[ab].conf"];

/** `n` cases from `seed`. */
export function generatedConfigCases(seed: number, n: number): Case[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const line = () => {
    const k = pick(KEYWORDS);
    return `${k} ${pick(VALUES[k]!)}`;
  };
  const cases: Case[] = [];
  for (let c = 0; c < n; c++) {
    const lines: string[] = [];
    for (let b = Math.floor(rnd() * 3); b > 0; b--) {
      lines.push(rnd() < 0.7 ? `Host ${pick(PATTERNS)}` : `Match ${pick(MATCHES)}`);
      for (let l = 1 + Math.floor(rnd() * 3); l > 0; l--) lines.push(`  ${line()}`);
    }
    const files: Record<string, string> = {};
    if (rnd() < 0.15) {
      lines.unshift(`Include ${pick(INCLUDES)}`);
      files[".ssh/xa.conf"] = `Port 2345\n`;
      files[".ssh/xc.conf"] = `User from-xc\n`;
      files[".ssh/x^.conf"] = `LogLevel ERROR\n`;
    }
    if (rnd() < 0.5) files["id_a"] = "not a key\n";
    const args: CommandLineArg[] = [];
    for (let a = Math.floor(rnd() * 4); a > 0; a--) {
      const r = rnd();
      if (r < 0.6) args.push({ flag: "o", value: line().replace(" ", "=") });
      else if (r < 0.85) args.push({ flag: "i", value: pick(["~/id_a", "~/missing", "id_a"]) });
      else if (!args.some((x) => x.flag === "J")) {
        args.push({ flag: "J", value: pick(["gw", "bob@gw:2200", "gw:ssh", "none"]) });
      }
    }
    const p = rnd() < 0.2 ? pick(VALUES.Port!) : undefined;
    const l = rnd() < 0.15 ? pick(["carol", "dave"]) : undefined;
    cases.push({
      name: `seeded ${seed}#${c}`,
      ...(lines.length ? { config: lines.join("\n") + "\n" } : {}),
      ...(Object.keys(files).length ? { files } : {}),
      host: pick(HOSTS),
      ...(p !== undefined ? { p } : {}),
      ...(l !== undefined ? { l } : {}),
      ...(args.length ? { args } : {}),
      F: rnd() < 0.3,
    });
  }
  return cases;
}
