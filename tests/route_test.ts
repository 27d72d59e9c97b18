/** The route, resolved once: what each backend is handed, and what is refused before it. */

import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { silentLogger } from "../lib/logger.ts";
import { resolveRoute, type Route, type RouteFlags } from "../lib/route.ts";

function route(where: string, flags: RouteFlags): Route {
  const r = resolveRoute(where, { "config-file": "none", ...flags }, silentLogger);
  assert.ok("route" in r);
  return r.route;
}

Deno.test("route: the built-in client gets every hop with its config, frozen", () => {
  const r = route("ssh://alice:pw@db:2222/pg", {
    ssh: "native",
    jump: "bob@gw1,gw2:2200",
    option: ["BatchMode=yes", "ConnectTimeout=7"],
    identity: ["/k/id"],
  });
  assert.equal(r.backend, "native");
  if (r.backend !== "native") return;
  assert.deepEqual(r.hops.map((h) => [h.host, h.config.user, h.config.port]), [
    ["gw1", "bob", 22],
    ["gw2", r.hops[1]!.config.user, 2200],
    ["db", "alice", 2222],
  ]);
  // -o applies to every hop, resolved once: BatchMode and the rest come from the config.
  assert.ok(r.hops.every((h) => h.config.batchMode && h.config.connectTimeout === 7));
  assert.equal(r.hops[2]!.password, "pw");
  assert.deepEqual(r.identityFiles, ["/k/id"]);
  assert.match(r.remoteCommand, /_proxy/);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.hops) && Object.isFrozen(r.hops[0]));
});

Deno.test("route: host key policy: known_hosts, a pinned key for the destination, accept-any", () => {
  const pin = `SHA256:${"A".repeat(43)}`;
  const pinned = route("ssh://db/pg?proxy_host=gw", { ssh: "native", "host-key": pin });
  assert.ok(pinned.backend === "native");
  assert.deepEqual(pinned.hops.map((h) => h.hostKey), [
    { kind: "known-hosts" },
    { kind: "pinned", fingerprint: pin },
  ]);
  const any = route("ssh://db/pg", {
    ssh: "native",
    "host-key": pin,
    "insecure-accept-any-host-key": true,
  });
  assert.ok(any.backend === "native");
  assert.deepEqual(any.hops.map((h) => h.hostKey), [{ kind: "insecure-accept-any" }]);
});

Deno.test("route: the program backends get their words, the destination and the jump host", () => {
  const r = route("ssh://alice@db/pg?proxy_host=gw&proxy_username=bob", {
    ssh: "openssh",
    option: ["BatchMode=yes"],
    "exit-ssh": "no",
  });
  assert.equal(r.backend, "program");
  if (r.backend !== "program") return;
  assert.deepEqual(r.words, ["ssh", "-x", "-F", "none", "-o", "BatchMode=yes"]);
  assert.deepEqual(r.dest, { host: "db", user: "alice" });
  assert.deepEqual(r.jump, { host: "gw", user: "bob" });
  assert.equal(r.exitSsh, false);
});

Deno.test("route: a local session needs no SSH", () => {
  assert.deepEqual(route("pg", {}), { backend: "local", session: "pg" });
});

Deno.test("route: bad values are usage errors, before anything runs", () => {
  const refused = (where: string, flags: RouteFlags, message: RegExp) =>
    assert.throws(
      () => route(where, flags),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  refused("ssh://db/pg", { jump: "a@b@:x" }, /Bad jump host "a@b@:x"/);
  refused("ssh://db/pg", { port: "0" }, /Bad port/);
  refused(
    "ssh://db/pg",
    { ssh: "openssh", "exit-ssh": "maybe" },
    /--exit-ssh=maybe: use yes or no/,
  );
  // The built-in client has no ssh to end, but a bad value is still a mistake worth naming.
  refused(
    "ssh://db/pg",
    { ssh: "native", "exit-ssh": "maybe" },
    /--exit-ssh=maybe: use yes or no/,
  );
  refused("ssh://db/pg", { ssh: "native", "host-key": "MD5:x" }, /pins a SHA256/);
  refused("ssh://db/pg", { ssh: "openssh", "host-key": "SHA256:x" }, /pins a key for plink/);
  refused("ssh://db/pg", { ssh: "plink", option: ["A=b"] }, /plink has none of them/);
  refused("ssh://db/pg", { ssh: "openssh", "remote-socket": "/s" }, /needs the native backend/);
});

Deno.test("route: --print-config shows -i and -J as ssh -G does, whatever the backend", () => {
  const r = resolveRoute(
    "ssh://db/pg",
    { "config-file": "none", ssh: "plink", jump: "gw", identity: ["/k/id"], "print-config": true },
    silentLogger,
  );
  assert.ok("print" in r);
  assert.match(r.print, /^proxyjump gw$/m);
  assert.match(r.print, /^identityfile \/k\/id$/m);
});

Deno.test("route: --print-config shows a URL's jump host as its ProxyJump, as -J would be", () => {
  const r = resolveRoute(
    "ssh://alice@db/pg?proxy_host=gw&proxy_username=bob&proxy_port=2222",
    { "config-file": "none", "print-config": true },
    silentLogger,
  );
  assert.ok("print" in r);
  assert.match(r.print, /^proxyjump bob@gw:2222$/m);
});
