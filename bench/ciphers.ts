/**
 * The primitives under ssh2's ciphers on this Deno, in MB/s: node:crypto (what ssh2 can call:
 * its cipher objects are synchronous) against WebCrypto (asynchronous) for AES-GCM, as ssh2
 * uses them (one cipher object per 32 KiB packet) and in bulk. Rounds are interleaved so that
 * a busy machine slows every primitive alike; the median and range are printed.
 *
 *   deno run -A bench/ciphers.ts [ROUNDS]
 */

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const ROUNDS = Number(Deno.args[0] ?? "5");
const PACKET = 32768 + 16;
const COUNT = 1024; // 32 MiB a round
/** Bytes on an ArrayBuffer of their own (what WebCrypto's types ask for). */
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const key = bytes(16);
const iv = bytes(12);
const packet = bytes(PACKET);
const bulk = bytes(PACKET * COUNT);
const aad = packet.subarray(0, 4);
const sealed: Uint8Array[] = [];
const tags: Uint8Array[] = [];
for (let i = 0; i < COUNT; i++) {
  const c = createCipheriv("aes-128-gcm", key, iv);
  c.setAAD(aad);
  sealed.push(c.update(packet));
  c.final();
  tags.push(c.getAuthTag());
}
const webKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);

const cases: [string, () => unknown][] = [
  ["node:crypto aes-128-gcm encrypt, a cipher per 32 KiB packet (as ssh2)", () => {
    for (let i = 0; i < COUNT; i++) {
      const c = createCipheriv("aes-128-gcm", key, iv);
      c.setAAD(aad);
      c.update(packet);
      c.final();
      c.getAuthTag();
    }
  }],
  ["node:crypto aes-128-gcm decrypt, a decipher per 32 KiB packet (as ssh2)", () => {
    for (let i = 0; i < COUNT; i++) {
      const d = createDecipheriv("aes-128-gcm", key, iv);
      d.setAAD(aad);
      d.update(sealed[i]!);
      d.setAuthTag(tags[i]!);
      d.final();
    }
  }],
  ["node:crypto aes-128-gcm encrypt, one 32 MiB update", () => {
    createCipheriv("aes-128-gcm", key, iv).update(bulk);
  }],
  ["node:crypto aes-128-ctr encrypt, one 32 MiB update", () => {
    createCipheriv("aes-128-ctr", key, randomBytes(16)).update(bulk);
  }],
  ["node:crypto chacha20, one 32 MiB update", () => {
    createCipheriv("chacha20", randomBytes(32), randomBytes(16)).update(bulk);
  }],
  ["WebCrypto AES-GCM encrypt, 32 KiB packets, each awaited", async () => {
    for (let i = 0; i < COUNT; i++) {
      await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, webKey, packet);
    }
  }],
  [
    "WebCrypto AES-GCM encrypt, one 32 MiB call",
    () => crypto.subtle.encrypt({ name: "AES-GCM", iv }, webKey, bulk),
  ],
];

const results = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of cases) {
    const t0 = performance.now();
    await run();
    results.get(name)!.push(PACKET * COUNT / 1e6 / ((performance.now() - t0) / 1000));
  }
}
console.log("| primitive | MB/s median (range) |\n| --- | ---: |");
for (const [name, xs] of results) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s[Math.floor(s.length / 2)]!;
  console.log(`| ${name} | ${mid.toFixed(0)} (${s[0]!.toFixed(0)}-${s.at(-1)!.toFixed(0)}) |`);
}
