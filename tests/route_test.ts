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
  const key = Deno.makeTempFileSync();
  try {
    const r = route("ssh://alice:pw@db:2222/pg", {
      ssh: "native",
      jump: "bob@gw1,gw2:2200",
      option: ["BatchMode=yes", "ConnectTimeout=7"],
      identity: [key],
    });
    assert.equal(r.backend, "native");
    if (r.backend !== "native") return;
    assert.deepEqual(r.hops.map((h) => [h.host, h.config.user, h.config.port]), [
      ["gw1", "bob", 22],
      ["gw2", r.hops[1]!.config.user, 2200],
      ["db", "alice", 2222],
    ]);
    // -o and -i are the destination's, as with ssh -J: a jump host gets its own user, port
    // and config only.
    const dest = r.hops[2]!.config;
    assert.ok(dest.batchMode && dest.connectTimeout === 7);
    assert.deepEqual(dest.auth.identityFiles, [key]);
    for (const jump of r.hops.slice(0, 2)) {
      assert.ok(!jump.config.batchMode && jump.config.connectTimeout !== 7, jump.host);
      assert.ok(!jump.config.auth.identityFiles.includes(key), jump.host);
    }
    assert.equal(r.hops[2]!.password, "pw");
    assert.match(r.remoteCommand, /_proxy/);
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.hops) && Object.isFrozen(r.hops[0]));
  } finally {
    Deno.removeSync(key);
  }
});

Deno.test("route: -i, -o and -J in the order given, as ssh reads them", () => {
  const [a, b] = [Deno.makeTempFileSync(), Deno.makeTempFileSync()];
  try {
    const flags = { ssh: "openssh", option: [`IdentityFile=${a}`], identity: [b], jump: "gw" };
    const r = route("ssh://db/pg", flags);
    assert.ok(r.backend === "program");
    assert.deepEqual(r.words.slice(-6), ["-o", `IdentityFile=${a}`, "-i", b, "-J", "gw"]);
    const o = resolveRoute(
      "ssh://db/pg",
      { "config-file": "none", ...flags, "print-config": true },
      silentLogger,
      ["i", "J", "o"],
    );
    assert.ok("print" in o);
    assert.match(o.print, new RegExp(`^identityfile ${b}\nidentityfile ${a}$`, "m"));
    assert.throws(
      () => route("ssh://db/pg", { option: ["ProxyJump=gw2"], jump: "gw" }),
      (e) => e instanceof UsageError && /-J gw comes after a ProxyJump/.test(e.message),
    );
  } finally {
    Deno.removeSync(a);
    Deno.removeSync(b);
  }
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

Deno.test("route: a name that reads as HOST/NAME or HOST:NAME is answered with the URL it meant", () => {
  for (const where of ["db/pg", "db:pg"]) {
    assert.throws(
      () => route(where, {}),
      (e) =>
        e instanceof UsageError &&
        /for session pg on host db, write ssh:\/\/db\/pg$/.test(e.message),
    );
  }
  // In a URL, the path is the session's name: no host to suggest.
  assert.throws(
    () => route("ssh://db/web/extra", {}),
    (e) =>
      e instanceof UsageError && /use letters, digits, "\.", "_", "\+", "@", "-"$/.test(e.message),
  );
  assert.throws(
    () => route("a/b/c", {}),
    (e) =>
      e instanceof UsageError && /use letters, digits, "\.", "_", "\+", "@", "-"$/.test(e.message),
  );
});

Deno.test("route: bad values are usage errors, before anything runs", () => {
  const refused = (where: string, flags: RouteFlags, message: RegExp) =>
    assert.throws(
      () => route(where, flags),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  refused("ssh://db/pg", { jump: "a@b@:x" }, /Bad jump host "a@b@:x"/);
  refused("ssh://db/pg", { port: "0" }, /Bad port/);
  refused("ssh://db/pg", { jump: "bob@gw:99999" }, /Bad jump host "bob@gw:99999"/);
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
  // Which backend may do what is decided here, once: each impossible pair is a usage error.
  for (const ssh of ["openssh", "plink"]) {
    refused(
      "ssh://db/pg?proxy=bob:pw@gw",
      { ssh },
      new RegExp(`A jump host password cannot be given to ${ssh.replace("open", "")} safely`),
    );
    refused("ssh://db/pg", { ssh, "insecure-accept-any-host-key": true }, /is for the built-in/);
  }
});

Deno.test("route: --print-config shows -i and -J as ssh -G does, whatever the backend", () => {
  const home = Deno.env.get("HOME")!;
  const key = Deno.makeTempFileSync({ dir: home, prefix: ".sockhop-test-key-" });
  try {
    const warned: string[] = [];
    const r = resolveRoute(
      "ssh://db/pg",
      {
        "config-file": "none",
        ssh: "plink",
        jump: "gw",
        identity: [`~/${key.slice(home.length + 1)}`, "/k/missing"],
        "print-config": true,
      },
      { ...silentLogger, warn: (m) => warned.push(m) },
    );
    assert.ok("print" in r);
    assert.match(r.print, /^proxyjump gw$/m);
    // `~` expanded at once; a file that is not there dropped with a warning, as ssh does.
    assert.deepEqual(r.print.match(/^identityfile .*$/gm), [`identityfile ${key}`]);
    assert.match(warned.join("\n"), /Identity file \/k\/missing not accessible/);
  } finally {
    Deno.removeSync(key);
  }
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

Deno.test("route: HostKeyAlgorithms asking for host certificates goes to ssh; native refuses", () => {
  const option = ["HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com,ssh-ed25519"];
  assert.equal(route("ssh://db/pg", { option }).backend, "program");
  assert.throws(
    () => route("ssh://db/pg", { ssh: "native", option }),
    (e) => e instanceof UsageError && /HostKeyAlgorithms .*host certificates/.test(e.message),
  );
  // Taking certificates away, or naming none, leaves the built-in client its host.
  for (const value of ["-*-cert-v01@openssh.com", "+ssh-rsa", "ssh-ed25519"]) {
    assert.equal(
      route("ssh://db/pg", { option: [`HostKeyAlgorithms=${value}`] }).backend,
      "native",
      value,
    );
  }
});
