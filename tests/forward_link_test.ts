import assert from "node:assert/strict";
import { forwardLink, type LinkState, needsUser } from "../lib/forward_link.ts";
import { SockhopError } from "../lib/errors.ts";
import type { Connection, Connector, SessionStream } from "../lib/transport.ts";

/** A connector whose attempts fail with the queued errors, then succeed. */
function fakeConnector(failures: Error[]) {
  let attempts = 0;
  const lose: ((e: Error) => void)[] = [];
  const connector: Connector = {
    connect() {
      attempts++;
      const failure = failures.shift();
      if (failure) return Promise.reject(failure);
      let drop!: (e: Error) => void;
      const lost = new Promise<Error>((r) => drop = r);
      lose.push(drop);
      const c: Connection = {
        open: () => Promise.resolve({ n: attempts } as unknown as SessionStream),
        lost,
        close: () => Promise.resolve(),
      };
      return Promise.resolve(c);
    },
  };
  return { connector, attempts: () => attempts, drop: (e: Error) => lose.at(-1)!(e) };
}

function recorder() {
  const states: LinkState[] = [];
  let wake: (() => void) | undefined;
  return {
    states,
    onState: (s: LinkState) => {
      states.push(s);
      wake?.();
    },
    async until(kind: LinkState["kind"], n = 1) {
      while (states.filter((s) => s.kind === kind).length < n) {
        await new Promise<void>((r) => wake = r);
      }
    },
  };
}

const refused = () => new SockhopError("Permission denied (publickey)", "auth-failed");
const down = () => new SockhopError("Connection refused", "ssh-failed");

Deno.test("link: a refused login or host key needs the user; a host down does not", () => {
  assert.ok(needsUser(refused()));
  assert.ok(needsUser(new SockhopError("x", "host-key-changed")));
  assert.ok(needsUser(new SockhopError("x", "host-key-unknown")));
  // The code decides, given where ssh's output is read (decisiveCode), never the words.
  assert.ok(!needsUser(new Error("FATAL ERROR: No supported authentication methods available")));
  assert.ok(!needsUser(new SockhopError("Permission denied (publickey)", "ssh-failed")));
  assert.ok(!needsUser(down()));
  assert.ok(!needsUser(new SockhopError('No session "x"', "no-session")));
});

Deno.test("link: the first failure is thrown without --retry", async () => {
  const f = fakeConnector([down()]);
  const r = recorder();
  const link = forwardLink({ connector: f.connector, retry: false, onState: r.onState });
  await assert.rejects(link.start(), /Connection refused/);
  await link.close();
});

Deno.test("link: --retry tries again after a host down, never after a refused login; SIGHUP does", async () => {
  const f = fakeConnector([down(), down(), refused()]);
  const r = recorder();
  const link = forwardLink({ connector: f.connector, retry: true, onState: r.onState });
  await link.start();
  await r.until("stopped");
  assert.equal(f.attempts(), 3);
  const reconnecting = r.states.filter((s) => s.kind === "reconnecting");
  assert.deepEqual(reconnecting.map((s) => s.kind === "reconnecting" && s.attempt), [2, 3]);
  await assert.rejects(link.open(), /Not connected: Permission denied/);
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(f.attempts(), 3, "not retried on its own");
  link.wake();
  await r.until("connected");
  assert.equal(f.attempts(), 4);
  await link.close();
});

Deno.test("link: a lost connection is made again; a waiting client does not wait out the back-off", async () => {
  const failures: Error[] = [];
  const f = fakeConnector(failures);
  const r = recorder();
  const link = forwardLink({ connector: f.connector, retry: false, onState: r.onState });
  await link.start();
  assert.equal(((await link.open()) as unknown as { n: number }).n, 1);
  f.drop(down());
  await r.until("connected", 2);
  // Ten failures in a row would wait 0.1 + 0.2 + ... + 51.2 s: a client waiting skips them.
  failures.push(...Array.from({ length: 10 }, down));
  f.drop(down());
  await r.until("reconnecting", 2);
  const opened = (await link.open()) as unknown as { n: number };
  assert.equal(opened.n, 13);
  const last = r.states.filter((s) => s.kind === "reconnecting").at(-1);
  assert.ok(last?.kind === "reconnecting" && last.attempt === 11 && last.nextInMs >= 51200);
  await link.close();
});

Deno.test("link: without --retry a refused login after a drop ends forward", async () => {
  const failures: Error[] = [];
  const f = fakeConnector(failures);
  const r = recorder();
  const link = forwardLink({ connector: f.connector, retry: false, onState: r.onState });
  await link.start();
  failures.push(refused());
  f.drop(down());
  assert.match((await link.fatal).message, /Permission denied/);
  assert.equal(r.states.at(-1)?.kind, "stopped");
  await link.close();
});

Deno.test("link: SIGHUP (wake) skips the back-off wait", async () => {
  const failures: Error[] = [];
  const f = fakeConnector(failures);
  const states: LinkState[] = [];
  let connected!: () => void;
  const back = new Promise<void>((r) => connected = r);
  const link: ReturnType<typeof forwardLink> = forwardLink({
    connector: f.connector,
    retry: false,
    random: () => 1,
    onState: (s) => {
      states.push(s);
      // Waits of 0.1, 0.2 ... 102.4 s: each skipped as soon as it starts.
      if (s.kind === "reconnecting") queueMicrotask(() => link.wake());
      if (s.kind === "connected" && s.attempts > 1) connected();
    },
  });
  await link.start();
  failures.push(...Array.from({ length: 10 }, down));
  f.drop(down());
  await back;
  assert.equal(f.attempts(), 12);
  const last = states.filter((s) => s.kind === "reconnecting").at(-1);
  assert.ok(last?.kind === "reconnecting" && last.nextInMs === 102400);
  await link.close();
});
