import assert from "node:assert/strict";
import { maskSecrets, parseInfo } from "../lib/session_status.ts";
import { startAllowed, startRefusal } from "../lib/start_policy.ts";
import { SCOPE_PREFIX, survival } from "../lib/systemd_scope.ts";

Deno.test("session status: a target's secrets are masked, the rest kept as given", () => {
  assert.equal(
    maskSecrets("exec:psql postgres://bob:s3cr3t@db/x"),
    "exec:psql postgres://bob:***@db/x",
  );
  assert.equal(maskSecrets("exec:app --password=hunter2 -v"), "exec:app --password=*** -v");
  assert.equal(
    maskSecrets("exec:env PGPASSWORD=x API_TOKEN=y psql"),
    "exec:env PGPASSWORD=*** API_TOKEN=*** psql",
  );
  assert.equal(maskSecrets("tcp:127.0.0.1:5432"), "tcp:127.0.0.1:5432");
  assert.equal(maskSecrets("unix:/run/app.sock"), "unix:/run/app.sock");
});

Deno.test("session status: an info frame is checked field by field", () => {
  const good = {
    name: "db",
    pid: 7,
    target: "exec:cat",
    started: "2026-01-01T00:00:00Z",
    clients: 0,
  };
  assert.deepEqual(parseInfo(JSON.stringify(good)), good);
  assert.deepEqual(parseInfo(JSON.stringify({ ...good, id: "x", log: "/l" })), {
    ...good,
    id: "x",
    log: "/l",
  });
  assert.equal(parseInfo(JSON.stringify({ ...good, pid: "7" })), undefined);
  assert.equal(parseInfo(JSON.stringify({ ...good, clients: 1.5 })), undefined);
  assert.equal(parseInfo("not json"), undefined);
  assert.equal(parseInfo("null"), undefined);
});

Deno.test("start policy: globs on the target as written; none allowed by default", () => {
  assert.equal(startAllowed([], ["exec:cat"]), false);
  assert.equal(
    startAllowed(["exec:/usr/bin/xpra*"], ["exec:/usr/bin/xpra", "start", ":100"]),
    true,
  );
  assert.equal(startAllowed(["exec:/usr/bin/xpra*"], ["exec:/usr/bin/xpra2"]), true);
  assert.equal(startAllowed(["exec:/usr/bin/xpra *"], ["exec:/usr/bin/xpra2"]), false);
  assert.equal(startAllowed(["exec:cat"], ["exec:cat", "/etc/shadow"]), false);
  assert.equal(startAllowed(["tcp:127.0.0.1:54??"], ["tcp:127.0.0.1:5432"]), true);
  assert.equal(startAllowed(["exec:a.b"], ["exec:aXb"]), false, "a dot is a dot");
  assert.match(startRefusal(["exec:sh"]), /--allow-start=PATTERN/);
});

Deno.test("systemd: a scope when it works, else lingering, else a warning naming loginctl enable-linger", () => {
  const probe = (o: { host: boolean; scope: boolean; linger?: string }) => ({
    systemdHost: o.host,
    userScopeWorks: () => o.scope,
    linger: () => o.linger,
    user: "alice",
  });
  assert.deepEqual(survival(probe({ host: false, scope: false })), { prefix: [] });
  assert.deepEqual(survival(probe({ host: true, scope: true })), { prefix: SCOPE_PREFIX });
  assert.deepEqual(survival(probe({ host: true, scope: false, linger: "yes" })), { prefix: [] });
  const warned = survival(probe({ host: true, scope: false, linger: "no" }));
  assert.deepEqual(warned.prefix, []);
  assert.match(warned.warning ?? "", /loginctl enable-linger alice/);
});
