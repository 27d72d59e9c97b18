/**
 * known_hosts as OpenSSH decides it. Each case is a real login to a throwaway sshd, once by
 * `ssh -o BatchMode=yes` and once by `sockhop connect --ssh=native`, with the same known_hosts
 * files and options; the two decisions (accept, added, unknown, changed, revoked) must agree,
 * or the case must be in DEVIATIONS with the reason the README gives.
 */

import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { requirePeer, type Sshd, startSshd } from "./_sshd.ts";
import { markerWrapper } from "./_remote.ts";
import { generatedKnownHostsCases } from "./_known_hosts_gen.ts";
import { resolveRoute } from "../lib/route.ts";
import { connectNative } from "../lib/native_connect.ts";
import { silentLogger } from "../lib/logger.ts";

/** Seeded cases (fixed seeds), the sockhop side in this process (no start-up per case). */
const SEEDS = [1, 2];
const PER_SEED = 100;

const dec = new TextDecoder();

/** What the case's files hold, from the keys and names of this run. */
interface Files {
  user?: string[];
  global?: string[];
  /** -o options for both clients (StrictHostKeyChecking=yes unless given). */
  options?: string[];
  /** The host as typed; default 127.0.0.1. */
  host?: string;
  /** Server B (an ECDSA key with a certificate) instead of A. */
  server?: "b";
  /** The host on port 22 (root only): 127.x.y.z, no port in the URL or on ssh's line. */
  port22?: boolean;
}

/** The keys and names a case builds its files from. */
interface Ctx {
  /** A's keys, "type base64". */
  ed: string;
  ec: string;
  rsa: string;
  /** Keys of no server here. */
  ed2: string;
  ec2: string;
  ec384: string;
  rsa2: string;
  /** B's ECDSA key, the CA that signed its certificate, another CA. */
  bEc: string;
  ca: string;
  ca2: string;
  /** `[127.0.0.1]:PORT` of A, of B; A's port alone; the port-22 address. */
  n: string;
  nb: string;
  port: number;
  h22: string;
}

type Case = [name: string, files: (k: Ctx) => Files];

const hash = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
};
const strict = (v: string) => [`StrictHostKeyChecking=${v}`];

const CASES: Case[] = [
  // plain and hashed entries, [host]:port
  ["plain [host]:port", (k) => ({ user: [`${k.n} ${k.ed}`] })],
  ["empty file", () => ({ user: [""] })],
  ["missing file", () => ({ user: [] })],
  ["another host", (k) => ({ user: [`[127.0.0.2]:${k.port} ${k.ed}`] })],
  ["another port", (k) => ({ user: [`[127.0.0.1]:${k.port + 1} ${k.ed}`] })],
  ["hashed [host]:port", (k) => ({ user: [`${hash(k.n)} ${k.ed}`] })],
  ["hashed, another port", (k) => ({ user: [`${hash(`[127.0.0.1]:${k.port + 1}`)} ${k.ed}`] })],
  ["host list", (k) => ({ user: [`foo,${k.n},bar ${k.ed}`] })],
  ["comments, blank lines, CRLF, indent", (k) => ({
    user: [`# mine\r\n\r\n   ${k.n} ${k.ed}\r\n# end\r\n`],
  })],
  ["trailing comment on the line", (k) => ({ user: [`${k.n} ${k.ed} root@somewhere`] })],
  ["a broken line before the good one", (k) => ({ user: [`${k.n} ssh-ed25519\n${k.n} ${k.ed}`] })],
  ["key type field contradicts the key", (k) => ({
    user: [`${k.n} ssh-rsa ${k.ed.split(" ")[1]}`],
  })],
  ["unknown marker skipped", (k) => ({ user: [`@frob ${k.n} ${k.ed}`] })],
  ["malformed hash skipped", (k) => ({ user: [`|1|xx ${k.ed}\n${k.n} ${k.ed}`] })],
  // the bare host for a non-default port
  ["bare host, non-default port", (k) => ({ user: [`127.0.0.1 ${k.ed}`] })],
  ["hashed bare host, non-default port", (k) => ({ user: [`${hash("127.0.0.1")} ${k.ed}`] })],
  ["bare host changed, non-default port", (k) => ({ user: [`127.0.0.1 ${k.ed2}`] })],
  ["bare host of another type, non-default port", (k) => ({ user: [`127.0.0.1 ${k.ec}`] })],
  ["bare host @revoked, non-default port, accept-new", (k) => ({
    user: [`@revoked 127.0.0.1 ${k.ed}\n127.0.0.1 ${k.ed}`],
    options: strict("accept-new"),
  })],
  ["bare host and [host]:port changed", (k) => ({ user: [`127.0.0.1 ${k.ed}\n${k.n} ${k.ed2}`] })],
  // port 22
  ["port 22: bare host", (k) => ({ port22: true, user: [`${k.h22} ${k.ed}`] })],
  ["port 22: hashed bare host", (k) => ({ port22: true, user: [`${hash(k.h22)} ${k.ed}`] })],
  ["port 22: [host]:22", (k) => ({ port22: true, user: [`[${k.h22}]:22 ${k.ed}`] })],
  ["port 22: wildcard", (k) => ({ port22: true, user: [`127.* ${k.ed}`] })],
  ["port 22: changed", (k) => ({ port22: true, user: [`${k.h22} ${k.ed2}`] })],
  // wildcards and negation
  ["wildcard *", (k) => ({ user: [`* ${k.ed}`] })],
  ["wildcard on the address, non-default port", (k) => ({ user: [`127.0.0.* ${k.ed}`] })],
  ["wildcard port", (k) => ({ user: [`[127.0.0.1]:* ${k.ed}`] })],
  ["wildcard ?", (k) => ({ user: [`[127.0.0.?]:${k.port} ${k.ed}`] })],
  ["negated out of *", (k) => ({ user: [`*,!${k.n} ${k.ed}`] })],
  ["negation alone", (k) => ({ user: [`!nothere ${k.ed}`] })],
  ["negation that does not apply", (k) => ({ user: [`${k.n},!nothere ${k.ed}`] })],
  ["a negated line does not make the key changed", (k) => ({
    user: [`*,!${k.n} ${k.ed2}\n${k.n} ${k.ed}`],
  })],
  ["wildcard changed", (k) => ({ user: [`* ${k.ed2}`] })],
  // host names in other cases
  ["mixed case host, plain lowercase entry", (k) => ({
    host: "LocalHost",
    user: [`[localhost]:${k.port} ${k.ed}`],
  })],
  ["mixed case host, plain uppercase entry", (k) => ({
    host: "LocalHost",
    user: [`[LOCALHOST]:${k.port} ${k.ed}`],
  })],
  ["mixed case host, hashed lowercase", (k) => ({
    host: "LocalHost",
    user: [`${hash(`[localhost]:${k.port}`)} ${k.ed}`],
  })],
  ["mixed case host, hashed as typed", (k) => ({
    host: "LocalHost",
    user: [`${hash(`[LocalHost]:${k.port}`)} ${k.ed}`],
  })],
  ["lowercase host, hashed mixed case", (k) => ({
    host: "localhost",
    user: [`${hash(`[LocalHost]:${k.port}`)} ${k.ed}`],
  })],
  ["mixed case host, wildcard", (k) => ({ host: "LocalHost", user: [`[LOCAL*]:* ${k.ed}`] })],
  ["mixed case host, accept-new writes it lowercase", () => ({
    host: "LOCALHOST",
    user: [`# none yet\n`],
    options: strict("accept-new"),
  })],
  // several keys per host, of different types
  ["only the ECDSA key on record", (k) => ({ user: [`${k.n} ${k.ec}`] })],
  ["only the RSA key on record", (k) => ({ user: [`${k.n} ${k.rsa}`] })],
  ["all three on record", (k) => ({ user: [`${k.n} ${k.rsa}\n${k.n} ${k.ec}\n${k.n} ${k.ed}`] })],
  ["ED25519 changed, ECDSA right", (k) => ({ user: [`${k.n} ${k.ed2}\n${k.n} ${k.ec}`] })],
  ["ECDSA changed (same curve)", (k) => ({ user: [`${k.n} ${k.ec2}`] })],
  ["ECDSA of another curve on record", (k) => ({ user: [`${k.n} ${k.ec384}`] })],
  ["RSA changed, ED25519 right", (k) => ({ user: [`${k.n} ${k.rsa2}\n${k.n} ${k.ed}`] })],
  ["RSA changed only", (k) => ({ user: [`${k.n} ${k.rsa2}`] })],
  ["another type on record, accept-new", (k) => ({
    user: [`${k.n} ${k.rsa2}`],
    options: strict("accept-new"),
  })],
  ["server offers ED25519 only, ECDSA on record", (k) => ({
    user: [`${k.n} ${k.ec}`],
    options: ["HostKeyAlgorithms=ssh-ed25519", ...strict("yes")],
  })],
  // changed keys and StrictHostKeyChecking
  ["changed", (k) => ({ user: [`${k.n} ${k.ed2}`] })],
  ["changed, hashed", (k) => ({ user: [`${hash(k.n)} ${k.ed2}`] })],
  [
    "changed, StrictHostKeyChecking=no",
    (k) => ({ user: [`${k.n} ${k.ed2}`], options: strict("no") }),
  ],
  ["changed, accept-new", (k) => ({ user: [`${k.n} ${k.ed2}`], options: strict("accept-new") })],
  ["changed, ask", (k) => ({ user: [`${k.n} ${k.ed2}`], options: strict("ask") })],
  ["changed then right, same file", (k) => ({ user: [`${k.n} ${k.ed2}\n${k.n} ${k.ed}`] })],
  ["unknown, StrictHostKeyChecking=no", () => ({ user: [""], options: strict("no") })],
  ["unknown, accept-new", () => ({ user: [""], options: strict("accept-new") })],
  ["unknown, ask", () => ({ user: [""], options: strict("ask") })],
  ["unknown, accept-new, file missing", () => ({ user: [], options: strict("accept-new") })],
  ["unknown, accept-new, HashKnownHosts", () => ({
    user: [""],
    options: [...strict("accept-new"), "HashKnownHosts=yes"],
  })],
  ["known, accept-new", (k) => ({ user: [`${k.n} ${k.ed}`], options: strict("accept-new") })],
  ["port 22: unknown, accept-new", () => ({
    port22: true,
    user: [""],
    options: strict("accept-new"),
  })],
  // @revoked
  ["@revoked * and the right key", (k) => ({ user: [`@revoked * ${k.ed}\n${k.n} ${k.ed}`] })],
  ["@revoked [host]:port alone", (k) => ({ user: [`@revoked ${k.n} ${k.ed}`] })],
  ["@revoked hashed", (k) => ({ user: [`@revoked ${hash(k.n)} ${k.ed}\n${k.n} ${k.ed}`] })],
  ["@revoked, StrictHostKeyChecking=no", (k) => ({
    user: [`@revoked * ${k.ed}\n${k.n} ${k.ed}`],
    options: strict("no"),
  })],
  ["@revoked, accept-new", (k) => ({
    user: [`@revoked * ${k.ed}`],
    options: strict("accept-new"),
  })],
  ["@revoked another key", (k) => ({ user: [`@revoked * ${k.ed2}\n${k.n} ${k.ed}`] })],
  ["@revoked ECDSA, ED25519 known", (k) => ({ user: [`@revoked * ${k.ec}\n${k.n} ${k.ed}`] })],
  ["@revoked for another host", (k) => ({ user: [`@revoked other ${k.ed}\n${k.n} ${k.ed}`] })],
  ["@revoked negated for this host", (k) => ({
    user: [`@revoked *,!${k.n} ${k.ed}\n${k.n} ${k.ed}`],
  })],
  // @cert-authority (server B: an ECDSA host certificate)
  [
    "@cert-authority [host]:port",
    (k) => ({ server: "b", user: [`@cert-authority ${k.nb} ${k.ca}`] }),
  ],
  ["@cert-authority *", (k) => ({ server: "b", user: [`@cert-authority * ${k.ca}`] })],
  ["@cert-authority of another CA", (k) => ({ server: "b", user: [`@cert-authority * ${k.ca2}`] })],
  ["@cert-authority and the plain key", (k) => ({
    server: "b",
    user: [`@cert-authority * ${k.ca}\n${k.nb} ${k.bEc}`],
  })],
  ["@cert-authority and a changed plain key", (k) => ({
    server: "b",
    user: [`@cert-authority * ${k.ca}\n${k.nb} ${k.ec2}`],
  })],
  ["@cert-authority for another host", (k) => ({
    server: "b",
    user: [`@cert-authority other ${k.ca}\n${k.nb} ${k.bEc}`],
  })],
  ["@revoked CA", (k) => ({
    server: "b",
    user: [`@cert-authority * ${k.ca}\n@revoked * ${k.ca}\n${k.nb} ${k.bEc}`],
  })],
  // HostKeyAlias
  ["HostKeyAlias", (k) => ({ user: [`khalias ${k.ed}`], options: ["HostKeyAlias=khalias"] })],
  ["HostKeyAlias, [alias]:port entry", (k) => ({
    user: [`[khalias]:${k.port} ${k.ed}`],
    options: ["HostKeyAlias=khalias"],
  })],
  ["HostKeyAlias, hashed", (k) => ({
    user: [`${hash("khalias")} ${k.ed}`],
    options: ["HostKeyAlias=khalias"],
  })],
  ["HostKeyAlias in mixed case, plain entry", (k) => ({
    user: [`khalias ${k.ed}`],
    options: ["HostKeyAlias=KhAlias"],
  })],
  ["HostKeyAlias in mixed case, hashed lowercase", (k) => ({
    user: [`${hash("khalias")} ${k.ed}`],
    options: ["HostKeyAlias=KhAlias"],
  })],
  ["HostKeyAlias, only the real name on record", (k) => ({
    user: [`${k.n} ${k.ed}`],
    options: ["HostKeyAlias=khalias"],
  })],
  [
    "HostKeyAlias changed",
    (k) => ({ user: [`khalias ${k.ed2}`], options: ["HostKeyAlias=khalias"] }),
  ],
  ["HostKeyAlias in mixed case, accept-new", () => ({
    user: [""],
    options: ["HostKeyAlias=KhAlias", ...strict("accept-new")],
  })],
  ["HostKeyAlias, only the ECDSA key on record", (k) => ({
    user: [`khalias ${k.ec}`],
    options: ["HostKeyAlias=khalias"],
  })],
  ["HostKeyAlias, bare host on record", (k) => ({
    user: [`127.0.0.1 ${k.ed}`],
    options: ["HostKeyAlias=khalias"],
  })],
  ["HostKeyAlias, accept-new", () => ({
    user: [""],
    options: ["HostKeyAlias=khalias", ...strict("accept-new")],
  })],
  // global and user files
  ["global file only", (k) => ({ user: [""], global: [`${k.n} ${k.ed}`] })],
  [
    "global changed, user right",
    (k) => ({ user: [`${k.n} ${k.ed}`], global: [`${k.n} ${k.ed2}`] }),
  ],
  [
    "user changed, global right",
    (k) => ({ user: [`${k.n} ${k.ed2}`], global: [`${k.n} ${k.ed}`] }),
  ],
  ["@revoked in the global file", (k) => ({
    user: [`${k.n} ${k.ed}`],
    global: [`@revoked * ${k.ed}`],
  })],
  ["second global file", (k) => ({ user: [""], global: ["", `${k.n} ${k.ed}`] })],
  ["second user file", (k) => ({ user: ["", `${k.n} ${k.ed}`] })],
  ["accept-new writes the first user file", () => ({
    user: ["# first\n", "# second\n"],
    options: strict("accept-new"),
  })],
  ["global changed, accept-new", (k) => ({
    user: [""],
    global: [`${k.n} ${k.ed2}`],
    options: strict("accept-new"),
  })],
];

/** Decisions sockhop takes on purpose where ssh decides otherwise (README: "known_hosts"). */
const DEVIATIONS: Record<string, { ssh: string; sockhop: string; why: string }> = {
  "changed, StrictHostKeyChecking=no": {
    ssh: "changed, connected",
    sockhop: "changed",
    why: "a changed key is refused under every StrictHostKeyChecking value",
  },
  "@revoked, StrictHostKeyChecking=no": {
    ssh: "revoked, connected",
    sockhop: "revoked",
    why: "a revoked key is refused under every StrictHostKeyChecking value",
  },
  "bare host @revoked, non-default port, accept-new": {
    ssh: "revoked, then added file 1: [127.0.0.1]:PORT ssh-ed25519",
    sockhop: "revoked",
    why: "a key revoked under the bare host name is refused on other ports too",
  },
  "@cert-authority [host]:port": {
    ssh: "accept",
    sockhop: "unknown",
    why:
      "the built-in client has no host certificates: --ssh=native refuses a host known only by its CA (--ssh=auto uses ssh)",
  },
  "@cert-authority *": {
    ssh: "accept",
    sockhop: "unknown",
    why:
      "the built-in client has no host certificates: --ssh=native refuses a host known only by its CA (--ssh=auto uses ssh)",
  },
  "@cert-authority and a changed plain key": {
    ssh: "accept",
    sockhop: "changed",
    why: "the built-in client has no host certificates: the plain key on record decides",
  },
  "@revoked CA": {
    ssh: "revoked",
    sockhop: "accept",
    why: "the built-in client has no host certificates: the plain key on record decides",
  },
};

/**
 * The same deviations, by what makes them, for the seeded cases: a changed or revoked key is
 * refused under every StrictHostKeyChecking value.
 */
function _deviationOf(ssh: Outcome, sockhop: Outcome): string | undefined {
  if (ssh === "changed, connected" && sockhop === "changed") return "changed, refused";
  if (/^revoked, (connected|then added)/.test(ssh) && sockhop === "revoked") {
    return "revoked, refused";
  }
  if (sockhop === "refused: @cert-authority") return "no host certificates";
  return undefined;
}

/** One side's decision, from its exit status, its messages and what it added to the files. */
type Outcome = string;

function _sshOutcome(code: number, stderr: string, added: string): Outcome {
  const changed = /REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr);
  const revoked = /REVOKED HOST KEY DETECTED/.test(stderr);
  if (code === 0) {
    if (changed) return "changed, connected";
    if (revoked) return added ? `revoked, then added ${added}` : "revoked, connected";
    return added ? `added ${added}` : "accept";
  }
  if (changed) return "changed";
  if (revoked) return "revoked";
  if (/Host key verification failed/.test(stderr)) return "unknown";
  return `error: ${stderr.trim().split("\n").at(-1)}`;
}

function _sockhopOutcome(code: number, stderr: string, added: string): Outcome {
  if (code === 0) return added ? `added ${added}` : "accept";
  if (/Host key for \S+ has changed/.test(stderr)) return "changed";
  if (/Host key for \S+ .*is revoked/.test(stderr)) return "revoked";
  if (/Host key for \S+ is not known|is known only through a @cert-authority/.test(stderr)) {
    return "unknown";
  }
  return `error: ${stderr.trim().split("\n").at(-1)}`;
}

async function _pub(path: string): Promise<string> {
  return (await Deno.readTextFile(path)).trim().split(/\s+/).slice(0, 2).join(" ");
}

async function _keygen(path: string, type: string, bits?: number) {
  const args = [
    "-q",
    "-t",
    type,
    "-N",
    "",
    "-C",
    "",
    "-f",
    path,
    ...(bits ? ["-b", `${bits}`] : []),
  ];
  const out = await new Deno.Command("ssh-keygen", { args, stdout: "null", stderr: "piped" })
    .output();
  if (out.code !== 0) throw new Error(`ssh-keygen ${args.join(" ")}: ${dec.decode(out.stderr)}`);
}

/** Lines the login appended to the files: name (or "hashed NAME") and key type, one per line. */
function _added(before: string[], after: string[], names: string[]): string {
  const lines: string[] = [];
  after.forEach((text, i) => {
    const old = before[i] ?? "";
    if (text === old) return;
    const fresh = text.startsWith(old) ? text.slice(old.length) : text;
    for (const line of fresh.split("\n").filter((l) => l.trim())) {
      const [host, type] = line.split(/\s+/);
      let shown = host!;
      if (host!.startsWith("|1|")) {
        const [, , salt, mac] = host!.split("|");
        const name = names.find((n) =>
          createHmac("sha1", Buffer.from(salt!, "base64")).update(n).digest("base64") === mac
        );
        shown = `hashed ${name ?? "?"}`;
      }
      lines.push(`file ${i + 1}: ${shown} ${type}`);
    }
  });
  return lines.join("; ");
}

Deno.test("known_hosts differential: ssh -o BatchMode=yes and sockhop --ssh=native decide alike", async () => {
  if (
    !requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") ||
    !requirePeer("ssh", "ssh", "openssh-client")
  ) return;
  await using dir = await tempDir("sockhop-khdiff-");
  const d = `${dir}`;
  await Promise.all([
    _keygen(`${d}/a_ecdsa`, "ecdsa", 256),
    _keygen(`${d}/a_rsa`, "rsa", 2048),
    _keygen(`${d}/ed2`, "ed25519"),
    _keygen(`${d}/ec2`, "ecdsa", 256),
    _keygen(`${d}/ec384`, "ecdsa", 384),
    _keygen(`${d}/rsa2`, "rsa", 2048),
    _keygen(`${d}/b_ecdsa`, "ecdsa", 256),
    _keygen(`${d}/ca`, "ed25519"),
    _keygen(`${d}/ca2`, "ed25519"),
  ]);
  const root = Deno.uid() === 0;
  // A random 127.x.y.z on port 22, so that entries without a port are tried for real.
  const h22 = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${
    2 + Math.floor(Math.random() * 250)
  }`;
  await using a = await startSshd({
    extraConfig: [
      `HostKey ${d}/a_ecdsa`,
      `HostKey ${d}/a_rsa`,
      ...(root ? [`ListenAddress ${h22}:22`] : []),
    ],
  });
  // B: only an ECDSA key with a host certificate, for @cert-authority.
  const sign = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-s", `${d}/ca`, "-I", "b", "-h", "-n", "127.0.0.1", `${d}/b_ecdsa.pub`],
    stderr: "piped",
  }).output();
  assert.equal(sign.code, 0, dec.decode(sign.stderr));
  await using b = await startSshd({
    extraConfig: [
      `HostKey ${d}/b_ecdsa`,
      `HostCertificate ${d}/b_ecdsa-cert.pub`,
      "HostKeyAlgorithms ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp256",
    ],
  });
  const ctx: Ctx = {
    ed: a.hostKeyLine,
    ec: await _pub(`${d}/a_ecdsa.pub`),
    rsa: await _pub(`${d}/a_rsa.pub`),
    ed2: await _pub(`${d}/ed2.pub`),
    ec2: await _pub(`${d}/ec2.pub`),
    ec384: await _pub(`${d}/ec384.pub`),
    rsa2: await _pub(`${d}/rsa2.pub`),
    bEc: await _pub(`${d}/b_ecdsa.pub`),
    ca: await _pub(`${d}/ca.pub`),
    ca2: await _pub(`${d}/ca2.pub`),
    n: `[127.0.0.1]:${a.port}`,
    nb: `[127.0.0.1]:${b.port}`,
    port: a.port,
    h22,
  };
  const env = testEnv(`${d}/s`);
  const remote = await markerWrapper(d, "cat");

  async function side(
    which: "ssh" | "sockhop",
    i: number,
    f: Files,
    inProcess = false,
  ): Promise<Outcome> {
    const sshd: Sshd = f.server === "b" ? b : a;
    const host = f.port22 ? h22 : f.host ?? "127.0.0.1";
    const port = f.port22 ? 22 : sshd.port;
    const base = `${d}/case${i}-${which}`;
    await Deno.mkdir(base);
    const users = (f.user ?? [""]).length ? f.user ?? [""] : [undefined];
    const userFiles = users.map((_, j) => `${base}/known_hosts${j + 1}`);
    const globalFiles = (f.global ?? []).map((_, j) => `${base}/global${j + 1}`);
    await Promise.all([
      ...users.map((t, j) => t === undefined ? undefined : Deno.writeTextFile(userFiles[j]!, t)),
      ...(f.global ?? []).map((t, j) => Deno.writeTextFile(globalFiles[j]!, t)),
    ]);
    const read = () => Promise.all(userFiles.map((p) => Deno.readTextFile(p).catch(() => "")));
    const before = await read();
    const options = [
      "IdentitiesOnly=yes",
      "BatchMode=yes",
      `UserKnownHostsFile=${userFiles.join(" ")}`,
      `GlobalKnownHostsFile=${globalFiles.length ? globalFiles.join(" ") : "/dev/null"}`,
      ...(f.options ?? []),
      ...(f.options?.some((o) => o.startsWith("StrictHostKeyChecking")) ? [] : strict("yes")),
    ];
    const names = [
      `[${host.toLowerCase()}]:${port}`,
      `[${host}]:${port}`,
      host.toLowerCase(),
      host,
      ...(f.options ?? []).filter((o) => o.startsWith("HostKeyAlias=")).flatMap((o) => {
        const v = o.slice("HostKeyAlias=".length);
        return [v, v.toLowerCase()];
      }),
    ];
    let code: number;
    let stderr: string;
    if (which === "ssh") {
      const out = await new Deno.Command("ssh", {
        args: [
          "-F",
          "/dev/null",
          "-i",
          sshd.clientKey,
          ...options.flatMap((o) => ["-o", o]),
          "-p",
          `${port}`,
          "-l",
          sshd.user,
          host,
          "true",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      code = out.code;
      stderr = dec.decode(out.stderr);
    } else if (inProcess) {
      try {
        const r = resolveRoute(
          `ssh://${sshd.user}@${host}${f.port22 ? "" : `:${port}`}/x`,
          {
            ssh: "native",
            "config-file": "/dev/null",
            identity: [sshd.clientKey],
            option: options,
          },
          silentLogger,
        );
        if (!("route" in r) || r.route.backend !== "native") throw new Error("not native");
        (await connectNative(r.route, silentLogger)).close();
        code = 0;
        stderr = "";
      } catch (err) {
        const message = (err as Error).message;
        // Refused before connecting: the built-in client checks no host certificates.
        if (/The built-in client cannot honour @cert-authority/.test(message)) {
          return "refused: @cert-authority";
        }
        code = 1;
        stderr = message;
      }
    } else {
      const r = await runSockhop([
        "connect",
        `ssh://${sshd.user}@${host}${f.port22 ? "" : `:${port}`}/x`,
        "--ssh=native",
        "-F",
        "/dev/null",
        "-i",
        sshd.clientKey,
        ...options.flatMap((o) => ["-o", o]),
        `--remote-sockhop=${remote}`,
      ], { env });
      code = r.code;
      stderr = r.stderr;
    }
    const added = _added(before, await read(), names).replaceAll(`${port}`, "PORT");
    return which === "ssh"
      ? _sshOutcome(code, stderr, added)
      : _sockhopOutcome(code, stderr, added);
  }

  const results: { name: string; ssh: Outcome; sockhop: Outcome; seeded: boolean }[] = [];
  let skipped = 0;
  const seeded: Case[] = SEEDS.flatMap((seed) => generatedKnownHostsCases(seed, PER_SEED));
  const queue = [...CASES, ...seeded].map((c, i) => ({ c, i, seeded: i >= CASES.length }));
  // A few at a time: each login is two processes, and the machine is shared.
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [name, make] = item.c;
      const f = make(ctx);
      if (f.port22 && !root) {
        skipped++;
        continue;
      }
      const [ssh, sockhop] = await Promise.all([
        side("ssh", item.i, f),
        side("sockhop", item.i, f, item.seeded),
      ]);
      results.push({ name, ssh, sockhop, seeded: item.seeded });
    }
  }));
  if (skipped) console.log(`skipped ${skipped} port-22 cases: they need root`);

  const unexplained: string[] = [];
  const stale: string[] = [];
  let agreed = 0;
  const deviated = new Map<string, number>();
  for (const r of results) {
    if (r.seeded) {
      const why = r.ssh === r.sockhop ? undefined : _deviationOf(r.ssh, r.sockhop);
      if (r.ssh === r.sockhop) agreed++;
      else if (why) deviated.set(why, (deviated.get(why) ?? 0) + 1);
      else unexplained.push(`${r.name}: ssh ${r.ssh} | sockhop ${r.sockhop}`);
      continue;
    }
    const dev = DEVIATIONS[r.name];
    if (r.ssh === r.sockhop) {
      agreed++;
      if (dev) stale.push(`${r.name}: now agrees (${r.ssh}); drop it from DEVIATIONS`);
    } else if (!dev || dev.ssh !== r.ssh || dev.sockhop !== r.sockhop) {
      unexplained.push(`${r.name}: ssh ${r.ssh} | sockhop ${r.sockhop}`);
    }
  }
  for (const r of results.filter((r) => r.ssh !== r.sockhop && !r.seeded)) {
    console.log(`differs: ${r.name}: ssh ${r.ssh} | sockhop ${r.sockhop}`);
  }
  console.log(
    `known_hosts: ${results.length} cases, ${agreed} agree, ${results.length - agreed} differ (${
      Object.keys(DEVIATIONS).length
    } deviations on the list); ${seeded.length} of them seeded, deviating by mechanism: ${
      JSON.stringify(Object.fromEntries(deviated))
    }`,
  );
  assert.ok(results.length >= 50, `only ${results.length} cases ran`);
  assert.deepEqual(unexplained, [], "disagreements not in DEVIATIONS");
  assert.deepEqual(stale, []);
});
