import assert from "node:assert/strict";
import {
  createPasswordChecker,
  hashPassword,
  hashProblem,
  parseHash,
  parsePasswordText,
  PasswordQueueFullError,
  readPasswordEntries,
  SCRYPT_DEFAULTS,
  verifyPassword,
  writePasswordEntry,
} from "../lib/password_hashes.ts";
import { tempDir } from "./_cli.ts";

const SALT = "c2FsdHNhbHRzYWx0c2FsdA=="; // 16 bytes
const DIGEST = Buffer.alloc(32, 7).toString("base64");

Deno.test("password file: every field of a hash is checked", async () => {
  const good = await hashPassword("correct horse");
  assert.equal(hashProblem(good), undefined);
  const bad: Array<[string, RegExp]> = [
    // The hash that let anyone in: an empty digest matched every password.
    ["scrypt$16384$8$1$c2FsdHNhbHQ=$=", /salt is not 16 bytes/],
    [`scrypt$16384$8$1$${SALT}$=`, /digest is not 32 bytes/],
    [`scrypt$16384$8$1$${SALT}$`, /digest is not 32 bytes/],
    [`scrypt$16384$8$1$${SALT}$${Buffer.alloc(16).toString("base64")}`, /digest is not 32/],
    // Base64 that does not round-trip: junk, missing padding, stray bits.
    [`scrypt$16384$8$1$${SALT}$${DIGEST.slice(0, -1)}`, /digest is not 32 bytes/],
    [`scrypt$16384$8$1$${SALT}$${DIGEST.replace(/=$/, "*")}`, /digest is not 32 bytes/],
    [`scrypt$16384$8$1$${SALT.replace("dA==", "dB==")}$${DIGEST}`, /salt is not 16 bytes/],
    [`scrypt$3$8$1$${SALT}$${DIGEST}`, /N=3 is not a power of two from 16384 to 1048576/],
    [`scrypt$1024$8$1$${SALT}$${DIGEST}`, /N=1024 is not a power of two from 16384/],
    [`scrypt$1048576$8$1$${SALT}$${DIGEST}`, /needs 1024 MiB, more than 64 MiB/],
    [`scrypt$2097152$1$1$${SALT}$${DIGEST}`, /N=2097152 is not a power of two/],
    [`scrypt$16384$0$1$${SALT}$${DIGEST}`, /r=0 is not from 1 to 32/],
    [`scrypt$16384$8$0$${SALT}$${DIGEST}`, /p=0 is not from 1 to 16/],
    [`scrypt$16384$8$17$${SALT}$${DIGEST}`, /p=17 is not from 1 to 16/],
    [`scrypt$65536$8$16$${SALT}$${DIGEST}`, /N·r·p = 8388608 is more than 2097152/],
    [`scrypt$016384$8$1$${SALT}$${DIGEST}`, /N=016384/],
    [`scrypt$16384$8$1$${SALT}$${DIGEST}$`, /expected scrypt\$N\$r\$p\$salt\$digest/],
    [`bcrypt$16384$8$1$${SALT}$${DIGEST}`, /expected scrypt/],
  ];
  for (const [hash, want] of bad) assert.match(hashProblem(hash) ?? "(accepted)", want, hash);
  // Within the bounds, other parameters than the default are fine.
  assert.equal(hashProblem(`scrypt$65536$8$2$${SALT}$${DIGEST}`), undefined);
});

Deno.test("password file: one bad line refuses the whole file, naming it", async () => {
  const good = await hashPassword("correct horse");
  const ok = parsePasswordText(`# comment\n\nalice:${good}\n`, "pw");
  assert.deepEqual([...ok.keys()], ["alice"]);
  const cases: Array<[string, RegExp]> = [
    [`alice:${good}\nroot:scrypt$16384$8$1$c2FsdHNhbHQ=$=\n`, /^pw line 2: the salt is not 16/],
    [`alice:${good}\nbob ${good}\n`, /^pw line 2: expected user:scrypt/],
    [`alice:${good}\n\nalice:${good}\n`, /^pw line 3: alice has a line already \(line 1\)/],
    [`a b:${good}\n`, /^pw line 1: expected user:scrypt/],
  ];
  for (const [text, want] of cases) {
    assert.throws(() => parsePasswordText(text, "pw"), (err: Error) => want.test(err.message));
  }
});

Deno.test("password file: missing or not a regular file is refused, a FIFO without blocking", async () => {
  await using dir = await tempDir();
  assert.throws(
    () => readPasswordEntries(`${dir}/none`),
    /Password file \S+none does not exist: create it with sockhop passwd --password-hashes=/,
  );
  const fifo = `${dir}/fifo`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mk.code, 0);
  assert.throws(() => readPasswordEntries(fifo), /fifo is a FIFO, not a regular file/);
  assert.throws(() => readPasswordEntries(`${dir}`), /is a directory, not a regular file/);
});

Deno.test("password file: passwd keeps other lines, replaces the user's bad one, points out others", async () => {
  await using dir = await tempDir();
  const path = `${dir}/passwords`;
  await Deno.writeTextFile(
    path,
    `# mine\nalice:scrypt$16384$8$1$c2FsdHNhbHQ=$=\nbob:scrypt$3$8$1$${SALT}$${DIGEST}\n`,
  );
  const problems = await writePasswordEntry(path, "alice", "a new password");
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /line 2: N=3 is not a power of two/);
  const text = await Deno.readTextFile(path);
  assert.match(text, /^# mine\nbob:scrypt\$3\$.*\nalice:scrypt\$16384\$8\$1\$/);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  await Deno.writeTextFile(path, text.replace(/^bob:.*\n/m, ""));
  const entries = readPasswordEntries(path);
  assert.equal(await verifyPassword(entries.get("alice")!, "a new password"), true);
  assert.equal(await verifyPassword(entries.get("alice")!, "a new passwore"), false);
});

Deno.test("password file: a hash runs off the event loop", async () => {
  const hash = parseHash(await hashPassword("pw"));
  let settled = false;
  const check = verifyPassword({ ...hash, N: 65536 }, "pw").finally(() => settled = true);
  // With scryptSync the whole hash ran inside the call, before any timer could fire.
  const timerSawPending = await new Promise<boolean>((r) => setTimeout(() => r(!settled), 0));
  await check;
  assert.equal(timerSawPending, true, "a timer ran while the hash was being computed");
});

Deno.test("password file: at most N checks at once, a bounded queue, waiting ones dropped on abort", async () => {
  const hash = parseHash(await hashPassword("pw"));
  const checker = createPasswordChecker({ maxConcurrent: 2, maxQueued: 3 });
  let most = 0;
  const watch = setInterval(() => most = Math.max(most, checker.load.running), 1);
  const gone = new AbortController();
  const checks = [
    checker.verify(hash, "pw"),
    checker.verify(hash, "nope"),
    checker.verify(hash, "pw"),
    checker.verify(hash, "pw", gone.signal),
    checker.verify(hash, "pw"),
  ];
  assert.deepEqual(checker.load, { running: 2, waiting: 3 });
  await assert.rejects(checker.verify(hash, "pw"), PasswordQueueFullError);
  gone.abort(new Error("client gone"));
  assert.deepEqual(checker.load, { running: 2, waiting: 2 });
  const results = await Promise.allSettled(checks);
  clearInterval(watch);
  assert.deepEqual(
    results.map((r) => r.status === "fulfilled" ? r.value : (r.reason as Error).message),
    [true, false, true, "client gone", true],
  );
  assert.equal(most, 2);
  assert.deepEqual(checker.load, { running: 0, waiting: 0 });
  assert.equal(SCRYPT_DEFAULTS.N, 16384);
});
